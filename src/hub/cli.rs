//! `tableorder hub …`: serve, migrate, boxes and HQ users.

use super::{Hub, HubConfig, db};
use crate::config::{HubBoxCommand, HubCommand, HubReleaseCommand, HubUserCommand};
use std::io::BufRead;

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

async fn migrated(url: &str) -> Result<deadpool_postgres::Pool, String> {
    let pool = db::pool(url, 2)?;
    db::migrate(&pool).await?;
    Ok(pool)
}

/// Runs a `hub` subcommand; `shutdown` ends `hub serve`.
pub fn run(
    cmd: HubCommand,
    shutdown: impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
) -> Result<(), String> {
    let rt = runtime()?;
    rt.block_on(async move {
        match cmd {
            HubCommand::Serve { listen, db, database_replica_url, redis_url, pool_max_size, csv_page_size } => {
                let cfg = HubConfig {
                    listen,
                    database_url: db.database_url,
                    database_replica_url,
                    redis_url,
                    pool_max_size,
                    csv_page_size,
                };
                let hub = Hub::build(cfg).await?;
                let stop = shutdown();
                tracing::info!(addr = %hub.local_addr(), version = crate::version::get(), "hub ready");
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
                hub.run_until(stop).await?;
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
                Ok(())
            }
            HubCommand::Migrate { db } => {
                let pool = db::pool(&db.database_url, 2)?;
                let v = db::migrate(&pool).await?;
                println!("hub database is at schema version {v}");
                Ok(())
            }
            HubCommand::Box { command: HubBoxCommand::Add { stores, name, db } } => {
                for s in &stores {
                    crate::domain::store_id(s)
                        .map_err(|_| format!("store id {s:?} must be 1–32 characters of a–z, 0–9 and '-'"))?;
                }
                let pool = migrated(&db.database_url).await?;
                let token = format!("tobx_{}", db::hex(&crate::crypto::random_bytes::<32>()));
                let mut c = pool.get().await.map_err(|e| e.to_string())?;
                let tx = c.transaction().await.map_err(|e| e.to_string())?;
                let id: i64 = tx
                    .query_one(
                        "INSERT INTO boxes (name, token_hash) VALUES ($1, $2) RETURNING id",
                        &[&name, &db::token_hash(&token)],
                    )
                    .await
                    .map_err(|e| e.to_string())?
                    .get(0);
                for s in &stores {
                    tx.execute("INSERT INTO box_stores (box_id, store_id) VALUES ($1, $2)", &[&id, s])
                        .await
                        .map_err(|e| e.to_string())?;
                }
                tx.commit().await.map_err(|e| e.to_string())?;
                eprintln!("box {id} may send for {}; its token (shown once):", stores.join(", "));
                println!("{token}");
                Ok(())
            }
            HubCommand::Box { command: HubBoxCommand::Bind { id, stores, db } } => {
                for s in &stores {
                    crate::domain::store_id(s)
                        .map_err(|_| format!("store id {s:?} must be 1–32 characters of a–z, 0–9 and '-'"))?;
                }
                let pool = migrated(&db.database_url).await?;
                let c = pool.get().await.map_err(|e| e.to_string())?;
                let live = c
                    .query_opt("SELECT 1 FROM boxes WHERE id = $1 AND revoked_at IS NULL", &[&id])
                    .await
                    .map_err(|e| e.to_string())?;
                if live.is_none() {
                    return Err(format!("no box {id} with a live token"));
                }
                for s in &stores {
                    c.execute("INSERT INTO box_stores (box_id, store_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&id, s])
                        .await
                        .map_err(|e| e.to_string())?;
                }
                let held: i64 = c
                    .query_one("SELECT count(*) FROM held_events WHERE box_id = $1 AND store_id = ANY($2)", &[&id, &stores])
                    .await
                    .map_err(|e| e.to_string())?
                    .get(0);
                println!("box {id} may send for {} too; {held} held events go into HQ's figures at its next upload", stores.join(", "));
                Ok(())
            }
            HubCommand::Box { command: HubBoxCommand::Revoke { id, db } } => {
                let pool = migrated(&db.database_url).await?;
                let c = pool.get().await.map_err(|e| e.to_string())?;
                let n = c
                    .execute("UPDATE boxes SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", &[&id])
                    .await
                    .map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err(format!("no box {id} with a live token"));
                }
                println!("box {id} revoked");
                Ok(())
            }
            HubCommand::Box { command: HubBoxCommand::List { db } } => {
                let pool = migrated(&db.database_url).await?;
                let c = pool.get().await.map_err(|e| e.to_string())?;
                let rows = c
                    .query(
                        "SELECT b.id, b.name, coalesce(string_agg(s.store_id, ',' ORDER BY s.store_id), ''),
                                b.acked_event_id, coalesce(b.last_seen_at::text, '-'), b.revoked_at IS NOT NULL,
                                coalesce((SELECT string_agg(DISTINCT h.store_id, ',') FROM held_events h WHERE h.box_id = b.id), '')
                         FROM boxes b LEFT JOIN box_stores s ON s.box_id = b.id GROUP BY b.id ORDER BY b.id",
                        &[],
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                println!("id\tname\tstores\tacked\tlast seen\trevoked\tnot bound (held)");
                for r in rows {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.get::<_, i64>(0),
                        r.get::<_, String>(1),
                        r.get::<_, String>(2),
                        r.get::<_, i64>(3),
                        r.get::<_, String>(4),
                        if r.get::<_, bool>(5) { "yes" } else { "no" },
                        r.get::<_, String>(6)
                    );
                }
                Ok(())
            }
            HubCommand::Release { command: HubReleaseCommand::Add { binary, signature, db } } => {
                let sig_path = signature.unwrap_or_else(|| std::path::PathBuf::from(format!("{}.minisig", binary.display())));
                let sig = std::fs::read_to_string(&sig_path).map_err(|e| format!("cannot read {}: {e}", sig_path.display()))?;
                let body = std::fs::read(&binary).map_err(|e| format!("cannot read {}: {e}", binary.display()))?;
                let pool = migrated(&db.database_url).await?;
                let (version, target) = crate::hub::releases::add(&pool, body, &sig).await?;
                println!("release {version} for {target} stored; assign it with: tableorder hub rollout {version} --stores … | --percent N");
                Ok(())
            }
            HubCommand::Release { command: HubReleaseCommand::List { db } } => {
                let pool = migrated(&db.database_url).await?;
                let c = pool.get().await.map_err(|e| e.to_string())?;
                let rows = c
                    .query(
                        "SELECT r.version, string_agg(r.target, ',' ORDER BY r.target), max(length(r.body))::bigint,
                                coalesce(ro.assigned_at::text, '-'), coalesce(ro.halt_reason, CASE WHEN ro.halted_at IS NULL THEN '' ELSE 'halted' END),
                                (SELECT count(*) FROM boxes b WHERE b.version = r.version),
                                (SELECT count(*) FROM boxes b WHERE b.assigned_version = r.version AND b.version IS DISTINCT FROM r.version)
                         FROM releases r LEFT JOIN rollouts ro ON ro.version = r.version
                         GROUP BY r.version, ro.assigned_at, ro.halted_at, ro.halt_reason ORDER BY r.version",
                        &[],
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                println!("version\ttargets\tbytes\trollout\thalted\tboxes on it\tboxes to go");
                for r in rows {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.get::<_, String>(0),
                        r.get::<_, String>(1),
                        r.get::<_, i64>(2),
                        r.get::<_, String>(3),
                        r.get::<_, String>(4),
                        r.get::<_, i64>(5),
                        r.get::<_, i64>(6)
                    );
                }
                Ok(())
            }
            HubCommand::Rollout { version, stores, percent, db } => {
                let pool = migrated(&db.database_url).await?;
                let scope = match percent {
                    Some(p) => crate::hub::releases::Scope::Percent(p),
                    None => crate::hub::releases::Scope::Stores(stores),
                };
                let boxes = crate::hub::releases::rollout(&pool, &version, scope).await?;
                println!(
                    "release {version} assigned to box{} {}; each applies it when idle",
                    if boxes.len() == 1 { "" } else { "es" },
                    boxes.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(", ")
                );
                Ok(())
            }
            HubCommand::User { command: HubUserCommand::Add { username, db } } => {
                let username = crate::domain::username(&username).map_err(|e| e.to_string())?;
                let password = match std::env::var("TABLEORDER_HUB_PASSWORD") {
                    Ok(p) if !p.is_empty() => p,
                    _ => {
                        let mut line = String::new();
                        std::io::stdin()
                            .lock()
                            .read_line(&mut line)
                            .map_err(|e| format!("cannot read the password: {e}"))?;
                        line.trim_end_matches(['\r', '\n']).to_string()
                    }
                };
                let password = crate::domain::admin_password(&password)
                    .map_err(|_| "the password must be 8 to 128 characters".to_string())?;
                let hash = crate::auth::hash_password(&password).map_err(|e| e.to_string())?;
                let pool = migrated(&db.database_url).await?;
                let c = pool.get().await.map_err(|e| e.to_string())?;
                c.execute(
                    "INSERT INTO hq_users (username, password_hash) VALUES ($1, $2)
                     ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash",
                    &[&username, &hash],
                )
                .await
                .map_err(|e| e.to_string())?;
                println!("HQ user {username} can log in");
                Ok(())
            }
        }
    })
}
