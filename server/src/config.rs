//! Configuration: command-line flags over environment variables over the config file over defaults.
//!
//! | setting      | flag             | environment          | file key       | default                              |
//! |--------------|------------------|----------------------|----------------|--------------------------------------|
//! | address      | `--address`      | `APPREG_ADDRESS`     | `address`      | `Leptos.toml`'s `site-addr`: `127.0.0.1:3000` |
//! | data dir     | `--data-dir`     | `APPREG_DATA_DIR`    | `data_dir`     | `data`                               |
//! | database URL | `--database-url` | `APPREG_DATABASE_URL`| `database_url` | `sqlite://<data dir>/appreg.sqlite`  |
//! | site root    | `--site-root`    | `APPREG_SITE_ROOT`   | `site_root`    | `Leptos.toml`'s `site-root`: `target/site` |
//! | log format   | `--log-format`   | `APPREG_LOG_FORMAT`  | `log_format`   | `text` (or `json`)                   |
//! | log filter   |                  | `APPREG_LOG`         | `log`          | `info`                               |
//! | public URL   | `--public-url`   | `APPREG_PUBLIC_URL`  | `public_url`   | `http://<address>` (the records' `iss`) |
//! | mail sender  | `--mail-from`    | `APPREG_MAIL_FROM`   | `mail_from`    | `appreg@<host of public URL>`        |
//! | SMTP server  | `--smtp-url`     | `APPREG_SMTP_URL`    | `smtp_url`     | none: mail goes to the outbox        |
//! | outbox       | `--outbox-dir`   | `APPREG_OUTBOX_DIR`  | `outbox_dir`   | `<data dir>/outbox`                  |
//! | checkpoints  | `--checkpoint-every` | `APPREG_CHECKPOINT_EVERY` | `checkpoint_every` | `100` entries (0: only on demand) |
//! | tenant       | `--tenant-id`    | `APPREG_TENANT_ID`   | `tenant_id`    | NHSmail's (`37c354b2-…-07b48d774ee3`) |
//! | reviewers' notices | `--reviewer-notices` | `APPREG_REVIEWER_NOTICES` | `reviewer_notices` | `each` (an email per arrival and withdrawal; `daily`: one digest a day at 07:00 UTC; `off`) |
//! | OIDC issuer  | `--oidc-issuer`  | `APPREG_OIDC_ISSUER` | `oidc_issuer`  | none: no "Sign in with NHSmail" (NHSmail: `https://login.microsoftonline.com/<tenant id>/v2.0`) |
//! | OIDC client id | `--oidc-client-id` | `APPREG_OIDC_CLIENT_ID` | `oidc_client_id` | none (required with the issuer) |
//! | OIDC client secret | `--oidc-client-secret` | `APPREG_OIDC_CLIENT_SECRET` | `oidc_client_secret` | none (this or the private key, with the issuer) |
//! | OIDC private key | `--oidc-private-key` | `APPREG_OIDC_PRIVATE_KEY` | `oidc_private_key` | none: a PEM file with the RSA key and its certificate (`private_key_jwt`) |
//! | local sign-in | `--local-sign-in` | `APPREG_LOCAL_SIGN_IN` | `local_sign_in` | `on` (`off`: only the OIDC provider signs people in) |
//!
//! The config file is `appreg.toml` in the working directory, or the file named by
//! `--config` / `APPREG_CONFIG` (which must then exist). The site's own settings (the names of
//! its files, its defaults for the two settings above) are in `Leptos.toml` in the working
//! directory, read by [`crate::site`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// Settings given on the command line or in the environment (clap reads both).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Overrides {
    /// Config file (TOML). Default: appreg.toml in the working directory, if present.
    #[arg(long, env = "APPREG_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "APPREG_ADDRESS", global = true)]
    pub address: Option<String>,
    /// Directory for the database and other state.
    #[arg(long, env = "APPREG_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL (sqlite://path).
    #[arg(long, env = "APPREG_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Where the built site (pkg/, nhsuk/, assets/) is.
    #[arg(long, env = "APPREG_SITE_ROOT", global = true)]
    pub site_root: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, env = "APPREG_LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,
    /// The address people and tools reach the desk at (https://… behind a proxy); signed records name it as their issuer.
    #[arg(long, env = "APPREG_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// The From address of the desk's emails.
    #[arg(long, env = "APPREG_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
    /// SMTP server to send mail through (smtps://user:pass@host:465 or smtp://host:25?tls=required); without it mail is written to the outbox.
    #[arg(long, env = "APPREG_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<SmtpUrl>,
    /// Directory where mail is written as .eml files when no SMTP server is set.
    #[arg(long, env = "APPREG_OUTBOX_DIR", global = true)]
    pub outbox_dir: Option<PathBuf>,
    /// Sign a checkpoint of the log every this many entries (0: only with `appreg log checkpoint`).
    #[arg(long, env = "APPREG_CHECKPOINT_EVERY", global = true)]
    pub checkpoint_every: Option<u64>,
    /// The Entra tenant the registered applications live in (a GUID; default NHSmail's).
    #[arg(long, env = "APPREG_TENANT_ID", global = true)]
    pub tenant_id: Option<String>,
    /// How reviewers hear of requests that arrive or are withdrawn: each (an email each), daily
    /// (one digest a day at 07:00 UTC) or off.
    #[arg(long, env = "APPREG_REVIEWER_NOTICES", global = true)]
    pub reviewer_notices: Option<crate::reviewer_notices::ReviewerNotices>,
    /// The OpenID provider people sign in with ("Sign in with NHSmail"): its issuer URL.
    #[arg(long, env = "APPREG_OIDC_ISSUER", global = true)]
    pub oidc_issuer: Option<String>,
    /// The desk's client (application) id at the OpenID provider.
    #[arg(long, env = "APPREG_OIDC_CLIENT_ID", global = true)]
    pub oidc_client_id: Option<String>,
    /// The desk's client secret at the OpenID provider (prefer the environment or the file to a flag).
    #[arg(
        long,
        env = "APPREG_OIDC_CLIENT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub oidc_client_secret: Option<String>,
    /// A PEM file with the RSA private key and certificate the desk authenticates to the OpenID provider with.
    #[arg(long, env = "APPREG_OIDC_PRIVATE_KEY", global = true)]
    pub oidc_private_key: Option<PathBuf>,
    /// Whether people may sign in with a local password: on or off.
    #[arg(long, env = "APPREG_LOCAL_SIGN_IN", global = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub local_sign_in: Option<bool>,
}

/// An SMTP connection URL; its Debug and Display hide the password so it never reaches a log.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SmtpUrl(String);

impl SmtpUrl {
    /// The URL as given, password included (only for opening the connection).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        match url_password_span(&self.0) {
            Some((start, end)) => format!("{}***{}", &self.0[..start], &self.0[end..]),
            None => self.0.clone(),
        }
    }
}

/// The byte range of the password in `scheme://user:password@host…`, if there is one.
fn url_password_span(url: &str) -> Option<(usize, usize)> {
    let authority_start = url.find("://")? + 3;
    let authority_len = url[authority_start..]
        .find(['/', '?', '#'])
        .unwrap_or(url.len() - authority_start);
    let authority = &url[authority_start..authority_start + authority_len];
    let at = authority.rfind('@')?;
    let colon = authority[..at].find(':')?;
    Some((authority_start + colon + 1, authority_start + at))
}

impl std::str::FromStr for SmtpUrl {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(SmtpUrl(text.to_string()))
    }
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpUrl({:?})", self.redacted())
    }
}

impl std::fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    address: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    site_root: Option<PathBuf>,
    log_format: Option<LogFormat>,
    log: Option<String>,
    public_url: Option<String>,
    mail_from: Option<String>,
    smtp_url: Option<SmtpUrl>,
    outbox_dir: Option<PathBuf>,
    checkpoint_every: Option<u64>,
    tenant_id: Option<String>,
    reviewer_notices: Option<crate::reviewer_notices::ReviewerNotices>,
    oidc_issuer: Option<String>,
    oidc_client_id: Option<String>,
    oidc_client_secret: Option<String>,
    oidc_private_key: Option<PathBuf>,
    local_sign_in: Option<bool>,
}

/// The settings in force. Its `Debug` shows the database URL without its password (as the SMTP
/// URL's own `Debug` does).
#[derive(Clone)]
pub struct Config {
    /// Address to listen on.
    pub address: SocketAddr,
    /// Directory for state.
    pub data_dir: PathBuf,
    /// Database URL.
    pub database_url: String,
    /// The built site.
    pub site_root: PathBuf,
    /// The site's settings from `Leptos.toml` (the names of its files).
    pub site: leptos::config::LeptosOptions,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter (tracing EnvFilter syntax).
    pub log_filter: String,
    /// The desk's public address (the `iss` of its signed records).
    pub public_url: String,
    /// The From address of the desk's emails.
    pub mail_from: String,
    /// The SMTP server mail goes through; `None` writes mail to the outbox.
    pub smtp_url: Option<SmtpUrl>,
    /// Where mail is written when there is no SMTP server.
    pub outbox_dir: PathBuf,
    /// Entries between the checkpoints the writer signs (0: none).
    pub checkpoint_every: u64,
    /// The Entra tenant of the registered applications (lower-case GUID).
    pub tenant_id: String,
    /// How reviewers hear of arrivals and withdrawals.
    pub reviewer_notices: crate::reviewer_notices::ReviewerNotices,
    /// Sign-in with an OpenID provider, when configured.
    pub oidc: Option<crate::identity::oidc::OidcSettings>,
    /// Whether local passwords sign people in.
    pub local_sign_in: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("address", &self.address)
            .field("data_dir", &self.data_dir)
            .field("database_url", &crate::store::redacted(&self.database_url))
            .field("site_root", &self.site_root)
            .field("site", &self.site.output_name)
            .field("log_format", &self.log_format)
            .field("log_filter", &self.log_filter)
            .field("public_url", &self.public_url)
            .field("mail_from", &self.mail_from)
            .field("smtp_url", &self.smtp_url)
            .field("outbox_dir", &self.outbox_dir)
            .field("checkpoint_every", &self.checkpoint_every)
            .field("tenant_id", &self.tenant_id)
            .field("reviewer_notices", &self.reviewer_notices)
            .field("oidc", &self.oidc)
            .field("local_sign_in", &self.local_sign_in)
            .finish()
    }
}

impl Config {
    /// Resolves the settings from flags/environment, the config file and defaults.
    pub fn load(overrides: &Overrides) -> anyhow::Result<Config> {
        let file = match &overrides.config {
            Some(path) => read_file(path)?,
            None if Path::new("appreg.toml").exists() => read_file(Path::new("appreg.toml"))?,
            None => FileConfig::default(),
        };
        let site = crate::site::settings()?;
        let address_text = overrides
            .address
            .clone()
            .or(file.address)
            .unwrap_or_else(|| site.site_addr.to_string());
        let address: SocketAddr = address_text.parse().with_context(|| {
            format!("the address '{address_text}' is not IP:port (for example 127.0.0.1:3000)")
        })?;
        let data_dir = overrides
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("data"));
        let database_url = overrides
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("appreg.sqlite").display()));
        if crate::store::Backend::of_url(&database_url).is_none() {
            bail!(
                "the database URL '{}' is not supported: {}",
                crate::store::redacted(&database_url),
                crate::store::SUPPORTED_URLS
            );
        }
        let public_url = overrides
            .public_url
            .clone()
            .or(file.public_url)
            .map(|url| url.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("http://{address}"));
        let mail_from = overrides
            .mail_from
            .clone()
            .or(file.mail_from)
            .unwrap_or_else(|| default_mail_from(&public_url));
        let outbox_dir = overrides
            .outbox_dir
            .clone()
            .or(file.outbox_dir)
            .unwrap_or_else(|| data_dir.join("outbox"));
        let tenant_text = overrides
            .tenant_id
            .clone()
            .or(file.tenant_id)
            .unwrap_or_else(|| registration::implementation::NHSMAIL_TENANT_ID.to_string());
        let tenant_id =
            registration::implementation::parse_guid(tenant_text.trim()).with_context(|| {
                format!(
                    "the tenant ID '{tenant_text}' is not a GUID (for example {})",
                    registration::implementation::NHSMAIL_TENANT_ID
                )
            })?;
        let oidc = oidc_settings(
            OidcSources {
                issuer: overrides.oidc_issuer.clone().or(file.oidc_issuer),
                client_id: overrides.oidc_client_id.clone().or(file.oidc_client_id),
                client_secret: overrides
                    .oidc_client_secret
                    .clone()
                    .or(file.oidc_client_secret),
                private_key: overrides.oidc_private_key.clone().or(file.oidc_private_key),
            },
            &public_url,
        )?;
        let local_sign_in = overrides
            .local_sign_in
            .or(file.local_sign_in)
            .unwrap_or(true);
        if !local_sign_in && oidc.is_none() {
            bail!(
                "local sign-in is off and no OpenID provider is set: no one could sign in (set oidc_issuer, or local_sign_in = true)"
            );
        }
        Ok(Config {
            oidc,
            local_sign_in,
            tenant_id,
            address,
            data_dir,
            database_url,
            site_root: overrides
                .site_root
                .clone()
                .or(file.site_root)
                .unwrap_or_else(|| PathBuf::from(site.site_root.as_ref())),
            site,
            log_format: overrides.log_format.or(file.log_format).unwrap_or_default(),
            log_filter: std::env::var("APPREG_LOG")
                .ok()
                .or(file.log)
                .unwrap_or_else(|| "info".into()),
            public_url,
            mail_from,
            smtp_url: overrides.smtp_url.clone().or(file.smtp_url),
            outbox_dir,
            checkpoint_every: overrides
                .checkpoint_every
                .or(file.checkpoint_every)
                .unwrap_or(crate::store::checkpoints::DEFAULT_EVERY),
            reviewer_notices: overrides
                .reviewer_notices
                .or(file.reviewer_notices)
                .unwrap_or_default(),
        })
    }
}

/// The `oidc_*` settings as given.
struct OidcSources {
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    private_key: Option<PathBuf>,
}

/// Sign-in with an OpenID provider, when its issuer is set: its client id and exactly one of
/// a client secret and a private key are then required (the key file is read now, so a
/// mistake stops the desk at start, not at someone's sign-in).
fn oidc_settings(
    given: OidcSources,
    public_url: &str,
) -> anyhow::Result<Option<crate::identity::oidc::OidcSettings>> {
    use crate::identity::oidc::{CertificateKey, ClientAuth, OidcSettings};
    let non_empty = |value: Option<String>| value.filter(|value| !value.trim().is_empty());
    let Some(issuer) = non_empty(given.issuer) else {
        if given.client_id.is_some() || given.client_secret.is_some() || given.private_key.is_some()
        {
            bail!(
                "an OIDC client id, secret or private key is set without oidc_issuer: set the issuer too"
            );
        }
        return Ok(None);
    };
    let client_id = non_empty(given.client_id).with_context(
        || "oidc_issuer is set without oidc_client_id: set the desk's application (client) id",
    )?;
    let client_auth = match (non_empty(given.client_secret), given.private_key) {
        (Some(secret), None) => ClientAuth::Secret(secret),
        (None, Some(path)) => {
            ClientAuth::PrivateKey(std::sync::Arc::new(CertificateKey::from_pem_file(&path)?))
        }
        (Some(_), Some(_)) => bail!(
            "both oidc_client_secret and oidc_private_key are set: keep one (the private key, for NHSmail)"
        ),
        (None, None) => bail!(
            "oidc_issuer is set without oidc_client_secret or oidc_private_key: set one (NHSmail asks for a certificate: oidc_private_key)"
        ),
    };
    let settings = OidcSettings {
        issuer: issuer.trim().to_string(),
        client_id: client_id.trim().to_string(),
        client_auth,
        public_url: public_url.to_string(),
    };
    // The URLs are checked now, not at the first sign-in.
    crate::identity::oidc::NhsmailSignIn::new(settings.clone())?;
    Ok(Some(settings))
}

/// `appreg@<host of the public URL>`, or `appreg@localhost` when that host is an IP address or missing
/// (an address literal is not a usable mail domain).
fn default_mail_from(public_url: &str) -> String {
    let host = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    let host = if host.starts_with('[') {
        ""
    } else {
        host.split(':').next().unwrap_or("")
    };
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
        "appreg@localhost".into()
    } else {
        format!("appreg@{host}")
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("the config file {} is not valid", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_serve_on_loopback_with_sqlite_in_data() {
        let config = Config::load(&Overrides::default()).unwrap();
        assert_eq!(config.address.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url, "sqlite://data/appreg.sqlite");
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.public_url, "http://127.0.0.1:3000");
    }

    #[test]
    fn the_public_url_names_the_records_issuer() {
        let overrides = Overrides {
            public_url: Some("https://appreg.nhs.net/".into()),
            ..Overrides::default()
        };
        assert_eq!(
            Config::load(&overrides).unwrap().public_url,
            "https://appreg.nhs.net"
        );
    }

    #[test]
    fn file_values_apply_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("appreg.toml");
        std::fs::write(
            &path,
            "address = \"127.0.0.1:4000\"\ndata_dir = \"/var/lib/appreg\"\nlog_format = \"json\"\n",
        )
        .unwrap();
        let mut overrides = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let config = Config::load(&overrides).unwrap();
        assert_eq!(config.address.port(), 4000);
        assert_eq!(
            config.database_url,
            "sqlite:///var/lib/appreg/appreg.sqlite"
        );
        assert_eq!(config.log_format, LogFormat::Json);
        overrides.address = Some("127.0.0.1:5000".into());
        assert_eq!(Config::load(&overrides).unwrap().address.port(), 5000);
    }

    #[test]
    fn reviewers_are_told_of_each_arrival_unless_the_desk_sends_a_digest_or_nothing() {
        assert_eq!(
            Config::load(&Overrides::default())
                .unwrap()
                .reviewer_notices,
            crate::reviewer_notices::ReviewerNotices::Each
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("appreg.toml");
        std::fs::write(&path, "reviewer_notices = \"daily\"\n").unwrap();
        let mut overrides = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        assert_eq!(
            Config::load(&overrides).unwrap().reviewer_notices,
            crate::reviewer_notices::ReviewerNotices::Daily
        );
        overrides.reviewer_notices = Some(crate::reviewer_notices::ReviewerNotices::Off);
        assert_eq!(
            Config::load(&overrides).unwrap().reviewer_notices,
            crate::reviewer_notices::ReviewerNotices::Off
        );
    }

    #[test]
    fn nhsmail_sign_in_needs_a_client_id_and_one_credential_and_says_which_setting_to_fix() {
        let fails = |overrides: Overrides| format!("{:#}", Config::load(&overrides).unwrap_err());
        let issuer = || {
            Some(
                "https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/v2.0"
                    .to_string(),
            )
        };
        // Off unless the issuer is set; local passwords on by default.
        let config = Config::load(&Overrides::default()).unwrap();
        assert!(config.oidc.is_none());
        assert!(config.local_sign_in);
        assert!(
            fails(Overrides {
                oidc_issuer: issuer(),
                ..Overrides::default()
            })
            .contains("oidc_client_id")
        );
        assert!(
            fails(Overrides {
                oidc_issuer: issuer(),
                oidc_client_id: Some("c1".into()),
                ..Overrides::default()
            })
            .contains("oidc_client_secret or oidc_private_key")
        );
        assert!(
            fails(Overrides {
                oidc_issuer: issuer(),
                oidc_client_id: Some("c1".into()),
                oidc_client_secret: Some("s".into()),
                oidc_private_key: Some("/nowhere.pem".into()),
                ..Overrides::default()
            })
            .contains("keep one")
        );
        assert!(
            fails(Overrides {
                oidc_issuer: Some("http://login.example.com/tenant/v2.0".into()),
                oidc_client_id: Some("c1".into()),
                oidc_client_secret: Some("s".into()),
                ..Overrides::default()
            })
            .contains("must be an https:// URL")
        );
        assert!(
            fails(Overrides {
                oidc_client_secret: Some("s".into()),
                ..Overrides::default()
            })
            .contains("without oidc_issuer")
        );
        // A key file without its certificate is refused at start, naming the file.
        let dir = tempfile::tempdir().unwrap();
        let key_only = dir.path().join("key.pem");
        std::fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../registration/tests/fixtures/certificates/rsa2048.key"
            ),
            &key_only,
        )
        .unwrap();
        let message = fails(Overrides {
            oidc_issuer: issuer(),
            oidc_client_id: Some("c1".into()),
            oidc_private_key: Some(key_only),
            ..Overrides::default()
        });
        assert!(
            message.contains("key.pem") && message.contains("no CERTIFICATE"),
            "{message}"
        );
        // Local sign-in off needs the provider, or no one could sign in.
        assert!(
            fails(Overrides {
                local_sign_in: Some(false),
                ..Overrides::default()
            })
            .contains("no one could sign in")
        );
        let config = Config::load(&Overrides {
            oidc_issuer: issuer(),
            oidc_client_id: Some("c1".into()),
            oidc_private_key: Some(
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../registration/tests/fixtures/certificates/key_then_cert.pem"
                )
                .into(),
            ),
            local_sign_in: Some(false),
            ..Overrides::default()
        })
        .unwrap();
        assert!(!config.local_sign_in);
        let oidc = config.oidc.unwrap();
        assert_eq!(oidc.client_id, "c1");
        // Its Debug never shows a secret.
        let shown = format!(
            "{:?}",
            Config::load(&Overrides {
                oidc_issuer: issuer(),
                oidc_client_id: Some("c1".into()),
                oidc_client_secret: Some("very-secret-value".into()),
                ..Overrides::default()
            })
            .unwrap()
        );
        assert!(!shown.contains("very-secret-value"), "{shown}");
    }

    #[test]
    fn unknown_file_keys_and_bad_addresses_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("appreg.toml");
        std::fs::write(&path, "adress = \"x\"\n").unwrap();
        let error = Config::load(&Overrides {
            config: Some(path),
            ..Overrides::default()
        })
        .unwrap_err();
        assert!(format!("{error:#}").contains("adress"), "{error:#}");
        let error = Config::load(&Overrides {
            address: Some("localhost".into()),
            ..Overrides::default()
        })
        .unwrap_err();
        assert!(error.to_string().contains("IP:port"));
    }

    #[test]
    fn mail_defaults_to_the_outbox_under_the_data_dir_from_the_public_host() {
        let config = Config::load(&Overrides {
            data_dir: Some("/var/lib/appreg".into()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(config.mail_from, "appreg@localhost");
        assert_eq!(config.smtp_url, None);
        assert_eq!(config.outbox_dir, PathBuf::from("/var/lib/appreg/outbox"));
        let config = Config::load(&Overrides {
            public_url: Some("https://appreg.nhs.net:8443/desk/".into()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(config.mail_from, "appreg@appreg.nhs.net");
    }

    #[test]
    fn mail_settings_come_from_the_file_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("appreg.toml");
        std::fs::write(
            &path,
            "mail_from = \"desk@file.nhs.uk\"\n\
             smtp_url = \"smtps://desk:file-secret@smtp.file.nhs.uk:465\"\n\
             outbox_dir = \"/srv/file-outbox\"\n",
        )
        .unwrap();
        let mut overrides = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let config = Config::load(&overrides).unwrap();
        assert_eq!(config.mail_from, "desk@file.nhs.uk");
        assert_eq!(
            config.smtp_url.as_ref().map(SmtpUrl::expose),
            Some("smtps://desk:file-secret@smtp.file.nhs.uk:465")
        );
        assert_eq!(config.outbox_dir, PathBuf::from("/srv/file-outbox"));
        overrides.mail_from = Some("desk@flag.nhs.uk".into());
        overrides.smtp_url = Some("smtp://smtp.flag.nhs.uk:25?tls=required".parse().unwrap());
        overrides.outbox_dir = Some("/srv/flag-outbox".into());
        let config = Config::load(&overrides).unwrap();
        assert_eq!(config.mail_from, "desk@flag.nhs.uk");
        assert_eq!(
            config.smtp_url.as_ref().map(SmtpUrl::expose),
            Some("smtp://smtp.flag.nhs.uk:25?tls=required")
        );
        assert_eq!(config.outbox_dir, PathBuf::from("/srv/flag-outbox"));
    }

    /// The command line as the binary parses it, so flags and environment go through clap.
    #[derive(clap::Parser)]
    struct CommandLine {
        #[command(flatten)]
        overrides: Overrides,
    }

    /// Run by `the_environment_beats_the_file_and_flags_beat_the_environment` in a child process
    /// with APPREG_* set, because changing this process's environment would race other tests.
    #[test]
    #[ignore = "run in a child process with APPREG_* set"]
    fn environment_child() {
        use clap::Parser;
        let overrides = CommandLine::try_parse_from(["appreg"]).unwrap().overrides;
        let config = Config::load(&overrides).unwrap();
        assert_eq!(config.mail_from, "desk@env.nhs.uk");
        assert_eq!(
            config.smtp_url.as_ref().map(SmtpUrl::expose),
            Some("smtps://desk:env-secret@smtp.env.nhs.uk:465")
        );
        assert_eq!(config.outbox_dir, PathBuf::from("/srv/env-outbox"));
        let overrides = CommandLine::try_parse_from([
            "appreg",
            "--mail-from",
            "desk@flag.nhs.uk",
            "--smtp-url",
            "smtp://smtp.flag.nhs.uk:25",
            "--outbox-dir",
            "/srv/flag-outbox",
        ])
        .unwrap()
        .overrides;
        let config = Config::load(&overrides).unwrap();
        assert_eq!(config.mail_from, "desk@flag.nhs.uk");
        assert_eq!(
            config.smtp_url.as_ref().map(SmtpUrl::expose),
            Some("smtp://smtp.flag.nhs.uk:25")
        );
        assert_eq!(config.outbox_dir, PathBuf::from("/srv/flag-outbox"));
    }

    #[test]
    fn the_environment_beats_the_file_and_flags_beat_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("appreg.toml");
        std::fs::write(
            &path,
            "mail_from = \"desk@file.nhs.uk\"\nsmtp_url = \"smtp://smtp.file.nhs.uk\"\noutbox_dir = \"/srv/file-outbox\"\n",
        )
        .unwrap();
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "config::tests::environment_child",
                "--exact",
                "--ignored",
                "--test-threads=1",
            ])
            .env("APPREG_CONFIG", &path)
            .env("APPREG_MAIL_FROM", "desk@env.nhs.uk")
            .env(
                "APPREG_SMTP_URL",
                "smtps://desk:env-secret@smtp.env.nhs.uk:465",
            )
            .env("APPREG_OUTBOX_DIR", "/srv/env-outbox")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        assert!(stdout.contains("test result: ok. 1 passed"), "{stdout}");
    }

    #[test]
    fn the_smtp_and_database_passwords_never_show_in_debug_or_display() {
        let url: SmtpUrl = "smtps://desk%40trust:p%40ss@smtp.example.nhs.uk:465/ehlo?x=1"
            .parse()
            .unwrap();
        assert_eq!(
            url.to_string(),
            "smtps://desk%40trust:***@smtp.example.nhs.uk:465/ehlo?x=1"
        );
        let config = Config::load(&Overrides {
            smtp_url: Some(url),
            ..Overrides::default()
        })
        .unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("p%40ss"), "{debug}");
        let config = Config::load(&Overrides {
            database_url: Some("postgres://appreg:s3cret@db.internal/appreg".into()),
            ..Overrides::default()
        })
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://appreg:***@db.internal/appreg"),
            "{shown}"
        );
        assert!(
            debug.contains("smtps://desk%40trust:***@smtp.example.nhs.uk:465"),
            "{debug}"
        );
        let without_password: SmtpUrl = "smtp://relay.internal:25".parse().unwrap();
        assert_eq!(without_password.to_string(), "smtp://relay.internal:25");
    }
}
