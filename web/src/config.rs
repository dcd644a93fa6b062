//! The `[web]` settings section.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

/// Where the portal listens.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSettings {
    pub host: IpAddr,
    /// 0 lets the system choose a free port (tests do).
    pub port: u16,
    /// How long a shutdown waits for requests in flight, in seconds.
    pub shutdown_grace_secs: u64,
    /// The portal's address as people reach it, for links in messages (unsubscribe links).
    pub public_url: String,
    /// `/metrics`: `"off"` (the default), or `"public"`; a `metrics_token` opens it to
    /// whoever sends it as a bearer token.
    pub metrics: MetricsSetting,
    /// A secret (set it through `HDND_WEB__METRICS_TOKEN`); never written back out.
    #[serde(skip_serializing)]
    pub metrics_token: Option<String>,
}

/// `[web] metrics`
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricsSetting {
    #[default]
    Off,
    Public,
}

impl WebSettings {
    /// Who may read `/metrics` under these settings.
    pub fn metrics_access(&self) -> crate::MetricsAccess {
        match (&self.metrics_token, self.metrics) {
            (_, MetricsSetting::Public) => crate::MetricsAccess::Public,
            (Some(token), MetricsSetting::Off) if !token.is_empty() => {
                crate::MetricsAccess::Token(token.clone())
            }
            _ => crate::MetricsAccess::Off,
        }
    }
}

impl std::fmt::Debug for WebSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("public_url", &self.public_url)
            .field("metrics", &self.metrics)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "…"))
            .finish()
    }
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            shutdown_grace_secs: 30,
            public_url: "http://127.0.0.1:8080".to_owned(),
            metrics: MetricsSetting::Off,
            metrics_token: None,
        }
    }
}
