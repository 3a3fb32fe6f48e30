//! `storenet keys`: create, list and revoke API keys.

use crate::model::{ChainId, OutletId};
use crate::store::{Role, Scope, Store};

/// Arguments of `storenet keys`.
#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "STORENET_DATABASE_URL", default_value = crate::db::DEFAULT_URL)]
    pub database_url: String,
    /// What to do.
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// The `keys` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it once (only its hash is stored). Its outlet must be open, its
    /// chain and household must exist (an empty database first gets DATA_DIR's outlets, as
    /// `serve` does).
    Create {
        /// admin, retailer, chain, planner or household.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The retailer's outlet id.
        #[arg(long, conflicts_with_all = ["chain", "household"])]
        outlet: Option<OutletId>,
        /// The chain's id.
        #[arg(long, conflicts_with = "household")]
        chain: Option<ChainId>,
        /// The household's id.
        #[arg(long)]
        household: Option<String>,
    },
    /// List keys (ids, prefixes, roles and scopes; never the keys).
    List,
    /// Revoke a key by its id (see `keys list`).
    Revoke {
        /// The key's id.
        id: i64,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

/// Runs `storenet keys`.
pub fn run(data_dir: &std::path::Path, args: KeysArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        // A key for an outlet or chain is checked against the registry, so an empty database
        // first gets the data dir's outlets, as on `serve`'s first start.
        let registry_scope = matches!(
            &args.command,
            KeysCommand::Create {
                outlet: Some(_),
                ..
            } | KeysCommand::Create { chain: Some(_), .. }
        );
        let store = if registry_scope {
            let rules = crate::ledger::Rules::default();
            super::ledger::open_like_serve(&args.database_url, data_dir, rules)
                .await?
                .0
        } else {
            Store::open(&args.database_url).await?
        };
        match args.command {
            KeysCommand::Create {
                role,
                outlet,
                chain,
                household,
            } => {
                let scope = match (outlet, chain, household) {
                    (Some(o), _, _) => Scope::Outlet(o),
                    (_, Some(c), _) => Scope::Chain(c),
                    (_, _, Some(h)) => Scope::Household(h),
                    _ => Scope::Network,
                };
                let key = store.create_key_checked(role, scope).await?;
                eprintln!("New {role} key (shown once; store it now):");
                println!("{key}");
            }
            KeysCommand::List => {
                println!(
                    "{:>5}  {:<12} {:<10} {:<22} {:<20} revoked",
                    "id", "prefix", "role", "scope", "created"
                );
                for k in store.list_keys().await? {
                    let scope = match &k.scope {
                        Scope::Network => "network".to_string(),
                        Scope::Outlet(o) => format!("outlet {o}"),
                        Scope::Chain(c) => format!("chain {c}"),
                        Scope::Household(h) => format!("household {h}"),
                    };
                    println!(
                        "{:>5}  {:<12} {:<10} {:<22} {:<20} {}",
                        k.id,
                        k.prefix,
                        k.role,
                        scope,
                        k.created_at.format("%Y-%m-%d %H:%M:%S"),
                        k.revoked_at.map_or_else(
                            || "-".to_string(),
                            |t| t.format("%Y-%m-%d %H:%M:%S").to_string()
                        )
                    );
                }
            }
            KeysCommand::Revoke { id } => {
                if store.revoke_key(id).await? {
                    println!("revoked key {id}");
                } else {
                    anyhow::bail!("no unrevoked key with id {id}");
                }
            }
        }
        Ok(())
    })
}
