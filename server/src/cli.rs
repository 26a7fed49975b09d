//! The `appreg` command line (CONTRACTS.md §3).

use std::io::{BufRead as _, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use registration::{OffsetDateTime, RegistrationRequest};
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat, Overrides};
use crate::signing::{self, KeyRing, KeySet};
use crate::store::{self, directory::ServerDirectory};
use crate::web::{self, AppState};

/// The most `appreg validate` reads (a bigger certificate inside is a finding, not a crash).
const CLI_INPUT_LIMIT: u64 = 16 * 1024 * 1024;

/// Registration desk for OAuth 2.0 applications that use NHSmail.
#[derive(Debug, Parser)]
#[command(name = "appreg", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    overrides: Overrides,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web app and the JSON API (the default).
    Serve,
    /// Validate one registration request (JSON) and print its report.
    ///
    /// Exit status: 0 valid, 1 the request has errors, 2 the input is not a request.
    Validate {
        /// Validate as of this instant (RFC 3339), instead of now.
        #[arg(long)]
        now: Option<String>,
        /// The request file, or - for standard input.
        file: PathBuf,
    },
    /// Print the findings catalogue (every code the validator raises) as Markdown.
    Findings,
    /// Fill this desk with many genuine requests (submitted, signed and partly decided through
    /// the desk's own code) to measure the reviewer's queue at scale: `scripts/bench` uses it.
    /// Use a data directory of its own: it adds accounts nobody can sign in as.
    BenchData {
        /// How many requests.
        #[arg(long, default_value_t = 100_000)]
        requests: u64,
    },
    /// Manage the organisation and mailbox directory.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Manage the record-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check the tamper-evident log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Manage the local accounts that sign in.
    #[command(subcommand)]
    User(UserCommand),
    /// Runs the desk's scheduled jobs: destroying client secrets past their 72 hours, and the expiry reminders
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Verify one signed record (a JWS file) offline.
    ///
    /// Exit status: 0 verified, 1 not verified, 2 the key set cannot be read.
    Verify {
        /// The public keys: a JWKS file, or an http://127.0.0.1 or http://localhost URL of
        /// /.well-known/jwks.json (its jwks-revoked.json is read too). Default: this desk's
        /// own database.
        #[arg(long)]
        jwks: Option<String>,
        /// Revoked keys: a jwks-revoked.json file or URL (records signed by them fail).
        #[arg(long)]
        revoked: Option<String>,
        /// The record (JWS compact serialization), or - for standard input.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// List the keys and their states.
    List,
    /// Make a new current signing key; the old one is retired and still verifies its records.
    Rotate,
    /// Revoke a key: it moves to jwks-revoked.json and the records it signed no longer verify.
    /// Revoking the current key also makes a new current key.
    Revoke {
        /// The key id (as `appreg keys list` shows it). It is base64url, so it may start with
        /// `-`: that is read as the id, not as an option.
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add an account (signed in the log); the password is read from standard input (one line, at least 12 characters).
    Add {
        /// The account's email address (compared case-insensitively).
        #[arg(long)]
        email: String,
        /// local_admin (submits for one organisation), reviewer (decides), or desk_admin (manages
        /// the accounts on the Accounts page, and nothing else: make the first one here).
        #[arg(long, value_parser = ["local_admin", "reviewer", "desk_admin"])]
        role: String,
        /// The Local Administrator's organisation (ODS code); not for reviewers or desk_admin.
        #[arg(long)]
        ods: Option<String>,
    },
    /// Move an account to another role (staff change jobs); its sessions end at once, and the
    /// change is signed in the log. What it submitted stays submitted by it: as a reviewer it still
    /// cannot decide on those requests.
    SetRole {
        /// The account's email address.
        #[arg(long)]
        email: String,
        /// local_admin, reviewer or desk_admin.
        #[arg(long, value_parser = ["local_admin", "reviewer", "desk_admin"])]
        role: String,
        /// The organisation (ODS code) for local_admin; not for reviewers or desk_admin.
        #[arg(long)]
        ods: Option<String>,
    },
    /// Disable an account: it can no longer sign in, and its sessions end at once. Signed in the log.
    Disable {
        /// The account's email address.
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account again. Signed in the log.
    Enable {
        /// The account's email address.
        #[arg(long)]
        email: String,
    },
    /// Email the account a one-time link to set a new local password (it works once, for 24
    /// hours; earlier links stop working). The link is in the email only, never printed.
    ResetPassword {
        /// The account's email address.
        #[arg(long)]
        email: String,
    },
    /// List the accounts.
    List,
}

#[derive(Debug, Subcommand)]
enum LogCommand {
    /// Check the whole log and everything the pages trust: the chain, every signature (keys
    /// revoked since included), each stored status against its signed decisions, decisions
    /// against their records and rows, stored requests against their records, and checkpoints.
    ///
    /// Prints `ok: N entries` and what was checked (exit 0), or every problem found, each with
    /// what to do, and `not ok: …` (exit 1); exit 2 when the check could not run. Entries signed
    /// by a since-revoked key before its revocation are a notice, not a problem.
    Verify {
        /// Also check the log against a signed checkpoint: a file holding it (the JWS, or the JSON
        /// of /.well-known/appreg-checkpoint), an https:// URL, or an http:// URL on this machine.
        #[arg(long)]
        checkpoint: Option<String>,
    },
    /// Sign the log's head now and print the checkpoint (the JSON published at
    /// /.well-known/appreg-checkpoint). The server also makes one every 100 entries.
    Checkpoint,
}

#[derive(Debug, Subcommand)]
enum ScheduleCommand {
    /// Runs every job due at that instant once and prints one line per action (exit 0; 2 for a bad --now)
    Run {
        /// The instant to run at (RFC 3339); default now
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum DirectoryCommand {
    /// Import ODS files (etr.csv, ets.csv, epraccur.csv, ebranchs.csv, edispensary.csv,
    /// egdpprac.csv, ecarehomesite.csv, as published) or a mailbox list (address,ods_code,kind);
    /// imported rows replace embedded ones with the same key.
    Import {
        /// The files to import, each in one transaction.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Runs the command line and returns the process's exit status.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&cli.overrides) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("appreg: {error:#}");
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => report_failure(serve(config)),
        Command::Validate { now, file } => validate(&config, now.as_deref(), &file),
        Command::Directory(DirectoryCommand::Import { files }) => {
            report_failure(import(&config, &files))
        }
        Command::Keys(command) => report_failure(keys(&config, command)),
        Command::Log(LogCommand::Verify { checkpoint }) => {
            log_verify(&config, checkpoint.as_deref())
        }
        Command::Log(LogCommand::Checkpoint) => report_failure(log_checkpoint(&config)),
        Command::User(command) => report_failure(user(&config, command)),
        Command::Schedule(ScheduleCommand::Run { now }) => schedule_run(&config, now.as_deref()),
        Command::Verify {
            jwks,
            revoked,
            file,
        } => verify_record(&config, jwks.as_deref(), revoked.as_deref(), &file),
        Command::BenchData { requests } => report_failure(bench_data(config, requests)),
        Command::Findings => {
            print!("{}", registration::findings::catalogue_markdown());
            ExitCode::SUCCESS
        }
    }
}

fn report_failure(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("appreg: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &Config) {
    let mut filter =
        EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // PostgreSQL's notices (`relation "_sqlx_migrations" already exists, skipping` at every
    // start) are not the desk's news, unless the filter asks for sqlx's own logs.
    if !config.log_filter.contains("sqlx")
        && let Ok(quiet) = "sqlx::postgres::notice=warn".parse()
    {
        filter = filter.add_directive(quiet);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn serve(config: Config) -> anyhow::Result<()> {
    init_logging(&config);
    runtime()?.block_on(async move {
        let pool = open_store(&config).await.with_context(|| {
            format!(
                "cannot use the database at {} (set APPREG_DATA_DIR or APPREG_DATABASE_URL to a writable place)",
                store::redacted(&config.database_url)
            )
        })?;
        let directory =
            Arc::new(ServerDirectory::load(&pool).await?.with_tenant(&config.tenant_id));
        if !config.site_root.join("pkg").exists() {
            tracing::warn!(site_root = %config.site_root.display(), "the site has not been built: pages will load without styles or scripts (build with `cargo leptos build`)");
        }
        let leptos_options = crate::site::options(&config.site, &config.site_root, config.address);
        let keys = Arc::new(KeyRing::open(&pool, &keys_dir(&config), issuer(&config)).await?);
        let mailer = Arc::new(crate::notify::Mailer::from_config(&config)?);
        // By SMTP: what an earlier run left in the mail queue is sent now.
        mailer.start_delivery();
        let writer = Arc::new(store::WriteLock::with_checkpoint_every(config.checkpoint_every));
        let limits = Arc::new(crate::limits::Limits::default());
        let settings = limits.settings.clone();
        let applications = Arc::new(applications_settings(&config)?);
        crate::schedule::spawn(
            pool.clone(),
            Arc::clone(&keys),
            Arc::clone(&writer),
            Arc::clone(&mailer),
        );
        let sign_in = Arc::new(crate::identity::SignInMethods::from_config(&config)?);
        if let Some(nhsmail) = &sign_in.nhsmail {
            tracing::info!(redirect_uri = %nhsmail.redirect_uri(), local_sign_in = sign_in.local, "sign-in with the OpenID provider is on");
        }
        let state = AppState { pool, directory, keys, mailer, writer, limits, leptos_options, applications, sign_in };
        let listener = tokio::net::TcpListener::bind(config.address).await.with_context(|| {
            format!(
                "cannot listen on {}: another program may be using that port (stop it, or set APPREG_ADDRESS to another address)",
                config.address
            )
        })?;
        tracing::info!(address = %config.address, database = %store::redacted(&config.database_url), "appreg is serving on http://{}", config.address);
        // Connections, timeouts and shutdown: web::serve (the peer address it records feeds
        // the per-client rate limits).
        web::serve::serve(listener, web::router(state), &settings, shutdown_signal()).await;
        Ok(())
    })
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = interrupt => {}, () = terminate => {} }
    tracing::info!("shutting down");
}

fn validate(config: &Config, now: Option<&str>, file: &Path) -> ExitCode {
    let now = match now {
        None => OffsetDateTime::now_utc(),
        Some(text) => {
            match OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
                Ok(now) => now,
                Err(_) => {
                    eprintln!(
                        "appreg: --now '{text}' is not an RFC 3339 instant (for example 2026-12-01T00:00:00Z)"
                    );
                    return ExitCode::from(2);
                }
            }
        }
    };
    let input = match read_input(file) {
        Ok(input) => input,
        Err(error) => {
            eprintln!("appreg: {error:#}");
            return ExitCode::from(2);
        }
    };
    let request = match RegistrationRequest::from_json(&input) {
        Ok(request) => request,
        Err(error) => {
            eprintln!(
                "appreg: {} is not a registration request: {error}",
                display_name(file)
            );
            return ExitCode::from(2);
        }
    };
    let directory = match cli_directory(config) {
        Ok(directory) => directory,
        Err(error) => {
            eprintln!("appreg: {error:#}");
            return ExitCode::from(2);
        }
    };
    let report = registration::validate(&request, directory.rules(), now);
    match serde_json::to_string_pretty(&report) {
        Ok(json) => println!("{json}"),
        Err(error) => {
            eprintln!("appreg: cannot write the report: {error}");
            return ExitCode::FAILURE;
        }
    }
    if report.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn import(config: &Config, files: &[PathBuf]) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let pool = open_store(config).await?;
        for file in files {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let count = store::directory::import(&pool, &file.display().to_string(), &text).await?;
            println!(
                "{}: {} organisations, {} mailboxes imported",
                file.display(),
                count.organisations,
                count.mailboxes
            );
        }
        Ok(())
    })
}

fn display_name(file: &Path) -> String {
    if file.as_os_str() == "-" {
        "standard input".into()
    } else {
        file.display().to_string()
    }
}

fn read_input(file: &Path) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .take(CLI_INPUT_LIMIT + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        std::fs::File::open(file)
            .with_context(|| format!("cannot open {}", file.display()))?
            .take(CLI_INPUT_LIMIT + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    if bytes.len() as u64 > CLI_INPUT_LIMIT {
        anyhow::bail!("{} is larger than 16 MiB", display_name(file));
    }
    String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", display_name(file)))
}

/// The directory the CLI validates against: the server's, when its database exists.
fn cli_directory(config: &Config) -> anyhow::Result<ServerDirectory> {
    let path = config
        .database_url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let sqlite = store::Backend::of_url(&config.database_url) == Some(store::Backend::Sqlite);
    if sqlite && !Path::new(path).exists() {
        return Ok(ServerDirectory::embedded().with_tenant(&config.tenant_id));
    }
    runtime()?.block_on(async {
        let pool = open_store(config).await?;
        Ok(ServerDirectory::load(&pool)
            .await?
            .with_tenant(&config.tenant_id))
    })
}

/// Opens the desk's database, first making the data directory private (0700): it holds the
/// database, the outbox and the signing keys, whatever the process's umask would give them.
async fn open_store(config: &Config) -> anyhow::Result<sqlx::AnyPool> {
    crate::files::private_dir(&config.data_dir)?;
    store::open(&config.database_url).await
}

/// The tenant and the client secrets' key (the key file is made beside the signing keys).
fn applications_settings(config: &Config) -> anyhow::Result<crate::applications::Settings> {
    Ok(crate::applications::Settings {
        tenant_id: config.tenant_id.clone(),
        secrets: crate::secrets::SecretBox::open(&keys_dir(config))?,
    })
}

/// `appreg schedule run [--now RFC3339]`.
fn schedule_run(config: &Config, now: Option<&str>) -> ExitCode {
    let now = match now {
        None => OffsetDateTime::now_utc(),
        Some(text) => {
            match OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
                Ok(now) => now,
                Err(_) => {
                    eprintln!(
                        "appreg: --now '{text}' is not an RFC 3339 instant (for example 2026-12-01T00:00:00Z)"
                    );
                    return ExitCode::from(2);
                }
            }
        }
    };
    report_failure(runtime().and_then(|runtime| {
        runtime.block_on(async {
            let pool = open_store(config).await?;
            let keys = KeyRing::open(&pool, &keys_dir(config), issuer(config)).await?;
            let writer = store::WriteLock::with_checkpoint_every(config.checkpoint_every);
            let mailer = Arc::new(crate::notify::Mailer::from_config(config)?);
            let lines = crate::schedule::run_due(&pool, &keys, &writer, &mailer, now).await;
            // What the jobs sent in the background is written (and, by SMTP, sent or queued for
            // the server) before the command exits, even when a job failed.
            mailer.finish().await;
            for line in lines? {
                println!("{line}");
            }
            Ok(())
        })
    }))
}

/// `appreg bench-data --requests N`: receipts and notices go to an outbox of its own under the
/// data directory, removed at the end (nobody reads a benchmark's mail).
fn bench_data(mut config: Config, requests: u64) -> anyhow::Result<()> {
    config.outbox_dir = config.data_dir.join("bench-data-outbox");
    // Never by SMTP, whatever the desk's setting.
    config.smtp_url = None;
    runtime()?.block_on(async {
        let pool = open_store(&config).await?;
        let mailer = Arc::new(crate::notify::Mailer::from_config(&config)?);
        let parts = crate::bench_data::DeskParts {
            directory: Arc::new(ServerDirectory::load(&pool).await?.with_tenant(&config.tenant_id)),
            keys: Arc::new(KeyRing::open(&pool, &keys_dir(&config), issuer(&config)).await?),
            mailer: Arc::clone(&mailer),
            writer: Arc::new(store::WriteLock::with_checkpoint_every(config.checkpoint_every)),
            limits: Arc::new(crate::limits::Limits::default()),
            pool,
        };
        let template = RegistrationRequest::from_json(BENCH_TEMPLATE)
            .map_err(|error| anyhow::anyhow!("the built-in request does not parse: {error:?}"))?;
        let started = std::time::Instant::now();
        let pool = parts.pool.clone();
        let generated = crate::bench_data::generate(parts, &template, requests).await?;
        store::after_bulk_load(&pool).await?;
        // Receipts are sent in the background: the last ones written before they are removed.
        mailer.finish().await;
        let _ = std::fs::remove_dir_all(&config.outbox_dir);
        println!(
            "{} requests in {:.1} s: {} approved, {} sent back for changes, {} rejected, the rest waiting",
            generated.submitted,
            started.elapsed().as_secs_f64(),
            generated.approved,
            generated.changes_requested,
            generated.rejected
        );
        Ok(())
    })
}

/// The request `bench-data` varies: the contract's worked example (CONTRACTS.md §1).
const BENCH_TEMPLATE: &str = include_str!("../../registration/tests/data/delegated_request.json");

/// Where the private signing keys are kept.
fn keys_dir(config: &Config) -> PathBuf {
    config.data_dir.join("keys")
}

/// The records' `iss`: the desk's public address.
fn issuer(config: &Config) -> String {
    config.public_url.clone()
}

fn keys(config: &Config, command: KeysCommand) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let pool = open_store(config).await?;
        let dir = keys_dir(config);
        // Opening the ring makes the first key when there is none, as the server would.
        KeyRing::open(&pool, &dir, issuer(config)).await?;
        let now = OffsetDateTime::now_utc();
        match command {
            KeysCommand::List => {
                for key in store::keys::list(&pool).await? {
                    println!(
                        "{}  {:<7}  created {}{}{}",
                        key.kid,
                        key.state.as_str(),
                        key.created_at,
                        key.retired_at
                            .map(|at| format!("  retired {at}"))
                            .unwrap_or_default(),
                        key.revoked_at
                            .map(|at| format!("  revoked {at}"))
                            .unwrap_or_default(),
                    );
                }
            }
            KeysCommand::Rotate => {
                let kid = signing::keys::rotate(&pool, &dir, now).await?;
                println!("new current key: {kid} (the previous key is retired and still verifies its records)");
            }
            KeysCommand::Revoke { kid } => {
                match signing::keys::revoke(&pool, &dir, &kid, now).await? {
                    signing::keys::Revoked::Revoked { new_current } => {
                        println!("revoked: {kid} (records it signed no longer verify)");
                        if let Some(new) = new_current {
                            println!("new current key: {new}");
                        }
                    }
                    signing::keys::Revoked::AlreadyRevoked => {
                        println!("{kid} was already revoked");
                    }
                    signing::keys::Revoked::Unknown => anyhow::bail!(
                        "there is no key {kid} (`appreg keys list` shows the keys)"
                    ),
                }
            }
        }
        Ok(())
    })
}

fn user(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    use crate::identity::{self, passwords};
    match command {
        UserCommand::Add { email, role, ods } => {
            let email = identity::normalise_email(&email);
            if !identity::is_plausible_email(&email) {
                anyhow::bail!("'{email}' is not an email address");
            }
            let (role, organisation) = role_and_organisation(config, &role, ods.as_deref())?;
            let password = read_password()?;
            password
                .check_strength()
                .map_err(|message| anyhow::anyhow!("{message}"))?;
            let hash = passwords::hash(&password)?;
            runtime()?.block_on(async {
                let (pool, keys, writer) = open_for_changes(config).await?;
                let user = identity::accounts::add(
                    identity::accounts::ChangeLog {
                        pool: &pool,
                        keys: &keys,
                        writer: &writer,
                    },
                    identity::accounts::OwnedNewUser {
                        email: email.clone(),
                        role,
                        ods_code: organisation.as_ref().map(|(code, _)| code.clone()),
                        password_hash: hash,
                    },
                    identity::accounts::By("cli"),
                    OffsetDateTime::now_utc(),
                )
                .await
                .map_err(account_error)?
                .user;
                match organisation {
                    Some((code, name)) => {
                        println!("added local_admin {} for {code} ({name})", user.email);
                    }
                    None => println!("added {} {}", user.role.as_str(), user.email),
                }
                Ok(())
            })
        }
        UserCommand::SetRole { email, role, ods } => {
            let email = identity::normalise_email(&email);
            let (role, organisation) = role_and_organisation(config, &role, ods.as_deref())?;
            runtime()?.block_on(async {
                let (pool, keys, writer) = open_for_changes(config).await?;
                let ods_code = organisation.as_ref().map(|(code, _)| code.as_str());
                let changed = identity::accounts::set_role(
                    identity::accounts::ChangeLog {
                        pool: &pool,
                        keys: &keys,
                        writer: &writer,
                    },
                    &email,
                    role,
                    ods_code,
                    identity::accounts::By("cli"),
                    OffsetDateTime::now_utc(),
                )
                .await
                .map_err(account_error)?;
                let ended = sessions_ended(changed.sessions_ended);
                match organisation {
                    Some((code, name)) => println!(
                        "{} is now local_admin for {code} ({name}); {ended}",
                        changed.user.email
                    ),
                    None => println!(
                        "{} is now {}; {ended}",
                        changed.user.email,
                        changed.user.role.as_str()
                    ),
                }
                Ok(())
            })
        }
        UserCommand::Disable { ref email } | UserCommand::Enable { ref email } => {
            let disable = matches!(command, UserCommand::Disable { .. });
            let email = identity::normalise_email(email);
            runtime()?.block_on(async {
                let (pool, keys, writer) = open_for_changes(config).await?;
                let changed = identity::accounts::set_disabled(
                    identity::accounts::ChangeLog {
                        pool: &pool,
                        keys: &keys,
                        writer: &writer,
                    },
                    &email,
                    disable,
                    identity::accounts::By("cli"),
                    OffsetDateTime::now_utc(),
                )
                .await
                .map_err(account_error)?;
                match (changed, disable) {
                    (Some(changed), true) => println!(
                        "{} is disabled: it can no longer sign in; {}",
                        changed.user.email,
                        sessions_ended(changed.sessions_ended)
                    ),
                    (Some(changed), false) => {
                        println!("{} is enabled: it can sign in again", changed.user.email);
                    }
                    (None, true) => println!("{email} was already disabled: nothing changed"),
                    (None, false) => println!("{email} was not disabled: nothing changed"),
                }
                Ok(())
            })
        }
        UserCommand::ResetPassword { email } => {
            if !config.local_sign_in {
                anyhow::bail!(
                    "passwords are turned off on this desk (local_sign_in = false): people sign in with NHSmail, so there is no password to reset"
                );
            }
            let email = identity::normalise_email(&email);
            runtime()?.block_on(async {
                let pool = open_store(config).await?;
                let mailer = crate::notify::Mailer::from_config(config)?;
                let (user, until) = identity::accounts::email_password_reset(
                    &pool,
                    &mailer,
                    &issuer(config),
                    &email,
                    OffsetDateTime::now_utc(),
                )
                .await
                .map_err(|error| match error {
                    identity::accounts::ResetError::Store(error) => error,
                    other => anyhow::anyhow!("{other}"),
                })?;
                println!(
                    "a one-time link to set a new password was emailed to {} (it works once, until {})",
                    user.email,
                    crate::reminders::long_date(until)
                );
                Ok(())
            })
        }
        UserCommand::List => runtime()?.block_on(async {
            let pool = open_store(config).await?;
            for user in store::users::list(&pool).await? {
                println!(
                    "{}  {:<11}  {:<9}  created {}{}",
                    user.email,
                    user.role.as_str(),
                    user.ods_code.as_deref().unwrap_or("-"),
                    user.created_at,
                    user.disabled_at
                        .map(|at| format!("  disabled {at}"))
                        .unwrap_or_default(),
                );
            }
            Ok(())
        }),
    }
}

/// The store, the signing keys and a writer, for a command that signs a change in the log.
async fn open_for_changes(
    config: &Config,
) -> anyhow::Result<(sqlx::AnyPool, KeyRing, store::WriteLock)> {
    let pool = open_store(config).await?;
    let keys = KeyRing::open(&pool, &keys_dir(config), issuer(config)).await?;
    let writer = store::WriteLock::with_checkpoint_every(config.checkpoint_every);
    Ok((pool, keys, writer))
}

/// An account change's refusal as the command says it.
fn account_error(error: crate::identity::accounts::AccountError) -> anyhow::Error {
    match error {
        crate::identity::accounts::AccountError::Store(error) => error,
        other => anyhow::anyhow!("{other}"),
    }
}

/// "its sessions ended (2)" or "it had no session".
fn sessions_ended(count: u64) -> String {
    match count {
        0 => "it had no session".to_string(),
        1 => "its session ended".to_string(),
        n => format!("its {n} sessions ended"),
    }
}

/// The role named on the command line and, for a Local Administrator, their organisation's
/// canonical ODS code and name (a reviewer or desk administrator has none: `--ods` is refused
/// for them). The same check as the Accounts page's ([`crate::identity::accounts::organisation_for`]).
fn role_and_organisation(
    config: &Config,
    role: &str,
    ods: Option<&str>,
) -> anyhow::Result<(crate::identity::Role, Option<(String, String)>)> {
    use crate::identity::Role;
    use crate::identity::accounts::{RoleError, organisation_for};
    let role = Role::parse(role)
        .ok_or_else(|| anyhow::anyhow!("the role must be local_admin, reviewer or desk_admin"))?;
    // Only a Local Administrator's code is looked up: nothing to load otherwise.
    let checked = if role.has_organisation() && ods.is_some() {
        organisation_for(role, ods, &cli_directory(config)?)
    } else {
        organisation_for(
            role,
            ods,
            &registration::directory::EmbeddedDirectory::empty(),
        )
    };
    let organisation = checked.map_err(|error| match error {
        RoleError::NoOrganisation(Role::DeskAdmin) => anyhow::anyhow!(
            "a desk administrator manages accounts for every organisation: leave out --ods"
        ),
        RoleError::NoOrganisation(_) => {
            anyhow::anyhow!("a reviewer decides for every organisation: leave out --ods")
        }
        RoleError::OrganisationNeeded => {
            anyhow::anyhow!("a Local Administrator acts for one organisation: add --ods CODE")
        }
        RoleError::Ods(finding) => anyhow::anyhow!(
            "--ods {}: {} {}",
            ods.unwrap_or(""),
            finding.message,
            finding.hint
        ),
    })?;
    Ok((role, organisation))
}

/// The new account's password: one line of standard input.
fn read_password() -> anyhow::Result<crate::identity::passwords::Password> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(64 * 1024)
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        anyhow::bail!(
            "no password: give it on standard input, for example: printf '%s\\n' \"$PASSWORD\" | appreg user add …"
        );
    }
    Ok(crate::identity::passwords::Password::new(password))
}

fn log_verify(config: &Config, checkpoint: Option<&str>) -> ExitCode {
    let outside = match checkpoint.map(read_checkpoint).transpose() {
        Ok(outside) => outside,
        Err(error) => {
            eprintln!("appreg: {error:#}");
            return ExitCode::from(2);
        }
    };
    let result = runtime().and_then(|runtime| {
        runtime.block_on(async {
            let pool = open_store(config).await?;
            store::audit::run(&pool, outside.as_deref()).await
        })
    });
    match result {
        Ok(report) => {
            print!("{}", report.render());
            if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("appreg: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The checkpoint JWS from a file or URL (`--checkpoint`).
fn read_checkpoint(source: &str) -> anyhow::Result<String> {
    let text = if source.starts_with("http://") || source.starts_with("https://") {
        http_get(source)?
    } else {
        std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))?
    };
    store::checkpoints::jws_in(&text).with_context(|| format!("{source} holds no checkpoint"))
}

fn log_checkpoint(config: &Config) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let pool = open_store(config).await?;
        let keys = KeyRing::open(&pool, &keys_dir(config), issuer(config)).await?;
        let checkpoint = store::checkpoints::make(&pool, &keys, OffsetDateTime::now_utc()).await?;
        println!("{}", checkpoint.document());
        Ok(())
    })
}

fn verify_record(
    config: &Config,
    jwks: Option<&str>,
    revoked: Option<&str>,
    file: &Path,
) -> ExitCode {
    let keys = match record_keys(config, jwks, revoked) {
        Ok(keys) => keys,
        Err(error) => {
            eprintln!("appreg: {error:#}");
            return ExitCode::from(2);
        }
    };
    let jws = match read_input(file) {
        Ok(jws) => jws,
        Err(error) => {
            eprintln!("appreg: {error:#}");
            return ExitCode::from(2);
        }
    };
    match signing::verify(&jws, &keys) {
        Ok(verified) => {
            let claim = |name: &str| {
                verified
                    .claims
                    .get(name)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("(none)")
                    .to_string()
            };
            println!("jti: {}", claim("jti"));
            println!("iss: {}", claim("iss"));
            println!("kid: {}", verified.kid);
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("not verified: {} {error}", display_name(file));
            ExitCode::from(1)
        }
    }
}

/// The key set `appreg verify` trusts: the given JWKS (file or local URL) and revoked list, or
/// the desk's own database.
fn record_keys(
    config: &Config,
    jwks: Option<&str>,
    revoked: Option<&str>,
) -> anyhow::Result<KeySet> {
    let Some(source) = jwks else {
        return runtime()?.block_on(async {
            let pool = open_store(config).await?;
            store::log::key_set(&pool).await
        });
    };
    let mut keys = KeySet::from_jwks(&read_json_source(source)?);
    if keys.is_empty() {
        anyhow::bail!("{source} holds no P-256 key with a kid");
    }
    match revoked {
        Some(revoked) => keys.add_revoked(&read_json_source(revoked)?),
        None if source.starts_with("http://") && source.ends_with("/jwks.json") => {
            let sibling = format!(
                "{}jwks-revoked.json",
                &source[..source.len() - "jwks.json".len()]
            );
            keys.add_revoked(&read_json_source(&sibling)?);
        }
        None => {}
    }
    Ok(keys)
}

/// Reads a JSON document from a file or an `http://` URL on this machine.
fn read_json_source(source: &str) -> anyhow::Result<serde_json::Value> {
    let text = if source.starts_with("http://") || source.starts_with("https://") {
        http_get_local(source)?
    } else {
        std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))?
    };
    serde_json::from_str(&text).with_context(|| format!("{source} is not JSON"))
}

/// A minimal HTTP/1.0 GET: `https://` anywhere (TLS with the Mozilla roots), `http://` on this
/// machine only (no redirects either way).
fn http_get(url: &str) -> anyhow::Result<String> {
    match url.strip_prefix("https://") {
        Some(rest) => https_get(url, rest),
        None => http_get_local(url),
    }
}

/// GET over TLS (rustls with the ring provider and webpki roots, already in the build for SMTP).
fn https_get(url: &str, rest: &str) -> anyhow::Result<String> {
    use std::io::Write as _;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => (
            host,
            port.parse::<u16>().context("the port is not a number")?,
        ),
        _ => (authority, 443),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("no TLS protocol versions")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .with_context(|| format!("{url}: '{host}' is not a host name"))?;
    let connection = rustls::ClientConnection::new(Arc::new(tls), name)
        .with_context(|| format!("cannot start TLS with {host}"))?;
    let timeout = std::time::Duration::from_secs(10);
    let socket = std::net::TcpStream::connect((host, port))
        .with_context(|| format!("cannot connect to {host}:{port}"))?;
    socket.set_read_timeout(Some(timeout))?;
    socket.set_write_timeout(Some(timeout))?;
    let mut stream = rustls::StreamOwned::new(connection, socket);
    let path = if path.is_empty() { "/" } else { path };
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .with_context(|| format!("cannot send the request to {url}"))?;
    let mut response = Vec::new();
    match stream.take(CLI_INPUT_LIMIT).read_to_end(&mut response) {
        Ok(_) => {}
        // Servers often close without TLS's close_notify; what arrived is the whole answer.
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {}
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read the answer from {url}"));
        }
    }
    http_body(url, response)
}

/// The body of an HTTP/1.x answer, when its status is 200.
fn http_body(url: &str, response: Vec<u8>) -> anyhow::Result<String> {
    let response = String::from_utf8(response)
        .map_err(|_| anyhow::anyhow!("the answer from {url} is not UTF-8"))?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("the answer from {url} is not HTTP"))?;
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if status != "200" {
        anyhow::bail!("{url} answered {status}, not 200");
    }
    Ok(body.to_string())
}

/// A minimal HTTP/1.0 GET, for the desk's own documents on this machine only (no TLS, no redirects).
fn http_get_local(url: &str) -> anyhow::Result<String> {
    use std::io::Write as _;
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        anyhow::anyhow!("{url}: only http://127.0.0.1 or http://localhost URLs can be read; save the JWKS to a file and pass that instead")
    })?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host);
    if host != "127.0.0.1" && host != "localhost" && host != "[::1]" {
        anyhow::bail!(
            "{url}: only http://127.0.0.1 or http://localhost URLs can be read; save the JWKS to a file and pass that instead"
        );
    }
    let address = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let path = if path.is_empty() { "/" } else { path };
    let timeout = std::time::Duration::from_secs(10);
    let mut stream = std::net::TcpStream::connect(&address)
        .with_context(|| format!("cannot connect to {address}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream
        .take(CLI_INPUT_LIMIT)
        .read_to_end(&mut response)
        .with_context(|| format!("cannot read the answer from {url}"))?;
    http_body(url, response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_id_that_starts_with_a_hyphen_is_read_as_the_id() {
        // Key ids are base64url thumbprints: one in 64 starts with '-'.
        let cli = Cli::try_parse_from(["appreg", "keys", "revoke", "-q0Ab_x"]).unwrap();
        match cli.command {
            Some(Command::Keys(KeysCommand::Revoke { kid })) => assert_eq!(kid, "-q0Ab_x"),
            other => panic!("{other:?}"),
        }
    }
}
