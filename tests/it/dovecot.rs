//! A Dovecot of the test's own (Debian's `dovecot-imapd`, which `.ci/run` installs): plain IMAP
//! on a free loopback port, one account in a passwd file, the mail in a maildir under a temp
//! folder; stopped on drop. Without Dovecot the tests that need it are skipped with a note,
//! unless HDND_REQUIRE_DOVECOT=1 makes that a failure.
//!
//! Also a client for what the tests do to the mailbox besides hdnd: APPEND a mail, read a
//! mail's flags, take `\Seen` away again.

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use async_imap::Session;
use futures_util::TryStreamExt;
use tokio::net::TcpStream;

/// The test account.
pub(crate) const USER: &str = "hop-thu@test.local";
/// Its password: distinctive, so a test can look for it in hdnd's log.
pub(crate) const PASSWORD: &str = "mat-khau-hop-thu-7f3a";

/// A running Dovecot.
pub(crate) struct Dovecot {
    pub(crate) addr: SocketAddr,
    master: std::process::Child,
    dir: tempfile::TempDir,
}

impl Dovecot {
    /// Starts one, or `None` when Dovecot is not installed (or this user cannot run it).
    pub(crate) async fn start() -> Option<Dovecot> {
        let Some(binary) = find_binary() else {
            skipped("no dovecot in PATH or /usr/sbin");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        // Dovecot reads the mail as `nobody`, here as anywhere: only root can start it so.
        if std::fs::metadata(dir.path()).unwrap().uid() != 0 {
            skipped("Dovecot's test instance must be started as root");
            return None;
        }
        // The mail processes run as nobody and must get through the temp folder (0700).
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = free_port();
        let root = dir.path().display();
        std::fs::write(
            dir.path().join("dovecot.conf"),
            format!(
                "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {root}/run\nstate_dir = {root}/state\n\
                 log_path = {root}/dovecot.log\ninfo_log_path = {root}/dovecot.log\nssl = no\n\
                 disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
                 mail_location = maildir:{root}/mail/%u\nfirst_valid_uid = 65534\n\
                 passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {root}/users\n}}\n\
                 userdb {{\n  driver = static\n  args = uid=65534 gid=65534 home={root}/mail/%u\n}}\n\
                 service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n\
                 inet_listener imaps {{\n    port = 0\n  }}\n}}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("users"),
            format!("{USER}:{{PLAIN}}{PASSWORD}\n"),
        )
        .unwrap();
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).unwrap();
        std::os::unix::fs::chown(&mail, Some(65534), Some(65534)).unwrap();
        // In the foreground, so that the test owns the process; its stdio goes nowhere, since
        // Dovecot keeps an inherited pipe open.
        let master = std::process::Command::new(binary)
            .args(["-F", "-c"])
            .arg(dir.path().join("dovecot.conf"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let dovecot = Dovecot {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            master,
            dir,
        };
        dovecot.until_it_answers().await;
        Some(dovecot)
    }

    async fn until_it_answers(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect(self.addr).await.is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Dovecot did not answer on {}:\n{}",
                self.addr,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Dovecot's own log.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// A session of the test account, with INBOX selected.
    pub(crate) async fn session(&self) -> Session<TcpStream> {
        let mut client = async_imap::Client::new(TcpStream::connect(self.addr).await.unwrap());
        client.read_response().await.unwrap().expect("a greeting");
        let mut session = client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap();
        session.select("INBOX").await.unwrap();
        session
    }

    /// Puts `raw` in INBOX, unread, as a mail server delivering it would.
    pub(crate) async fn deliver(&self, raw: &str) {
        let mut session = self.session().await;
        session.append("INBOX", None, None, raw).await.unwrap();
        session.logout().await.unwrap();
    }

    /// The UIDs of INBOX's mails without and with `\Seen`.
    pub(crate) async fn unseen_and_seen(&self) -> (Vec<u32>, Vec<u32>) {
        let mut session = self.session().await;
        let sorted = |set: std::collections::HashSet<u32>| {
            let mut all: Vec<u32> = set.into_iter().collect();
            all.sort_unstable();
            all
        };
        let unseen = sorted(session.uid_search("UNSEEN").await.unwrap());
        let seen = sorted(session.uid_search("SEEN").await.unwrap());
        session.logout().await.unwrap();
        (unseen, seen)
    }

    /// Takes `\Seen` from every mail of INBOX: the state after a crash that stored them but
    /// never got to flag them.
    pub(crate) async fn mark_all_unread(&self) {
        let mut session = self.session().await;
        session
            .uid_store("1:*", "-FLAGS (\\Seen)")
            .await
            .unwrap()
            .try_collect::<Vec<_>>()
            .await
            .unwrap();
        session.logout().await.unwrap();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM, so that the master stops its login and auth processes too.
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.master.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.master.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.master.kill();
        let _ = self.master.wait();
    }
}

fn find_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("dovecot"))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

fn skipped(why: &str) {
    if std::env::var("HDND_REQUIRE_DOVECOT").is_ok_and(|v| v == "1") {
        panic!("HDND_REQUIRE_DOVECOT=1 but the IMAP tests cannot run: {why}");
    }
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Written to the real stderr, past libtest's capture, so `cargo test` shows it.
        let _ = writeln!(
            std::io::stderr(),
            "note: IMAP tests skipped ({why}; `apt-get install dovecot-imapd` runs them)"
        );
    });
}
