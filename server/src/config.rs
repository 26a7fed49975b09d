//! Configuration: command-line flags over environment variables over the config file over defaults.
//!
//! | setting      | flag             | environment          | file key       | default                              |
//! |--------------|------------------|----------------------|----------------|--------------------------------------|
//! | address      | `--address`      | `APPREG_ADDRESS`     | `address`      | `127.0.0.1:3000`                     |
//! | data dir     | `--data-dir`     | `APPREG_DATA_DIR`    | `data_dir`     | `data`                               |
//! | database URL | `--database-url` | `APPREG_DATABASE_URL`| `database_url` | `sqlite://<data dir>/appreg.sqlite`  |
//! | site root    | `--site-root`    | `APPREG_SITE_ROOT`   | `site_root`    | `target/site`                        |
//! | log format   | `--log-format`   | `APPREG_LOG_FORMAT`  | `log_format`   | `text` (or `json`)                   |
//! | log filter   |                  | `APPREG_LOG`         | `log`          | `info`                               |
//! | public URL   | `--public-url`   | `APPREG_PUBLIC_URL`  | `public_url`   | `http://<address>` (the records' `iss`) |
//!
//! The config file is `appreg.toml` in the working directory, or the file named by
//! `--config` / `APPREG_CONFIG` (which must then exist).

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
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub address: SocketAddr,
    /// Directory for state.
    pub data_dir: PathBuf,
    /// Database URL.
    pub database_url: String,
    /// The built site.
    pub site_root: PathBuf,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter (tracing EnvFilter syntax).
    pub log_filter: String,
    /// The desk's public address (the `iss` of its signed records).
    pub public_url: String,
}

impl Config {
    /// Resolves the settings from flags/environment, the config file and defaults.
    pub fn load(overrides: &Overrides) -> anyhow::Result<Config> {
        let file = match &overrides.config {
            Some(path) => read_file(path)?,
            None if Path::new("appreg.toml").exists() => read_file(Path::new("appreg.toml"))?,
            None => FileConfig::default(),
        };
        let address_text = overrides
            .address
            .clone()
            .or(file.address)
            .unwrap_or_else(|| "127.0.0.1:3000".into());
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
        if !database_url.starts_with("sqlite:") {
            bail!("the database URL '{database_url}' is not supported: use sqlite://PATH");
        }
        Ok(Config {
            address,
            data_dir,
            database_url,
            site_root: overrides
                .site_root
                .clone()
                .or(file.site_root)
                .unwrap_or_else(|| PathBuf::from("target/site")),
            log_format: overrides.log_format.or(file.log_format).unwrap_or_default(),
            log_filter: std::env::var("APPREG_LOG")
                .ok()
                .or(file.log)
                .unwrap_or_else(|| "info".into()),
            public_url: overrides
                .public_url
                .clone()
                .or(file.public_url)
                .map(|url| url.trim_end_matches('/').to_string())
                .unwrap_or_else(|| format!("http://{address}")),
        })
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
}
