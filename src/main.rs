//! `hdnd`: the composition root. Reads the settings, sets up logging, opens the store, wires
//! the hub to the web portal, and runs until SIGINT or SIGTERM.

mod calendar_link;
mod cli;
mod commands;
mod demo;
mod demo_events;
mod serve;
mod settings;
mod work;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::settings::{Settings, SettingsError};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let vars = std::env::vars().collect();
    let settings = match Settings::load(cli.config.as_deref(), cli.port, &vars) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("hdnd: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let serving = matches!(cli.command, None | Some(Command::Serve));
    init_tracing(&settings, serving);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hdnd: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve::run(settings).await,
            Command::Migrate => commands::migrate(&settings).await,
            Command::SeedDemo => commands::seed_demo(&settings).await,
            Command::Staff(command) => commands::staff(&settings, command).await,
            Command::Config(_) => commands::config_check(&settings),
            Command::Outbox(command) => commands::outbox(&settings, command).await,
            Command::Task(command) => work::task(&settings, command).await,
            Command::Event(command) => work::event(&settings, command).await,
            Command::Open311(command) => commands::open311(&settings, command).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error.message = %format!("{e:#}"), "hdnd stopped: {e:#}");
            let code = if e.downcast_ref::<SettingsError>().is_some() {
                2
            } else {
                1
            };
            eprintln!("hdnd: {e:#}");
            ExitCode::from(code)
        }
    }
}

/// Logs go to stderr; `RUST_LOG` overrides the configured filter, which overrides the
/// default of the command (info for `serve`, warn for the others).
fn init_tracing(settings: &Settings, serving: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(settings.log.filter(serving)));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
