//! The one typed configuration: defaults ← `maecenas.toml` (or `--config FILE`) ← `MAECENAS_*`
//! environment ← command-line flags. Unknown keys stop startup with the key named.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use maecenas_core::RateLimitConfig;
use maecenas_realtime::RealtimeSettings;
use maecenas_web::Limits;
use maecenas_webhooks::WebhookConfig;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

/// Everything Maecenas can be configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// The URL people and clients reach this server at; defaults to `http://<bind>`.
    pub public_url: Option<Url>,
    /// Where the SQLite database (by default) and generated secrets live.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; defaults to `sqlite://<data_dir>/maecenas.db`.
    pub database_url: Option<String>,
    /// 64 hex characters (32 bytes) from which signing keys are derived; generated into
    /// `<data_dir>/secret.key` on first start when not given.
    #[serde(serialize_with = "redacted")]
    pub secret_key: Option<SecretString>,
    /// Logging.
    pub log: LogConfig,
    /// Resource limits.
    pub limits: Limits,
    /// Request rates (GCRA, per instance).
    pub rate_limits: RateLimitConfig,
    /// Webhook delivery: retry schedule, timeout, SSRF allow-list.
    pub webhooks: WebhookConfig,
    /// The real-time server: Redis for several instances, allowed browser origins.
    pub realtime: RealtimeSettings,
}

/// Log settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A `tracing` filter, e.g. `info` or `maecenas=debug,info`.
    pub level: String,
    /// `text` or `json`.
    pub format: LogFormat,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            data_dir: PathBuf::from("./maecenas-data"),
            database_url: None,
            secret_key: None,
            log: LogConfig::default(),
            limits: Limits::default(),
            rate_limits: RateLimitConfig::default(),
            webhooks: WebhookConfig::default(),
            realtime: RealtimeSettings::default(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".to_owned(),
            format: LogFormat::Text,
        }
    }
}

fn redacted<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_some("<redacted>"),
        None => s.serialize_none(),
    }
}

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Config {
    /// Builds the configuration from its layers and validates it. `file` is `--config`; without
    /// it `./maecenas.toml` is read if present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => bail!("config file {} does not exist", path.display()),
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => figment = figment.merge(Toml::file("maecenas.toml")),
        }
        // MAECENAS_TEST_* belong to the test suite, not to the server.
        let env = Env::prefixed("MAECENAS_")
            .split("__")
            .filter(|key| !key.as_str().starts_with("test_"));
        let config: Config = figment
            .merge(env)
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|err| anyhow::anyhow!(describe(err)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.limits.validate().map_err(anyhow::Error::msg)?;
        self.rate_limits.validate().map_err(anyhow::Error::msg)?;
        self.webhooks.validate().map_err(anyhow::Error::msg)?;
        self.realtime.validate().map_err(anyhow::Error::msg)?;
        if let Some(url) = self
            .public_url
            .as_ref()
            .filter(|u| !matches!(u.scheme(), "http" | "https") || u.host().is_none())
        {
            bail!("public_url must be an absolute http(s) URL, got {url}");
        }
        if let Some(key) = &self.secret_key {
            parse_key(key.expose_secret()).context("secret_key")?;
        }
        Ok(())
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("maecenas.db").display()))
    }

    /// The public URL, defaulting to the bind address.
    pub fn public_url(&self) -> anyhow::Result<Url> {
        if let Some(url) = &self.public_url {
            return Ok(url.clone());
        }
        let ip = if self.bind.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            self.bind.ip()
        };
        Ok(Url::parse(&format!(
            "http://{}/",
            SocketAddr::new(ip, self.bind.port())
        ))?)
    }

    /// The secret key: configured, or read from (or generated into) `<data_dir>/secret.key`.
    pub fn secret_key(&self) -> anyhow::Result<[u8; 32]> {
        if let Some(key) = &self.secret_key {
            return parse_key(key.expose_secret());
        }
        let path = self.data_dir.join("secret.key");
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            return parse_key(text.trim()).with_context(|| format!("in {}", path.display()));
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating {}", self.data_dir.display()))?;
        let key: [u8; 32] = rand::random();
        write_private(&path, &hex::encode(key))?;
        tracing::info!(path = %path.display(), "generated a new secret key");
        Ok(key)
    }
}

fn parse_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(text).context("must be 64 hex characters")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("must be 64 hex characters (32 bytes)"))
}

/// Writes a file readable only by its owner.
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Figment's errors, one line each, with the offending key named.
fn describe(err: figment::Error) -> String {
    err.into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| m.name.to_string())
                .unwrap_or_default();
            let origin = if source.is_empty() {
                String::new()
            } else {
                format!(" (from {source})")
            };
            match &e.kind {
                figment::error::Kind::UnknownField(field, _) => {
                    let full = if key.is_empty() {
                        field.clone()
                    } else {
                        key.clone()
                    };
                    format!("unknown configuration key `{full}`{origin}")
                }
                _ if key.is_empty() => format!("invalid configuration{origin}: {}", e.kind),
                _ => format!("invalid configuration key `{key}`{origin}: {}", e.kind),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
