//! Settings: built-in defaults, then `config/hdnd.toml` (or `--config`), then
//! `HDND_<SECTION>__<KEY>[__<SUBKEY>…]` variables, one for every key of the file at any depth
//! (and `DATABASE_URL`, the usual alias of `HDND_DATABASE__URL`), then `--port`.
//!
//! A bad value in the file is reported with the file, the key and the line; a bad variable
//! with its name. Defaults need no file at all. A variable's type is the type of its key: the
//! text is tried as a number, boolean or list first, and as a string last.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use hdnd_bot::TelegramSettings;
use hdnd_hub::config::{CitizenSettings, DatabaseSettings};
use hdnd_hub::delivery::email::EmailSettings;
use hdnd_hub::delivery::worker::DeliverySettings;
use hdnd_hub::files::FileSettings;
use hdnd_hub::inbound::InboundSettings;
use hdnd_hub::schedule::ScheduleSettings;
use hdnd_hub::toml_file::{FileError, Locator};
use hdnd_web::WebSettings;
use serde::{Deserialize, Serialize};

/// The process environment, or a test's stand-in for it.
pub(crate) type Vars = HashMap<String, String>;

/// Where the settings file is looked for when none is named.
pub(crate) const DEFAULT_FILE: &str = "config/hdnd.toml";

/// Everything `hdnd` is configured with.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// Seed the demo council's data into an empty database. Defaults to true when no settings
    /// file exists, so that `cargo run --release` alone shows a populated portal.
    pub(crate) demo: Option<bool>,
    #[serde(default)]
    pub(crate) database: DatabaseSettings,
    #[serde(default)]
    pub(crate) web: WebSettings,
    #[serde(default)]
    pub(crate) council: CouncilSettings,
    #[serde(default)]
    pub(crate) templates: TemplateSettings,
    #[serde(default)]
    pub(crate) email: EmailSettings,
    #[serde(default)]
    pub(crate) delivery: DeliverySettings,
    #[serde(default)]
    pub(crate) schedule: ScheduleSettings,
    #[serde(default)]
    pub(crate) inbound: InboundSettings,
    #[serde(default)]
    pub(crate) citizens: CitizenSettings,
    #[serde(default)]
    pub(crate) files: FileSettings,
    #[serde(default)]
    pub(crate) telegram: TelegramSettings,
    #[serde(default)]
    pub(crate) log: LogSettings,
    /// The file the settings were read from, if any.
    #[serde(skip)]
    pub(crate) file: Option<PathBuf>,
    /// Its text, to find the line of a key that a later check refuses.
    #[serde(skip)]
    text: Option<String>,
    /// The names of the setting variables that were set, which win over the file.
    #[serde(skip)]
    vars: BTreeSet<String>,
}

/// `[council]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct CouncilSettings {
    /// The council profile; the built-in demo profile when absent.
    pub(crate) profile: Option<PathBuf>,
}

/// `[templates]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct TemplateSettings {
    /// A folder whose `web/<name>.hbs` files replace the built-in templates.
    pub(crate) dir: PathBuf,
}

impl Default for TemplateSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("templates"),
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct LogSettings {
    /// A tracing filter such as `info,sqlx=warn`; `RUST_LOG` overrides it. Unset, `serve`
    /// logs at info and the one-shot commands at warn.
    pub(crate) filter: Option<String>,
}

/// What `serve` logs when `[log] filter` is unset: its start, its workers, its stop.
const SERVE_FILTER: &str = "info,sqlx=warn,tower_http=warn";

/// What a one-shot command logs when `[log] filter` is unset: only what went wrong, so that
/// its standard output is its answer and its standard error is quiet on success.
const COMMAND_FILTER: &str = "warn";

impl LogSettings {
    /// The configured filter, or the default for a server or a one-shot command.
    pub(crate) fn filter(&self, serving: bool) -> &str {
        match &self.filter {
            Some(filter) => filter,
            None if serving => SERVE_FILTER,
            None => COMMAND_FILTER,
        }
    }
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SettingsError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{var}: {message}")]
    Env { var: String, message: String },
    #[error("cannot read the settings file {path}: {message}")]
    Read { path: String, message: String },
}

impl Settings {
    /// Whether to seed the demo data.
    pub(crate) fn demo(&self) -> bool {
        self.demo.unwrap_or(self.file.is_none())
    }

    /// Loads the layers. `file` is `--config` (which must exist); `env` reads a variable.
    pub(crate) fn load(
        file: Option<&Path>,
        port: Option<u16>,
        vars: &Vars,
    ) -> Result<Settings, SettingsError> {
        let path = match file {
            Some(path) => Some(path.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.is_file()),
        };
        let (mut table, text) = match &path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Read {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                let name = path.display().to_string();
                let at = Locator::new(&name, &text);
                // Typed first, so that a bad value in the file is reported with its line.
                toml::from_str::<Settings>(&text).map_err(|e| at.de_error(&e))?;
                let table: toml::Table = toml::from_str(&text).map_err(|e| at.de_error(&e))?;
                (table, Some(text))
            }
            None => (toml::Table::new(), None),
        };
        let overrides = env_overrides(vars)?;
        for o in &overrides {
            set(&mut table, &o.path, o.value.clone(), &o.var)?;
        }
        let mut settings = Settings::deserialize(table).map_err(|e| {
            // A variable may set one key of a section whose other keys are required (the
            // host of `[email.smtp]`): name that variable.
            let var = overrides
                .iter()
                .find(|o| o.incomplete)
                .map_or_else(|| "HDND_*".to_owned(), |o| o.var.clone());
            SettingsError::Env {
                var,
                message: e.message().trim().to_owned(),
            }
        })?;
        settings.file = path;
        settings.text = text;
        settings.vars = vars
            .keys()
            .filter(|k| k.starts_with("HDND_") || *k == "DATABASE_URL")
            .cloned()
            .collect();
        if let Some(port) = port {
            settings.web.port = port;
        }
        settings.check()?;
        Ok(settings)
    }

    /// The values serde cannot judge alone: URLs, cron and times, mailboxes, tokens, ranges.
    fn check(&self) -> Result<(), SettingsError> {
        let url = &self.database.url;
        let known = ["sqlite:", "postgres:", "postgresql:"];
        if !known.iter().any(|scheme| url.starts_with(scheme)) {
            let message = format!(
                "`{}` is not a database URL; use sqlite://data/hdnd.db or postgres://user@host/db",
                self.database.redacted_url()
            );
            return Err(self.value_error("database.url", message));
        }
        if let Err(e) = self.schedule.check() {
            let key = match e {
                hdnd_hub::schedule::ScheduleError::Cron(..) => "schedule.morning_digest",
                hdnd_hub::schedule::ScheduleError::Time(..) => "schedule.reminder_time",
            };
            return Err(self.value_error(key, e.to_string()));
        }
        let sections = [
            self.email.check(),
            self.telegram.check(),
            self.delivery.check(),
            self.inbound.check(),
        ];
        for result in sections {
            if let Err(e) = result {
                return Err(self.value_error(e.key, e.message));
            }
        }
        Ok(())
    }

    /// An error about a merged value at the dotted `key`: where it came from, file line or
    /// variable.
    pub(crate) fn value_error(&self, key: &str, message: String) -> SettingsError {
        let mut var = variable_name(key);
        if key == "database.url" && !self.vars.contains(&var) && self.vars.contains("DATABASE_URL")
        {
            var = "DATABASE_URL".to_owned();
        }
        match (&self.file, &self.text) {
            (Some(path), Some(text)) if !self.vars.contains(&var) => {
                let name = path.display().to_string();
                let at = Locator::new(&name, text);
                let (table, leaf) = key.rsplit_once('.').unwrap_or(("", key));
                FileError {
                    file: name.clone(),
                    key: key.to_owned(),
                    line: at.line_of_key(table, leaf),
                    message,
                }
                .into()
            }
            _ => SettingsError::Env { var, message },
        }
    }
}

/// `email.smtp.host` → `HDND_EMAIL__SMTP__HOST`; `demo` → `HDND_DEMO`.
pub(crate) fn variable_name(key: &str) -> String {
    format!("HDND_{}", key.to_uppercase().replace('.', "__"))
}

/// One setting from the environment.
struct Override {
    var: String,
    /// The dotted key as a path: `HDND_EMAIL__SMTP__HOST` → `["email", "smtp", "host"]`.
    path: Vec<String>,
    value: toml::Value,
    /// The value fits, but its section needs keys the variable does not give.
    incomplete: bool,
}

/// The `HDND_<SECTION>__<KEY>[__<SUBKEY>…]` variables, and `DATABASE_URL` when
/// `HDND_DATABASE__URL` is unset, in the order of their names. Each value is checked alone,
/// so that an error names its variable.
fn env_overrides(vars: &Vars) -> Result<Vec<Override>, SettingsError> {
    let mut names: Vec<_> = vars.keys().collect();
    names.sort();
    let mut found = Vec::new();
    for var in names {
        let text = &vars[var];
        let Some(name) = var.strip_prefix("HDND_") else {
            continue;
        };
        let path: Vec<String> = if name.contains("__") {
            name.split("__").map(str::to_lowercase).collect()
        } else if name == "DEMO" {
            vec!["demo".to_owned()]
        } else {
            // HDND_CONFIG and the test harness's own variables are not settings.
            continue;
        };
        if path.iter().any(String::is_empty) {
            return Err(SettingsError::Env {
                var: var.clone(),
                message: "an empty key: separate keys with two underscores".to_owned(),
            });
        }
        let (value, incomplete) = typed(&path, text, var)?;
        found.push(Override {
            var: var.clone(),
            path,
            value,
            incomplete,
        });
    }
    if let (None, Some(url)) = (vars.get("HDND_DATABASE__URL"), vars.get("DATABASE_URL")) {
        found.push(Override {
            var: "DATABASE_URL".to_owned(),
            path: vec!["database".to_owned(), "url".to_owned()],
            value: toml::Value::String(url.clone()),
            incomplete: false,
        });
    }
    Ok(found)
}

/// A variable's text as the value its setting takes: a number or boolean where the setting is
/// one, a list where it is a list (`[1440, 60]` or `1440,60`), a string otherwise. Also
/// whether the section it sits in still misses required keys.
fn typed(path: &[String], text: &str, var: &str) -> Result<(toml::Value, bool), SettingsError> {
    let parsed = toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| {
            matches!(
                v,
                toml::Value::Integer(_)
                    | toml::Value::Boolean(_)
                    | toml::Value::Float(_)
                    | toml::Value::Array(_)
            )
        });
    let items = if text.trim().is_empty() {
        Vec::new()
    } else {
        text.split(',').map(|item| scalar(item.trim())).collect()
    };
    let candidates = parsed.into_iter().chain([
        toml::Value::String(text.to_owned()),
        toml::Value::Array(items),
    ]);
    let mut message = String::new();
    for candidate in candidates {
        match Settings::deserialize(single(path, candidate.clone())) {
            Ok(_) => return Ok((candidate, false)),
            // serde reads a value as it meets its key and reports missing keys only after
            // the last one: so the value itself fitted, and the sibling may come from the
            // file or another variable.
            Err(e) if e.message().starts_with("missing field") => return Ok((candidate, true)),
            Err(e) if message.is_empty() => message = e.message().trim().to_owned(),
            Err(_) => {}
        }
    }
    Err(SettingsError::Env {
        var: var.to_owned(),
        message,
    })
}

/// One item of a comma-separated list: a number or boolean if it reads as one.
fn scalar(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| {
            matches!(
                v,
                toml::Value::Integer(_) | toml::Value::Boolean(_) | toml::Value::Float(_)
            )
        })
        .unwrap_or_else(|| toml::Value::String(text.to_owned()))
}

/// Puts `value` at `path`, making the tables on the way.
fn set(
    table: &mut toml::Table,
    path: &[String],
    value: toml::Value,
    var: &str,
) -> Result<(), SettingsError> {
    let Some((leaf, sections)) = path.split_last() else {
        return Ok(());
    };
    let mut target = table;
    for (depth, section) in sections.iter().enumerate() {
        target = target
            .entry(section.as_str())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| SettingsError::Env {
                var: var.to_owned(),
                message: format!("`{}` is not a section", path[..=depth].join(".")),
            })?;
    }
    target.insert(leaf.clone(), value);
    Ok(())
}

/// A table holding `value` at `path` alone.
fn single(path: &[String], value: toml::Value) -> toml::Table {
    let mut value = value;
    for key in path.iter().skip(1).rev() {
        let mut table = toml::Table::new();
        table.insert(key.clone(), value);
        value = toml::Value::Table(table);
    }
    let mut root = toml::Table::new();
    if let Some(first) = path.first() {
        root.insert(first.clone(), value);
    }
    root
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vars {
        vars.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn defaults_need_no_file_and_turn_the_demo_on() {
        let s = Settings::load(Some(Path::new("/nonexistent")), None, &env(&[]));
        assert!(
            matches!(s, Err(SettingsError::Read { .. })),
            "a named file must exist"
        );
        // No file named and none at the default place (tests run in a temp cwd-independent way).
        let s = Settings::load(None, None, &env(&[])).unwrap();
        if s.file.is_none() {
            assert!(s.demo());
        }
        assert_eq!(s.web.port, 8080);
        assert!(s.database.url.starts_with("sqlite:"));
    }

    #[test]
    fn a_file_turns_the_demo_off_unless_it_says_so() {
        let f = file("[web]\nport = 9000\n");
        let s = Settings::load(Some(f.path()), None, &env(&[])).unwrap();
        assert!(!s.demo());
        assert_eq!(s.web.port, 9000);
        let f = file("demo = true\n");
        assert!(
            Settings::load(Some(f.path()), None, &env(&[]))
                .unwrap()
                .demo()
        );
    }

    #[test]
    fn a_bad_value_in_the_file_names_file_key_and_line() {
        let f = file("# settings\n[web]\nhost = \"127.0.0.1\"\nport = \"tám nghìn\"\n");
        let err = Settings::load(Some(f.path()), None, &env(&[])).unwrap_err();
        let SettingsError::File(err) = err else {
            panic!("{err}")
        };
        assert_eq!(err.key, "web.port");
        assert_eq!(err.line, 4);
        assert_eq!(err.file, f.path().display().to_string());
    }

    #[test]
    fn a_numeric_day_of_week_in_a_schedule_is_refused_with_its_line() {
        let f = file("[schedule]\nmorning_digest = \"0 0 7 * * 2-6\"\n");
        let err = Settings::load(Some(f.path()), None, &env(&[])).unwrap_err();
        let SettingsError::File(err) = err else {
            panic!("{err}")
        };
        assert_eq!((err.key.as_str(), err.line), ("schedule.morning_digest", 2));
        assert!(err.message.contains("MON-FRI"), "{}", err.message);
    }

    #[test]
    fn a_bad_database_url_in_the_file_names_its_line() {
        let f = file("[database]\n\nurl = \"mysql://x\"\n");
        let err = Settings::load(Some(f.path()), None, &env(&[])).unwrap_err();
        let SettingsError::File(err) = err else {
            panic!("{err}")
        };
        assert_eq!((err.key.as_str(), err.line), ("database.url", 3));
    }
}

#[cfg(test)]
mod env_tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vars {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn variables_override_and_database_url_is_an_alias() {
        let v = vars(&[
            ("HDND_WEB__PORT", "8181"),
            ("HDND_DEMO", "false"),
            ("DATABASE_URL", "postgres://u@h/db"),
            ("HDND_REQUIRE_POSTGRES", "1"),
        ]);
        let s = Settings::load(None, None, &v).unwrap();
        assert_eq!(s.web.port, 8181);
        assert!(!s.demo());
        assert_eq!(s.database.url, "postgres://u@h/db");
        let v = vars(&[
            ("HDND_DATABASE__URL", "sqlite://x.db"),
            ("DATABASE_URL", "postgres://u@h/db"),
        ]);
        assert_eq!(
            Settings::load(None, None, &v).unwrap().database.url,
            "sqlite://x.db"
        );
    }

    #[test]
    fn the_port_flag_wins() {
        let v = vars(&[("HDND_WEB__PORT", "8181")]);
        assert_eq!(Settings::load(None, Some(0), &v).unwrap().web.port, 0);
    }

    #[test]
    fn a_bad_variable_is_named() {
        for (var, value) in [
            ("HDND_WEB__PORT", "80a"),
            ("HDND_WEB__PROT", "1"),
            ("HDND_DEMO", "maybe"),
            ("DATABASE_URL", "mysql://x"),
        ] {
            let err = Settings::load(None, None, &vars(&[(var, value)])).unwrap_err();
            assert!(err.to_string().starts_with(var), "{var}: {err}");
        }
    }
}

#[cfg(test)]
mod every_key_tests {
    use hdnd_hub::delivery::email::{ImapSecurity, ImapSettings, SmtpSecurity, SmtpSettings};

    use super::*;

    /// The defaults with every optional key set too, so that serialising them names every
    /// key a person can set.
    fn every_key_set() -> Settings {
        let mut settings = Settings {
            demo: Some(false),
            ..Settings::default()
        };
        settings.council.profile = Some(PathBuf::from("config/council.toml"));
        settings.email.smtp = Some(SmtpSettings {
            username: Some("hdnd".to_owned()),
            password: Some("s3cret".to_owned()),
            ..SmtpSettings::new("smtp.example.org", 587, SmtpSecurity::Starttls)
        });
        settings.email.mailbox = Some("hdnd@hongbang.example".to_owned());
        settings.email.inbound.smtp_listen = Some("127.0.0.1:2525".parse().unwrap());
        settings.email.inbound.imap = Some(ImapSettings::new(
            "imap.example.org",
            143,
            // Not the default, so that the test can change it to one (`tls`).
            ImapSecurity::Starttls,
            "hdnd@hongbang.example",
            "s3cret",
        ));
        settings.citizens.contact_key = Some("k".repeat(32));
        settings.log.filter = Some("info,sqlx=warn".to_owned());
        settings.telegram.token = Some("123456:ABC-def".to_owned());
        settings.telegram.api_url = Some("https://api.telegram.org".to_owned());
        settings.telegram.username = Some("hdnd_hongbang_bot".to_owned());
        settings
    }

    fn table(settings: &Settings) -> toml::Table {
        toml::Table::try_from(settings).expect("settings serialise to TOML")
    }

    /// Every key that holds a value, as (dotted key, value).
    fn leaves(prefix: &str, table: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
        for (key, value) in table {
            let dotted = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::Table(inner) => leaves(&dotted, inner, out),
                other => out.push((dotted, other.clone())),
            }
        }
    }

    fn at<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
        let (sections, leaf) = key.rsplit_once('.').unwrap_or(("", key));
        let mut current = table;
        for section in sections.split('.').filter(|s| !s.is_empty()) {
            current = current.get(section)?.as_table()?;
        }
        current.get(leaf)
    }

    /// How a value is written in a variable: strings as they are, lists comma-separated.
    fn as_variable(value: &toml::Value) -> String {
        match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Array(items) => {
                items.iter().map(as_variable).collect::<Vec<_>>().join(",")
            }
            other => other.to_string(),
        }
    }

    /// Values other than `value` that its key may take, most likely valid first.
    fn others(value: &toml::Value) -> Vec<toml::Value> {
        use toml::Value as V;
        match value {
            V::Integer(n) => vec![V::Integer(n + 1)],
            V::Float(f) => vec![V::Float(f + 1.5)],
            V::Boolean(b) => vec![V::Boolean(!b)],
            V::Array(items) => {
                let mut more = items.clone();
                more.push(V::Integer(7));
                vec![V::Array(more)]
            }
            V::String(s) => {
                let bumped: String = {
                    let mut done = false;
                    s.chars()
                        .map(|c| match c.to_digit(10) {
                            Some(d) if !done => {
                                done = true;
                                char::from_digit((d + 1) % 10, 10).unwrap_or(c)
                            }
                            _ => c,
                        })
                        .collect()
                };
                [
                    format!("{s}x"),
                    format!("x{s}"),
                    String::new(),
                    bumped,
                    "tls".to_owned(),
                    "public".to_owned(),
                ]
                .into_iter()
                .filter(|c| c != s)
                .map(V::String)
                .collect()
            }
            other => panic!("no other value for {other:?}"),
        }
    }

    #[test]
    fn every_key_of_the_settings_can_be_set_by_a_variable() {
        // Arrange: every key of the settings as a variable.
        let full = table(&every_key_set());
        let mut keys = Vec::new();
        leaves("", &full, &mut keys);
        let base: Vars = keys
            .iter()
            .map(|(key, value)| (variable_name(key), as_variable(value)))
            .collect();
        for nested in [
            "email.smtp.host",
            "email.smtp.pool_size",
            "delivery.pacing.telegram.per_group_per_min",
            "schedule.event_reminders_mins",
        ] {
            assert!(keys.iter().any(|(k, _)| k == nested), "{nested} not walked");
        }

        // Act and assert: the variables alone give those settings back.
        let loaded = Settings::load(None, None, &base).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(table(&loaded), full);

        // ... and each variable on its own changes its key.
        for (key, value) in &keys {
            let var = variable_name(key);
            let mut last_error = String::new();
            let mut changed = false;
            for other in others(value) {
                let mut vars = base.clone();
                vars.insert(var.clone(), as_variable(&other));
                match Settings::load(None, None, &vars) {
                    Ok(settings) => {
                        assert_eq!(at(&table(&settings), key), Some(&other), "{var}");
                        changed = true;
                        break;
                    }
                    Err(e) => last_error = e.to_string(),
                }
            }
            assert!(changed, "{var} could not be changed: {last_error}");
        }
    }

    #[test]
    fn a_nested_variable_fills_in_a_section_of_the_file() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(
            &mut f,
            b"[email.smtp]\nhost = \"smtp.example.org\"\n\n[delivery.pacing.telegram]\noverall_per_sec = 10.0\n",
        )
        .unwrap();
        let vars: Vars = [
            ("HDND_EMAIL__SMTP__PORT", "2525"),
            ("HDND_EMAIL__SMTP__SECURITY", "plain"),
            ("HDND_DELIVERY__PACING__TELEGRAM__PER_GROUP_PER_MIN", "12"),
            ("HDND_SCHEDULE__EVENT_REMINDERS_MINS", "[30]"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let s = Settings::load(Some(f.path()), None, &vars).unwrap();
        let smtp = s.email.smtp.unwrap();
        assert_eq!(smtp.host, "smtp.example.org");
        assert_eq!(
            (smtp.port, smtp.security),
            (Some(2525), SmtpSecurity::Plain)
        );
        assert_eq!(s.delivery.pacing.telegram.overall_per_sec, 10.0);
        assert_eq!(s.delivery.pacing.telegram.per_group_per_min, 12.0);
        assert_eq!(s.schedule.event_reminders_mins, vec![30]);
    }

    #[test]
    fn a_bad_nested_variable_is_named() {
        for (vars, named) in [
            (
                vec![("HDND_EMAIL__SMTP__PORT", "25x")],
                "HDND_EMAIL__SMTP__PORT",
            ),
            (
                vec![
                    ("HDND_EMAIL__SMTP__HOST", "h"),
                    ("HDND_EMAIL__SMTP__PROT", "1"),
                ],
                "HDND_EMAIL__SMTP__PROT",
            ),
            // The port alone: the section needs its host.
            (
                vec![("HDND_EMAIL__SMTP__PORT", "2525")],
                "HDND_EMAIL__SMTP__PORT",
            ),
            (
                vec![("HDND_DELIVERY__PACING__TELEGRAM__OVERALL_PER_SEC", "fast")],
                "HDND_DELIVERY__PACING__TELEGRAM__OVERALL_PER_SEC",
            ),
            (vec![("HDND_WEB____PORT", "1")], "HDND_WEB____PORT"),
        ] {
            let vars: Vars = vars
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let err = Settings::load(None, None, &vars).unwrap_err();
            assert!(err.to_string().starts_with(named), "{named}: {err}");
        }
    }
}

#[cfg(test)]
mod section_check_tests {
    use std::io::Write;

    use super::*;

    fn load_file(text: &str) -> Result<Settings, SettingsError> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        Settings::load(Some(f.path()), None, &Vars::new())
    }

    #[test]
    fn each_unusable_email_telegram_or_delivery_value_is_refused_with_its_key_and_line() {
        for (text, key, line) in [
            ("[email]\nfrom = \"HĐND phường\"\n", "email.from", 2),
            (
                "[email]\nmessage_id_domain = \"a b\"\n",
                "email.message_id_domain",
                2,
            ),
            ("[email.smtp]\nhost = \"\"\n", "email.smtp.host", 2),
            (
                "[email.smtp]\nhost = \"smtp://x.example\"\n",
                "email.smtp.host",
                2,
            ),
            (
                "[email.smtp]\nhost = \"x.example\"\nport = 0\n",
                "email.smtp.port",
                3,
            ),
            (
                "[email.smtp]\nhost = \"x.example\"\nport = 70000\n",
                "email.smtp.port",
                3,
            ),
            (
                "[email.smtp]\nhost = \"x.example\"\nsecurity = \"ssl\"\n",
                "email.smtp.security",
                3,
            ),
            (
                "[email.smtp]\nhost = \"x.example\"\nusername = \"u\"\n",
                "email.smtp.username",
                3,
            ),
            (
                "[email.smtp]\nhost = \"x.example\"\npool_size = 0\n",
                "email.smtp.pool_size",
                3,
            ),
            (
                "[email.smtp]\nhost = \"x.example\"\ntimeout_secs = 0\n",
                "email.smtp.timeout_secs",
                3,
            ),
            ("[telegram]\ntoken = \"not-a-token\"\n", "telegram.token", 2),
            (
                "[telegram]\ntoken = \"1:A\"\napi_url = \"api.telegram.org\"\n",
                "telegram.api_url",
                3,
            ),
            (
                "[telegram]\ntoken = \"1:A\"\nwebhook_url = \"http://hdnd.example/telegram/webhook\"\nwebhook_secret = \"s\"\n",
                "telegram.webhook_url",
                3,
            ),
            (
                "[telegram]\ntoken = \"1:A\"\nwebhook_url = \"https://hdnd.example/telegram/webhook\"\n\nwebhook_secret = \"no spaces\"\n",
                "telegram.webhook_secret",
                5,
            ),
            (
                "[delivery.pacing.telegram]\noverall_per_sec = -1.0\n",
                "delivery.pacing.telegram.overall_per_sec",
                2,
            ),
            (
                "[delivery.pacing.telegram]\nper_group_per_min = nan\n",
                "delivery.pacing.telegram.per_group_per_min",
                2,
            ),
            ("[delivery]\nbatch_size = 0\n", "delivery.batch_size", 2),
            ("[delivery]\nlease_secs = 0\n", "delivery.lease_secs", 2),
            ("[inbound]\nmax_attempts = 0\n", "inbound.max_attempts", 2),
        ] {
            let err = load_file(text).unwrap_err();
            let SettingsError::File(err) = err else {
                panic!("{key}: {err}")
            };
            assert_eq!((err.key.as_str(), err.line), (key, line), "{text}: {err}");
        }
        // The token itself is a secret: never in the message.
        let err = load_file("[telegram]\ntoken = \"12:ab cd\"\n").unwrap_err();
        assert!(!err.to_string().contains("ab cd"), "{err}");
    }

    #[test]
    fn an_unusable_value_from_a_variable_names_the_variable() {
        for (var, value) in [
            ("HDND_EMAIL__SMTP__PORT", "0"),
            ("HDND_EMAIL__SMTP__SECURITY", "ssl"),
            ("HDND_TELEGRAM__TOKEN", "abc"),
            (
                "HDND_DELIVERY__PACING__TELEGRAM__PER_DESTINATION_PER_SEC",
                "-2",
            ),
        ] {
            let vars: Vars = [("HDND_EMAIL__SMTP__HOST", "smtp.example.org"), (var, value)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let err = Settings::load(None, None, &vars).unwrap_err();
            assert!(err.to_string().starts_with(var), "{var}: {err}");
        }
    }

    #[test]
    fn usable_email_and_telegram_sections_pass() {
        let s = load_file(
            "[email.smtp]\nhost = \"smtp.example.org\"\nport = 465\nsecurity = \"tls\"\nusername = \"u\"\npassword = \"p\"\n\n[telegram]\ntoken = \"123456:ABC-def_ghi\"\napi_url = \"http://127.0.0.1:8081\"\n",
        )
        .unwrap();
        assert_eq!(s.email.smtp.unwrap().port(), 465);
        assert!(s.telegram.enabled());
    }
}
