//! The `[web]` settings section.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

/// Where the portal listens.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSettings {
    pub host: IpAddr,
    /// 0 lets the system choose a free port (tests do).
    pub port: u16,
    /// How long a shutdown waits for requests in flight, in seconds.
    pub shutdown_grace_secs: u64,
    /// The portal's address as people reach it, for links in messages (unsubscribe links).
    pub public_url: String,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            shutdown_grace_secs: 30,
            public_url: "http://127.0.0.1:8080".to_owned(),
        }
    }
}
