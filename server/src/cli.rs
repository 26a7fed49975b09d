//! The `appreg` command line (CONTRACTS.md §3).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use leptos::config::{Env, LeptosOptions};
use registration::{Directory, OffsetDateTime};
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat, Overrides};
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
    /// Manage the organisation and mailbox directory.
    #[command(subcommand)]
    Directory(DirectoryCommand),
}

#[derive(Debug, Subcommand)]
enum DirectoryCommand {
    /// Import ODS files (etr.csv, ets.csv, epraccur.csv, ebranchs.csv, as published) or a mailbox
    /// list (address,ods_code,kind); imported rows replace embedded ones with the same key.
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
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
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
        let pool = store::open(&config.database_url).await.with_context(|| {
            format!(
                "cannot use the database at {} (set APPREG_DATA_DIR or APPREG_DATABASE_URL to a writable place)",
                config.database_url
            )
        })?;
        let directory = Arc::new(ServerDirectory::load(&pool).await?);
        if !config.site_root.join("pkg").exists() {
            tracing::warn!(site_root = %config.site_root.display(), "the site has not been built: pages will load without styles or scripts (build with `cargo leptos build`)");
        }
        let leptos_options = LeptosOptions::builder()
            .output_name("appreg")
            .site_root(config.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(config.address)
            .env(Env::PROD)
            .build();
        let state = AppState { pool, directory, leptos_options };
        let listener = tokio::net::TcpListener::bind(config.address).await.with_context(|| {
            format!(
                "cannot listen on {}: another program may be using that port (stop it, or set APPREG_ADDRESS to another address)",
                config.address
            )
        })?;
        tracing::info!(address = %config.address, database = %config.database_url, "appreg is serving on http://{}", config.address);
        axum::serve(listener, web::router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("the server stopped with an error")
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

fn validate(config: &Config, now: Option<&str>, file: &PathBuf) -> ExitCode {
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
    let request = match registration::RegistrationRequest::from_json(&input) {
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
    let report = registration::validate(&request, Directory::new(&directory), now);
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
        let pool = store::open(&config.database_url).await?;
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

fn display_name(file: &PathBuf) -> String {
    if file.as_os_str() == "-" {
        "standard input".into()
    } else {
        file.display().to_string()
    }
}

fn read_input(file: &PathBuf) -> anyhow::Result<String> {
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
    if !std::path::Path::new(path).exists() {
        return Ok(ServerDirectory::embedded());
    }
    runtime()?.block_on(async {
        let pool = store::open(&config.database_url).await?;
        ServerDirectory::load(&pool).await
    })
}
