//! Command line, environment and TOML configuration.
//!
//! Every setting is an `Option` on the command line (clap reads the flag, then its
//! `TABLEORDER_*` variable) and in the file; [`Settings::merge`] layers them so that
//! flags beat environment beat file beat defaults.

use clap::{Args, Parser, Subcommand};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "tableorder",
    version = crate::version::get(),
    about = "Restaurant table ordering on one box: guest tablets, live staff dashboard, no internet needed"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server: HTTP API, web UI, database, mDNS.
    Serve {
        #[command(flatten)]
        settings: Settings,
        /// Create the demo store (admin/demo1234, tables 1–12 with password 1234) if absent.
        #[arg(long, env = "TABLEORDER_DEMO")]
        demo: bool,
    },
    /// Manage stores.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Write an online backup of the database to FILE.
    Backup {
        /// Where to write the backup (a complete SQLite database).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        settings: Settings,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[command(flatten)]
        settings: Settings,
    },
    /// Ask a running server whether it is healthy; exit 0 when it is.
    Healthcheck {
        /// Base URL of the server.
        #[arg(long, env = "TABLEORDER_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// Print the effective configuration (after flags, environment and file) as TOML.
    Config {
        #[command(flatten)]
        settings: Settings,
    },
    /// Manage staff accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Signed releases.
    Update {
        #[command(subcommand)]
        command: UpdateCommand,
    },
    /// Run or manage a chain hub (every store's orders in PostgreSQL).
    #[cfg(feature = "hub")]
    Hub {
        #[command(subcommand)]
        command: HubCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum UpdateCommand {
    /// Check a release (a binary and its minisign signature) before it is installed: signed
    /// by a trusted key, a tableorder release for this box's kind of board, newer than this
    /// binary unless `--rollback`. Prints the release's version and target; exit 1 if refused.
    Verify {
        /// The release's binary.
        #[arg(long)]
        binary: PathBuf,
        /// Its signature (default: BINARY.minisig).
        #[arg(long)]
        signature: Option<PathBuf>,
        /// More trusted keys besides the built-in ones: a minisign public key, or a file holding one.
        #[arg(long = "public-key", env = "TABLEORDER_UPDATE_PUBLIC_KEYS", value_delimiter = ';')]
        public_keys: Vec<String>,
        /// Accept a release that is not newer (going back on purpose).
        #[arg(long)]
        rollback: bool,
    },
    /// Verify a release, install it under DATA_DIR/releases and have the box switch to it
    /// (the running server does, without refusing a connection; otherwise its next start).
    Apply {
        /// The release's binary.
        binary: PathBuf,
        /// Its signature (default: BINARY.minisig).
        #[arg(long)]
        signature: Option<PathBuf>,
        /// When to switch: now, or idle (no open visit, or the day closed).
        #[arg(long, default_value = "now")]
        when: String,
        /// Accept a release that is not newer (going back on purpose).
        #[arg(long)]
        rollback: bool,
        #[command(flatten)]
        settings: Settings,
    },
    /// What runs, what ran before, and how the last update went.
    Status {
        #[command(flatten)]
        settings: Settings,
    },
    /// Go back to the release that ran before.
    Rollback {
        #[command(flatten)]
        settings: Settings,
    },
    /// Records why the service stopped while a release was on probation (run by systemd as
    /// `ExecStopPost=`, which sets `SERVICE_RESULT`, `EXIT_CODE` and `EXIT_STATUS`).
    #[command(hide = true)]
    Stopped {
        #[command(flatten)]
        settings: Settings,
    },
    /// Watches a new release through its probation (started by the box itself).
    #[command(hide = true)]
    Guard {
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long)]
        pid: u32,
        #[arg(long)]
        health: Option<std::net::SocketAddr>,
        #[arg(long)]
        probation_secs: u64,
        #[arg(long)]
        listen_fd: Option<i32>,
        #[arg(long)]
        systemd: bool,
        /// The packaged binary and its arguments.
        #[arg(last = true)]
        fallback: Vec<std::ffi::OsString>,
    },
}

/// Where the hub's PostgreSQL is.
#[cfg(feature = "hub")]
#[derive(Args, Debug, Clone)]
pub struct HubDb {
    /// PostgreSQL URL, e.g. postgres://tableorder:secret@127.0.0.1/tableorder
    #[arg(long, env = "TABLEORDER_HUB_DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
}

#[cfg(feature = "hub")]
#[derive(Subcommand, Debug)]
pub enum HubCommand {
    /// Serve the hub: ingest from boxes, HQ reports, the live feed and the /hq page.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "TABLEORDER_HUB_LISTEN", default_value = "0.0.0.0:8090")]
        listen: SocketAddr,
        #[command(flatten)]
        db: HubDb,
        /// A read replica for reports (optional).
        #[arg(long, env = "TABLEORDER_HUB_DATABASE_REPLICA_URL", hide_env_values = true)]
        database_replica_url: Option<String>,
        /// Redis URL, e.g. redis://127.0.0.1:6379 (shared by every hub process).
        #[arg(long, env = "TABLEORDER_HUB_REDIS_URL")]
        redis_url: Option<String>,
        /// Most PostgreSQL connections of this process (seed: 5 + 15 overflow).
        #[arg(long, env = "TABLEORDER_HUB_POOL_MAX_SIZE", default_value_t = 20)]
        pool_max_size: usize,
        /// Orders per database query of a CSV export.
        #[arg(long, env = "TABLEORDER_HUB_CSV_PAGE_SIZE", default_value_t = 1000, hide = true)]
        csv_page_size: i64,
    },
    /// Create or upgrade the hub's schema, then exit.
    Migrate {
        #[command(flatten)]
        db: HubDb,
    },
    /// Manage the boxes that send to this hub.
    #[command(name = "box")]
    Box {
        #[command(subcommand)]
        command: HubBoxCommand,
    },
    /// Manage HQ users.
    User {
        #[command(subcommand)]
        command: HubUserCommand,
    },
    /// Releases the hub hands to its boxes.
    Release {
        #[command(subcommand)]
        command: HubReleaseCommand,
    },
    /// Assign a release to boxes: those of some stores, or a share of all. Each box
    /// downloads it, verifies it with its own keys and applies it when idle; a box that
    /// fails with it halts the rollout where it is.
    Rollout {
        /// The release's version (see `hub release list`).
        version: String,
        /// Store ids, separated by commas.
        #[arg(long, value_delimiter = ',', conflicts_with = "percent", required_unless_present = "percent")]
        stores: Vec<String>,
        /// A share of all boxes, 1–100 (the lowest box ids first).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
        percent: Option<u8>,
        #[command(flatten)]
        db: HubDb,
    },
}

#[cfg(feature = "hub")]
#[derive(Subcommand, Debug)]
pub enum HubReleaseCommand {
    /// Store a release (its version and target are read from its signature).
    Add {
        binary: PathBuf,
        /// Its minisign signature (default: BINARY.minisig).
        #[arg(long)]
        signature: Option<PathBuf>,
        #[command(flatten)]
        db: HubDb,
    },
    /// The releases at the hub, their rollouts, and the boxes on each.
    List {
        #[command(flatten)]
        db: HubDb,
    },
}

#[cfg(feature = "hub")]
#[derive(Subcommand, Debug)]
pub enum HubBoxCommand {
    /// Register a box for one or more stores and print its token (shown once).
    Add {
        /// A store the box may send for (repeat for a food court).
        #[arg(long = "store", required = true)]
        stores: Vec<String>,
        /// A name to recognise the box by.
        #[arg(long, default_value = "")]
        name: String,
        #[command(flatten)]
        db: HubDb,
    },
    /// Bind more stores to a box (a store added on it later). Events the box sent for them
    /// before are held at the hub and released into HQ's figures at its next upload.
    Bind {
        /// The box's id (see `hub box list`).
        #[arg(long)]
        id: i64,
        /// A store the box may send for from now on (repeat for several).
        #[arg(long = "store", required = true)]
        stores: Vec<String>,
        #[command(flatten)]
        db: HubDb,
    },
    /// Revoke a box's token: it can no longer send (what it sent stays).
    Revoke {
        /// The box's id (see `hub box list`).
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        db: HubDb,
    },
    /// List the boxes.
    List {
        #[command(flatten)]
        db: HubDb,
    },
}

#[cfg(feature = "hub")]
#[derive(Subcommand, Debug)]
pub enum HubUserCommand {
    /// Add an HQ user (password from TABLEORDER_HUB_PASSWORD or the first line of stdin).
    Add {
        #[arg(long)]
        username: String,
        #[command(flatten)]
        db: HubDb,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Set a staff member's password (safe while the server runs). It also unlocks the
    /// account and ends every login made with the old password. The new password comes
    /// from TABLEORDER_ADMIN_PASSWORD or, when unset, the first line of stdin.
    ResetPassword {
        /// The store's id.
        #[arg(long)]
        store: String,
        /// The staff member's username.
        #[arg(long)]
        username: String,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Create a store and its first admin. The password comes from
    /// TABLEORDER_ADMIN_PASSWORD or, when unset, the first line of stdin.
    Create {
        /// Store id: 1–32 characters of a–z, 0–9 and '-'.
        #[arg(long)]
        id: String,
        /// Display name of the store.
        #[arg(long)]
        name: String,
        /// Username of the first admin.
        #[arg(long)]
        admin: String,
        /// IANA timezone of the store (business days and history dates follow it).
        #[arg(long, default_value = "Asia/Seoul")]
        timezone: String,
        #[command(flatten)]
        settings: Settings,
    },
}

/// Every configurable value. All optional here; defaults are applied by [`Settings::resolve`].
#[derive(Args, Deserialize, Serialize, Debug, Default, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// TOML configuration file (flags beat environment beat file beat defaults).
    #[arg(long, env = "TABLEORDER_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 0.0.0.0:8080].
    #[arg(long, env = "TABLEORDER_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory for the database, keys and backups [default: ./data].
    #[arg(long, env = "TABLEORDER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Turn the mDNS advertisement off.
    #[arg(long, env = "TABLEORDER_NO_MDNS", num_args = 0..=1, default_missing_value = "true")]
    pub no_mdns: Option<bool>,
    /// mDNS name: the box answers as NAME.local [default: tableorder].
    #[arg(long, env = "TABLEORDER_MDNS_NAME")]
    pub mdns_name: Option<String>,
    /// JWT signing secret; when unset a key is generated into the data directory.
    #[arg(long, env = "TABLEORDER_JWT_SECRET", hide_env_values = true)]
    #[serde(skip)]
    pub jwt_secret: Option<String>,
    /// Tables per store, 0 = no limit [default: 100].
    #[arg(long, env = "TABLEORDER_MAX_TABLES")]
    pub max_tables: Option<u64>,
    /// Menu items per store, 0 = no limit [default: 500].
    #[arg(long, env = "TABLEORDER_MAX_MENU_ITEMS")]
    pub max_menu_items: Option<u64>,
    /// Categories per store, 0 = no limit [default: 50].
    #[arg(long, env = "TABLEORDER_MAX_CATEGORIES")]
    pub max_categories: Option<u64>,
    /// Pending + preparing orders per store, 0 = no limit [default: 1000].
    #[arg(long, env = "TABLEORDER_MAX_ACTIVE_ORDERS")]
    pub max_active_orders: Option<u64>,
    /// Pending + preparing orders of one table, 0 = no limit [default: 50]: one table's
    /// order spam cannot use up the store's limit.
    #[arg(long, env = "TABLEORDER_MAX_ACTIVE_ORDERS_PER_TABLE")]
    pub max_active_orders_per_table: Option<u64>,
    /// Staff event streams per store, 0 = no limit [default: 10].
    #[arg(long, env = "TABLEORDER_MAX_STAFF_STREAMS")]
    pub max_staff_streams: Option<u64>,
    /// Event streams on the whole box, 0 = no limit [default: 10000].
    #[arg(long, env = "TABLEORDER_MAX_STREAMS")]
    pub max_streams: Option<u64>,
    /// Orders per minute per table, 0 = no limit [default: 30].
    #[arg(long, env = "TABLEORDER_ORDERS_PER_MINUTE")]
    pub orders_per_minute: Option<u64>,
    /// Login attempts per minute per client address, 0 = no limit [default: 5].
    #[arg(long, env = "TABLEORDER_LOGINS_PER_MINUTE")]
    pub logins_per_minute: Option<u64>,
    /// Days that events are kept for stream resume [default: 7].
    #[arg(long, env = "TABLEORDER_EVENT_RETENTION_DAYS")]
    pub event_retention_days: Option<u64>,
    /// Hours between scheduled backups, 0 = none [default: 24].
    #[arg(long, env = "TABLEORDER_BACKUP_INTERVAL_HOURS")]
    pub backup_interval_hours: Option<u64>,
    /// Scheduled backups kept in DATA_DIR/backups [default: 7].
    #[arg(long, env = "TABLEORDER_BACKUP_KEEP")]
    pub backup_keep: Option<u64>,
    /// Most pooled read connections (seed: 5 + 15 overflow) [default: 20].
    #[arg(long, env = "TABLEORDER_POOL_MAX_SIZE")]
    pub pool_max_size: Option<u32>,
    /// Pooled connections kept open while idle [default: 5].
    #[arg(long, env = "TABLEORDER_POOL_MIN_IDLE")]
    pub pool_min_idle: Option<u32>,
    /// Seconds to wait for a pooled connection [default: 30].
    #[arg(long, env = "TABLEORDER_POOL_TIMEOUT_SECS")]
    pub pool_timeout_secs: Option<u64>,
    /// Seconds after which a pooled connection is replaced [default: 1800].
    #[arg(long, env = "TABLEORDER_POOL_MAX_LIFETIME_SECS")]
    pub pool_max_lifetime_secs: Option<u64>,
    /// The chain hub to send this box's orders to, e.g. https://hub.example.com (none: off).
    #[arg(long, env = "TABLEORDER_HUB_URL")]
    pub hub_url: Option<String>,
    /// This box's token for the hub (from `tableorder hub box add`).
    #[arg(long, env = "TABLEORDER_HUB_TOKEN", hide_env_values = true)]
    pub hub_token: Option<String>,
    /// PEM file of certificate authorities to trust for the hub besides the public ones
    /// (a hub whose certificate the chain's own certificate authority signed).
    #[arg(long, env = "TABLEORDER_HUB_CA_FILE")]
    pub hub_ca_file: Option<PathBuf>,
    /// Option groups per store, 0 = no limit [default: 200].
    #[arg(long, env = "TABLEORDER_MAX_OPTION_GROUPS")]
    pub max_option_groups: Option<u64>,
    /// Options per option group, 0 = no limit [default: 30].
    #[arg(long, env = "TABLEORDER_MAX_OPTIONS_PER_GROUP")]
    pub max_options_per_group: Option<u64>,
    /// Login attempts per minute on the whole box, all addresses together, 0 = no limit [default: 300].
    #[arg(long, env = "TABLEORDER_BOX_LOGINS_PER_MINUTE")]
    pub box_logins_per_minute: Option<u64>,
    /// PIN tries per minute on one shared terminal, 0 = no limit [default: 5].
    #[arg(long, env = "TABLEORDER_PINS_PER_MINUTE")]
    pub pins_per_minute: Option<u64>,
    /// Open connections from one client address, 0 = no limit [default: 256]; more are
    /// closed at once, so that one device cannot take every descriptor of the box.
    #[arg(long, env = "TABLEORDER_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<u64>,
    /// Password hashes computed at once (each takes 7 MiB); more logins wait in line [default: 2].
    #[arg(long, env = "TABLEORDER_HASH_CONCURRENCY")]
    pub hash_concurrency: Option<u64>,
    /// Seconds a client has to send a request's headers; also how long an idle
    /// keep-alive connection stays open [default: 10].
    #[arg(long, env = "TABLEORDER_HEADER_TIMEOUT_SECS")]
    pub header_timeout_secs: Option<u64>,
    /// Seconds after which a client that vanished (a tablet that left the Wi-Fi) has its
    /// connection closed, through TCP keepalive and TCP_USER_TIMEOUT [default: 60].
    #[arg(long, env = "TABLEORDER_DEAD_PEER_TIMEOUT_SECS")]
    pub dead_peer_timeout_secs: Option<u64>,
    /// Seconds between two backups made through the API [default: 60].
    #[arg(long, env = "TABLEORDER_BACKUP_MIN_INTERVAL_SECS")]
    pub backup_min_interval_secs: Option<u64>,
    /// Free disk (MB) that must remain beyond the database's size for a backup to be made [default: 64].
    #[arg(long, env = "TABLEORDER_BACKUP_MIN_FREE_MB")]
    pub backup_min_free_mb: Option<u64>,
    /// Minisign public keys (base64, separated by ';') trusted for releases besides the ones
    /// built in.
    #[arg(long, env = "TABLEORDER_UPDATE_PUBLIC_KEYS")]
    pub update_public_keys: Option<String>,
    /// Seconds a new release must stay healthy before it is kept; failing sooner, the box
    /// goes back to the previous release [default: 120].
    #[arg(long, env = "TABLEORDER_UPDATE_PROBATION_SECS")]
    pub update_probation_secs: Option<u64>,
}

macro_rules! layer {
    ($hi:expr, $lo:expr, $($f:ident),*) => { Settings { $($f: $hi.$f.or($lo.$f)),* } };
}

impl Settings {
    /// `self` wins over `lower` field by field.
    pub fn merge(self, lower: Settings) -> Settings {
        layer!(
            self,
            lower,
            config,
            listen,
            data_dir,
            no_mdns,
            mdns_name,
            jwt_secret,
            max_tables,
            max_menu_items,
            max_categories,
            max_active_orders,
            max_active_orders_per_table,
            max_staff_streams,
            max_streams,
            max_connections_per_address,
            orders_per_minute,
            logins_per_minute,
            event_retention_days,
            backup_interval_hours,
            backup_keep,
            pool_max_size,
            pool_min_idle,
            pool_timeout_secs,
            pool_max_lifetime_secs,
            box_logins_per_minute,
            pins_per_minute,
            hub_url,
            hub_token,
            hub_ca_file,
            max_option_groups,
            max_options_per_group,
            hash_concurrency,
            header_timeout_secs,
            dead_peer_timeout_secs,
            backup_min_interval_secs,
            backup_min_free_mb,
            update_public_keys,
            update_probation_secs
        )
    }

    /// Reads the TOML file named by `--config`/`TABLEORDER_CONFIG`, if any, under these settings.
    pub fn with_file(self) -> anyhow_lite::Result<Settings> {
        let Some(path) = self.config.clone() else {
            return Ok(self);
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            // A configuration file is optional (the systemd unit names one that may be deleted).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!(
                    "tableorder: config file {} not found; using flags, environment and defaults",
                    path.display()
                );
                return Ok(self);
            }
            Err(e) => return Err(format!("cannot read config file {}: {e}", path.display())),
        };
        let file: Settings = toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))?;
        Ok(self.merge(file))
    }

    /// Applies defaults and checks values.
    pub fn resolve(self) -> anyhow_lite::Result<Config> {
        let s = self.with_file()?;
        let mdns_name = s.mdns_name.unwrap_or_else(|| "tableorder".into());
        if mdns_name.is_empty()
            || mdns_name.len() > 63
            || !mdns_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!("mdns name {mdns_name:?} must be 1–63 letters, digits or '-'"));
        }
        let pool_max_size = s.pool_max_size.unwrap_or(20);
        if pool_max_size == 0 {
            return Err("pool_max_size must be at least 1".into());
        }
        Ok(Config {
            listen: s.listen.unwrap_or_else(|| "0.0.0.0:8080".parse().expect("valid")),
            data_dir: s.data_dir.unwrap_or_else(|| PathBuf::from("./data")),
            mdns: !s.no_mdns.unwrap_or(false),
            mdns_name,
            jwt_secret: s.jwt_secret.filter(|v| !v.is_empty()),
            limits: Limits {
                max_tables: s.max_tables.unwrap_or(100),
                max_menu_items: s.max_menu_items.unwrap_or(500),
                max_categories: s.max_categories.unwrap_or(50),
                max_active_orders: s.max_active_orders.unwrap_or(1000),
                max_active_orders_per_table: s.max_active_orders_per_table.unwrap_or(50),
                max_staff_streams: s.max_staff_streams.unwrap_or(10),
                max_streams: s.max_streams.unwrap_or(10_000),
                orders_per_minute: s.orders_per_minute.unwrap_or(30),
                logins_per_minute: s.logins_per_minute.unwrap_or(5),
                box_logins_per_minute: s.box_logins_per_minute.unwrap_or(300),
                pins_per_minute: s.pins_per_minute.unwrap_or(5),
                max_connections_per_address: s.max_connections_per_address.unwrap_or(256),
                max_option_groups: s.max_option_groups.unwrap_or(200),
                max_options_per_group: s.max_options_per_group.unwrap_or(30),
                event_retention_days: s.event_retention_days.unwrap_or(7),
            },
            backup_interval_hours: s.backup_interval_hours.unwrap_or(24),
            backup_keep: s.backup_keep.unwrap_or(7),
            hub: match (s.hub_url.filter(|u| !u.is_empty()), s.hub_token.filter(|t| !t.is_empty())) {
                (Some(url), Some(token)) => {
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        return Err(format!("hub_url {url:?} must start with http:// or https://"));
                    }
                    let ca_certs = match &s.hub_ca_file {
                        Some(path) => read_ca_file(path)?,
                        None => Vec::new(),
                    };
                    Some(HubLink {
                        url: url.trim_end_matches('/').to_string(),
                        token,
                        ca_file: s.hub_ca_file,
                        ca_certs,
                    })
                }
                (None, None) if s.hub_ca_file.is_some() => return Err("hub_ca_file needs hub_url and hub_token".into()),
                (None, None) => None,
                _ => return Err("hub_url and hub_token go together".into()),
            },
            backup_min_interval_secs: s.backup_min_interval_secs.unwrap_or(60),
            backup_min_free_mb: s.backup_min_free_mb.unwrap_or(64),
            update_public_keys: {
                let keys: Vec<String> = s
                    .update_public_keys
                    .unwrap_or_default()
                    .split(';')
                    .map(|k| k.trim().to_string())
                    .filter(|k| !k.is_empty())
                    .collect();
                crate::crypto::minisign_keys(&keys).map_err(|e| format!("update_public_keys: {e}"))?;
                keys
            },
            update_probation_secs: s.update_probation_secs.unwrap_or(120).max(1),
            hash_concurrency: s.hash_concurrency.unwrap_or(2).max(1),
            header_timeout_secs: s.header_timeout_secs.unwrap_or(10).max(1),
            dead_peer_timeout_secs: s.dead_peer_timeout_secs.unwrap_or(60).max(3),
            pool: PoolConfig {
                max_size: pool_max_size,
                min_idle: s.pool_min_idle.unwrap_or(5).min(pool_max_size),
                timeout_secs: s.pool_timeout_secs.unwrap_or(30),
                max_lifetime_secs: s.pool_max_lifetime_secs.unwrap_or(1800),
            },
        })
    }
}

/// A tiny string-error result for start-up and CLI paths, where the message is all that matters.
pub mod anyhow_lite {
    pub type Result<T> = std::result::Result<T, String>;
}

/// Tenant and connection limits (seed §1.2). `0` means no limit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Limits {
    pub max_tables: u64,
    pub max_menu_items: u64,
    pub max_categories: u64,
    pub max_active_orders: u64,
    pub max_active_orders_per_table: u64,
    pub max_staff_streams: u64,
    pub max_streams: u64,
    pub orders_per_minute: u64,
    pub logins_per_minute: u64,
    pub box_logins_per_minute: u64,
    pub pins_per_minute: u64,
    pub max_connections_per_address: u64,
    pub max_option_groups: u64,
    pub max_options_per_group: u64,
    pub event_retention_days: u64,
}

/// Read-pool settings (seed §2.1 mapped onto r2d2).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PoolConfig {
    pub max_size: u32,
    pub min_idle: u32,
    pub timeout_secs: u64,
    pub max_lifetime_secs: u64,
}

/// Where a box sends its events.
#[derive(Debug, Clone, Serialize)]
pub struct HubLink {
    pub url: String,
    #[serde(skip)]
    pub token: String,
    /// The file the extra certificate authorities came from.
    pub ca_file: Option<PathBuf>,
    /// Certificate authorities trusted for the hub besides Mozilla's (from `ca_file`).
    #[serde(skip)]
    pub ca_certs: Vec<rustls_pki_types::CertificateDer<'static>>,
}

/// The certificates of a PEM file; a file that cannot be read or holds none is an error
/// at start-up, not a hub that silently stays unreachable.
fn read_ca_file(path: &Path) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, String> {
    use rustls_pki_types::pem::PemObject;
    let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("hub_ca_file {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("hub_ca_file {}: no certificate in it (a PEM file is expected)", path.display()));
    }
    Ok(certs)
}

/// The resolved configuration the server runs with.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub mdns: bool,
    pub mdns_name: String,
    #[serde(skip)]
    pub jwt_secret: Option<String>,
    #[serde(flatten)]
    pub limits: Limits,
    pub backup_interval_hours: u64,
    pub backup_keep: u64,
    /// The chain hub this box sends to, if any.
    pub hub: Option<HubLink>,
    pub backup_min_interval_secs: u64,
    pub backup_min_free_mb: u64,
    pub update_public_keys: Vec<String>,
    pub update_probation_secs: u64,
    pub hash_concurrency: u64,
    pub header_timeout_secs: u64,
    pub dead_peer_timeout_secs: u64,
    #[serde(flatten)]
    pub pool: PoolConfig,
}

impl Config {
    /// A configuration for tests and benchmarks: loopback on port 0, no mDNS.
    pub fn for_data_dir(dir: &Path) -> Config {
        let mut c = Settings::default().resolve().expect("defaults are valid");
        c.listen = "127.0.0.1:0".parse().expect("valid");
        c.data_dir = dir.to_path_buf();
        c.mdns = false;
        c.backup_interval_hours = 0;
        c
    }

    /// The effective configuration as TOML (the `config` subcommand).
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        let value = serde_json::to_value(self).expect("config serialises");
        if let serde_json::Value::Object(map) = value {
            for (k, v) in map {
                let (k, v) = match k.as_str() {
                    "hub" => {
                        if let Some(ca) = v.get("ca_file").filter(|c| !c.is_null()) {
                            out.push_str(&format!("hub_ca_file = {ca}\n"));
                        }
                        match v.get("url") {
                            Some(url) => ("hub_url".into(), url.clone()),
                            None => continue,
                        }
                    }
                    "max_size" | "min_idle" | "timeout_secs" | "max_lifetime_secs" => (format!("pool_{k}"), v),
                    "mdns" => ("no_mdns".into(), serde_json::Value::Bool(!v.as_bool().unwrap_or(true))),
                    "update_public_keys" => {
                        let keys: Vec<String> =
                            v.as_array().into_iter().flatten().filter_map(|k| k.as_str().map(String::from)).collect();
                        (k, serde_json::Value::String(keys.join(";")))
                    }
                    _ => (k, v),
                };
                out.push_str(&format!("{k} = {v}\n"));
            }
        }
        out
    }
}
