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
    /// Make sandbox money movements (no real payment), as if a payment had just succeeded.
    Sandbox {
        #[command(subcommand)]
        command: SandboxCommand,
    },
}

/// `sandbox …`
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Record a donation and its event in one transaction; a running server on the same
    /// database publishes it to the recipient's `$alerts:donation_<id>` channel and overlay.
    Donation(DonationArgs),
    /// Add synthetic active patrons to a creator's campaign in bulk (for load tests; no events
    /// are recorded, so no webhook fires). Creates the campaign and a tier when missing.
    Members(MembersArgs),
    /// Create N fake patrons (…@sandbox.invalid) and join each to a campaign through checkout.
    Patrons(crate::sandbox_billing::PatronsArgs),
    /// Make a pledge happen: an existing user joins a campaign through checkout.
    Pledge(crate::sandbox_billing::PledgeArgs),
    /// Make an upgrade or downgrade happen (to a tier and/or a monthly amount).
    Upgrade(crate::sandbox_billing::UpgradeArgs),
    /// Make a decline happen: the member's card becomes the declining test card, charged now.
    Decline(crate::sandbox_billing::MemberArgs),
    /// Make a cancellation happen.
    Cancel(crate::sandbox_billing::MemberArgs),
    /// Advance the sandbox clock (e.g. 31d, 400d, 12h), running the billing that falls due a
    /// day at a time; a running server on the same database follows the clock.
    Advance(crate::sandbox_billing::AdvanceArgs),
    /// Fire a member event (members:update, …) that webhooks deliver as usual.
    Webhook(crate::sandbox_billing::WebhookArgs),
    /// Check every member's history of a campaign (lifetime support = sum of charges, statuses
    /// follow the state machine); exits 1 on any inconsistency.
    Audit(crate::sandbox_billing::AuditArgs),
    /// Print the sandbox time and its offset from the wall clock.
    Clock(JsonFlag),
    /// Delete every fake patron and set the sandbox clock back to the wall clock.
    Reset(JsonFlag),
}

/// `sandbox members` options.
#[derive(Debug, Args)]
pub struct MembersArgs {
    /// E-mail of the creator whose campaign gets the members (the account must exist).
    #[arg(long, value_name = "EMAIL")]
    pub creator: String,
    /// How many members to add (at most 1,000,000 at a time).
    #[arg(long, value_name = "N")]
    pub count: usize,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// `sandbox donation` options.
#[derive(Debug, Args)]
pub struct DonationArgs {
    /// E-mail of the account that receives the donation.
    #[arg(long, value_name = "EMAIL")]
    pub to: String,
    /// Amount in MAJOR units of --currency, as the DonationAlerts API reports `amount`:
    /// `--amount 500 --currency RUB` is 500 roubles; up to two decimals (`12.50`).
    #[arg(long, value_name = "AMOUNT")]
    pub amount: String,
    /// ISO 4217 currency code (EUR, USD, RUB, BRL, TRY, GBP, UAH, KZT, BYN, PLN).
    #[arg(long, value_name = "CODE")]
    pub currency: String,
    /// The donor's name (at most 64 characters; empty or absent: anonymous).
    #[arg(long, value_name = "NAME", default_value = "")]
    pub username: String,
    /// The donor's message (at most 300 characters).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub message: String,
    #[command(flatten)]
    pub json: JsonFlag,
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
    /// Inspect webhook deliveries.
    Webhooks {
        #[command(subcommand)]
        command: WebhooksCommand,
    },
}

/// `admin webhooks …`
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// The delivery log, newest first: each delivery with every attempt (request headers,
    /// response status and excerpt, latency).
    Deliveries {
        /// Only this webhook's deliveries.
        #[arg(long, value_name = "ID")]
        webhook: Option<i64>,
        /// How many deliveries to show.
        #[arg(long, default_value_t = 20)]
        limit: u64,
        /// Include each delivery's request body.
        #[arg(long)]
        body: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Queue a delivery again (same body, same `webhook-id`); a running server sends it.
    Resend {
        /// The delivery's id (`msg_<id>` in `webhook-id`).
        id: i64,
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
