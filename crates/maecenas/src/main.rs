//! The `maecenas` binary: parses the command line, loads the configuration and runs a command.

mod admin;
mod admin_oauth;
mod admin_webhooks;
mod cli;
mod config;
mod demo;
mod logging;
mod sandbox;
mod sandbox_billing;
mod sandbox_members;
mod serve;

use std::process::ExitCode;

use clap::Parser;

use crate::{
    cli::{Cli, Command},
    config::{Config, Overrides},
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut overrides = Overrides {
        database_url: cli.database_url,
        ..Overrides::default()
    };
    match cli.command {
        Command::Serve(args) => {
            overrides.bind = args.bind;
            overrides.public_url = args.public_url;
            let config = Config::load(cli.config.as_deref(), &overrides)?;
            logging::init(&config.log)?;
            serve::run(config).await
        }
        Command::Demo(args) => {
            overrides.bind = args.bind;
            overrides.data_dir = Some(args.data_dir);
            let config = Config::load(cli.config.as_deref(), &overrides)?;
            logging::init(&config.log)?;
            demo::run(config).await
        }
        Command::Migrate(json) => {
            let config = Config::load(cli.config.as_deref(), &overrides)?;
            admin::migrate(&config, json.json).await
        }
        Command::Admin { command } => {
            let config = Config::load(cli.config.as_deref(), &overrides)?;
            admin::run(&config, command).await
        }
        Command::Sandbox { command } => {
            let config = Config::load(cli.config.as_deref(), &overrides)?;
            sandbox::run(&config, command).await
        }
    }
}
