//! The command line, as clap types.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};
use url::Url;

/// Maecenas: memberships, donations, stream alerts, OAuth, webhooks — speaking the Patreon and
/// DonationAlerts APIs.
#[derive(Debug, Parser)]
#[command(name = "maecenas", version, about)]
pub struct Cli {
    /// Configuration file (default: ./maecenas.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://… (also MAECENAS_DATABASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Run a sandbox with seeded data and print the URL and logins to try.
    Demo(DemoArgs),
    /// Bring the database schema up to date, then exit.
    Migrate(JsonFlag),
    /// Administer accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// The URL people reach this server at (default: http://<bind>).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<Url>,
}

/// `demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Where the demo's database and credentials live.
    #[arg(long, value_name = "DIR", default_value = "./maecenas-demo")]
    pub data_dir: PathBuf,
}

/// `--json` for commands a script reads.
#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print machine-readable JSON.
    #[arg(long)]
    pub json: bool,
}

/// `admin …`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage OAuth clients.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Issue OAuth tokens directly (a creator's own token, scripted integrations).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

/// `admin client …`
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register an OAuth client; its secret is printed once and stored only as a hash.
    Create {
        /// E-mail of the account that owns the client.
        #[arg(long, value_name = "EMAIL")]
        owner: String,
        /// The client's name, shown on the consent page.
        #[arg(long)]
        name: String,
        /// An exact redirect URI the client may use (repeat for several).
        #[arg(long = "redirect-uri", value_name = "URI", required = true)]
        redirect_uris: Vec<String>,
        #[command(flatten)]
        json: JsonFlag,
    },
}

/// `admin token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue an access + refresh token for a user and client, as Patreon's token endpoint
    /// answers.
    Issue {
        /// E-mail of the user the token acts for.
        #[arg(long, value_name = "EMAIL")]
        user: String,
        /// The client's client_id.
        #[arg(long, value_name = "CLIENT_ID")]
        client: String,
        /// Space-separated scopes.
        #[arg(long)]
        scope: String,
        #[command(flatten)]
        json: JsonFlag,
    },
}

/// `admin user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (the same rules as the sign-up page).
    Create {
        /// E-mail address (the login).
        #[arg(long)]
        email: String,
        /// Password: at least 10 characters.
        #[arg(long)]
        password: String,
        /// Display name (default: the e-mail's local part).
        #[arg(long, default_value = "")]
        name: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// List accounts.
    List(JsonFlag),
}
