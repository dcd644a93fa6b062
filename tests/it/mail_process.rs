//! `hdnd serve` as the mail tests run it: one process on a database, its outgoing mail to an
//! SMTP sink, the mail coming in configured by the test (`[email.inbound]` and its sections),
//! every line it logs kept in a file to wait for and to check for secrets.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::smtp::SmtpSink;

pub(crate) const MAILBOX: &str = "hdnd@hongbang.example";
pub(crate) const WAIT: Duration = Duration::from_secs(30);

pub(crate) struct MailProcess {
    child: tokio::process::Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl MailProcess {
    /// With `contact_key` as every instance's, and `inbound` the config's mail-in sections.
    pub(crate) fn start(
        database_url: &str,
        contact_key: &str,
        sink: &SmtpSink,
        inbound: &str,
    ) -> MailProcess {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("hdnd.toml");
        std::fs::write(
            &config,
            format!(
                "demo = false\n\n[web]\npublic_url = \"https://hdnd.hongbang.example\"\n\n\
                 [email]\nmailbox = \"{MAILBOX}\"\n\n\
                 [email.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\ntimeout_secs = 5\n\n\
                 {inbound}\n\n\
                 [delivery]\npoll_interval_ms = 50\n\n[inbound]\npoll_interval_ms = 50\n",
                sink.addr.port()
            ),
        )
        .unwrap();
        let log = dir.path().join("hdnd.log");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hdnd"))
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("HDND_CONFIG")
            .env("HDND_DATABASE__URL", database_url)
            .env("HDND_CITIZENS__CONTACT_KEY", contact_key)
            .env("RUST_LOG", "info,hdnd_mail=debug,hdnd_hub=debug,sqlx=warn")
            .args(["--config", config.to_str().unwrap(), "serve", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        MailProcess {
            child,
            log,
            _dir: dir,
        }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log holds `line`, and returns the log from there on.
    pub(crate) async fn until_logged(&mut self, line: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let log = self.log();
            if let Some(at) = log.find(line) {
                return log[at + line.len()..].to_owned();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("hdnd exited ({status}):\n{log}");
            }
            assert!(Instant::now() < deadline, "never logged {line:?}:\n{log}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no clean-up of any kind.
    pub(crate) async fn kill(mut self) -> String {
        self.child.kill().await.unwrap();
        self.log()
    }

    /// The log shows none of `secrets`.
    pub(crate) fn assert_log_hides(&self, secrets: &[&str]) {
        let log = self.log();
        for secret in secrets {
            assert!(!log.contains(secret), "the log shows {secret:?}:\n{log}");
        }
    }
}
