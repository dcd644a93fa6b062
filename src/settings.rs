//! Settings: built-in defaults, then `config/hdnd.toml` (or `--config`), then `HDND_<SECTION>__<KEY>`
//! variables (and `DATABASE_URL`, the usual alias of `HDND_DATABASE__URL`), then `--port`.
//!
//! A bad value in the file is reported with the file, the key and the line; a bad variable
//! with its name. Defaults need no file at all.

use std::collections::HashMap;
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
use serde::Deserialize;

/// The process environment, or a test's stand-in for it.
pub(crate) type Vars = HashMap<String, String>;

/// Where the settings file is looked for when none is named.
pub(crate) const DEFAULT_FILE: &str = "config/hdnd.toml";

/// Everything `hdnd` is configured with.
#[derive(Debug, Clone, Deserialize)]
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
}

/// `[council]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct CouncilSettings {
    /// The council profile; the built-in demo profile when absent.
    pub(crate) profile: Option<PathBuf>,
}

/// `[templates]`
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct LogSettings {
    /// A tracing filter such as `info,sqlx=warn`; `RUST_LOG` overrides it.
    pub(crate) filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            filter: "info,sqlx=warn,tower_http=warn".to_owned(),
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
        for o in env_overrides(vars)? {
            set(&mut table, o.section.as_deref(), &o.key, o.value, &o.var)?;
        }
        let mut settings = Settings::deserialize(table).map_err(|e| SettingsError::Env {
            var: "HDND_*".to_owned(),
            message: e.to_string(),
        })?;
        settings.file = path;
        if let Some(port) = port {
            settings.web.port = port;
        }
        settings.check(text.as_deref(), vars)?;
        Ok(settings)
    }

    fn check(&self, text: Option<&str>, vars: &Vars) -> Result<(), SettingsError> {
        let url = &self.database.url;
        let known = ["sqlite:", "postgres:", "postgresql:"];
        if !known.iter().any(|scheme| url.starts_with(scheme)) {
            let message = format!(
                "`{}` is not a database URL; use sqlite://data/hdnd.db or postgres://user@host/db",
                self.database.redacted_url()
            );
            return Err(self.value_error(text, vars, "database", "url", message));
        }
        if let Err(e) = self.schedule.check() {
            let key = match e {
                hdnd_hub::schedule::ScheduleError::Cron(..) => "morning_digest",
                hdnd_hub::schedule::ScheduleError::Time(..) => "reminder_time",
            };
            return Err(self.value_error(text, vars, "schedule", key, e.to_string()));
        }
        Ok(())
    }

    /// An error about a merged value: where it came from, file line or variable.
    fn value_error(
        &self,
        text: Option<&str>,
        vars: &Vars,
        section: &str,
        key: &str,
        message: String,
    ) -> SettingsError {
        let mut var = format!("HDND_{}__{}", section.to_uppercase(), key.to_uppercase());
        if (section, key) == ("database", "url")
            && !vars.contains_key(&var)
            && vars.contains_key("DATABASE_URL")
        {
            var = "DATABASE_URL".to_owned();
        }
        match (&self.file, text) {
            (Some(path), Some(text)) if !vars.contains_key(&var) => {
                let name = path.display().to_string();
                let at = Locator::new(&name, text);
                FileError {
                    file: name.clone(),
                    key: format!("{section}.{key}"),
                    line: at.line_of_key(section, key),
                    message,
                }
                .into()
            }
            _ => SettingsError::Env { var, message },
        }
    }
}

/// One setting from the environment.
struct Override {
    var: String,
    section: Option<String>,
    key: String,
    value: toml::Value,
}

/// The `HDND_<SECTION>__<KEY>` variables, and `DATABASE_URL` when `HDND_DATABASE__URL` is unset. Each value is checked alone, so that an
/// error names its variable.
fn env_overrides(vars: &Vars) -> Result<Vec<Override>, SettingsError> {
    let mut found = Vec::new();
    for (var, text) in vars {
        let Some(name) = var.strip_prefix("HDND_") else {
            continue;
        };
        let (section, key) = match name.split_once("__") {
            Some((section, key)) => (Some(section.to_lowercase()), key.to_lowercase()),
            None if name == "DEMO" => (None, "demo".to_owned()),
            // HDND_CONFIG and the test harness's own variables are not settings.
            None => continue,
        };
        let value = typed(section.as_deref(), &key, text, var)?;
        found.push(Override {
            var: var.clone(),
            section,
            key,
            value,
        });
    }
    if let (None, Some(url)) = (vars.get("HDND_DATABASE__URL"), vars.get("DATABASE_URL")) {
        let value = toml::Value::String(url.clone());
        found.push(Override {
            var: "DATABASE_URL".to_owned(),
            section: Some("database".to_owned()),
            key: "url".to_owned(),
            value,
        });
    }
    Ok(found)
}

/// A variable's text as the value its setting takes: a number or boolean where the setting
/// is one, a string otherwise.
fn typed(
    section: Option<&str>,
    key: &str,
    text: &str,
    var: &str,
) -> Result<toml::Value, SettingsError> {
    let parsed = toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| {
            matches!(
                v,
                toml::Value::Integer(_) | toml::Value::Boolean(_) | toml::Value::Float(_)
            )
        });
    let mut message = String::new();
    for candidate in parsed
        .into_iter()
        .chain([toml::Value::String(text.to_owned())])
    {
        match Settings::deserialize(single(section, key, candidate.clone())) {
            Ok(_) => return Ok(candidate),
            Err(e) => message = e.to_string(),
        }
    }
    Err(SettingsError::Env {
        var: var.to_owned(),
        message: message.trim().to_owned(),
    })
}

fn set(
    table: &mut toml::Table,
    section: Option<&str>,
    key: &str,
    value: toml::Value,
    var: &str,
) -> Result<(), SettingsError> {
    let target = match section {
        None => table,
        Some(section) => table
            .entry(section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| SettingsError::Env {
                var: var.to_owned(),
                message: format!("`{section}` is not a section"),
            })?,
    };
    target.insert(key.to_owned(), value);
    Ok(())
}

fn single(section: Option<&str>, key: &str, value: toml::Value) -> toml::Table {
    let mut leaf = toml::Table::new();
    leaf.insert(key.to_owned(), value);
    match section {
        None => leaf,
        Some(section) => {
            let mut root = toml::Table::new();
            root.insert(section.to_owned(), toml::Value::Table(leaf));
            root
        }
    }
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
