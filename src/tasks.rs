//! Background work owned by the running server: event pruning, scheduled backups,
//! rate-limiter upkeep and the systemd watchdog. All of it is aborted at shutdown.

use crate::db;
use crate::state::AppState;
use std::time::Duration;
use tokio::task::JoinSet;

pub fn spawn(state: AppState) -> JoinSet<()> {
    let mut set = JoinSet::new();
    set.spawn(prune_events(state.clone()));
    set.spawn(tidy_limits(state.clone()));
    set.spawn(refresh_accounts(state.clone()));
    set.spawn(close_days_at_cutoff(state.clone()));
    set.spawn(crate::kitchen::printer::supervise(crate::kitchen::printer::Handles {
        pool: state.pool.clone(),
        writer: state.writer.clone(),
        printers: state.printers.clone(),
    }));
    if let Some(link) = state.config.hub.clone() {
        let handles = crate::uplink::Handles {
            pool: state.pool.clone(),
            writer: state.writer.clone(),
            clock: state.clock.clone(),
            metrics: state.metrics.clone(),
            status: state.uplink.clone(),
            data_dir: state.config.data_dir.clone(),
            update_keys: state.config.update_public_keys.clone(),
        };
        set.spawn(crate::uplink::run(handles, link));
    }
    if state.config.backup_interval_hours > 0 {
        set.spawn(scheduled_backups(state.clone()));
    }
    set.spawn(switch_when_due(state.clone()));
    if let Some(interval) = watchdog_interval() {
        set.spawn(watchdog(state, interval));
    }
    set
}

/// Deletes events older than the retention period, hourly (and once at start) — but never
/// one the chain hub has not acknowledged, when the box sends to one.
async fn prune_events(st: AppState) {
    let days = st.config.limits.event_retention_days;
    if days == 0 {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let cutoff = st.clock.now_ms() - days as i64 * 86_400_000;
        let hub = st.config.hub.is_some();
        let pruned = st
            .writer
            .write(move |ctx| {
                let upto = if hub { Some(db::uplink::cursor(ctx.conn)?) } else { None };
                Ok(db::events::prune(ctx.conn, cutoff, upto)?)
            })
            .await;
        match pruned {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "pruned old events"),
            Err(e) => tracing::warn!(error = %e, "event pruning failed"),
        }
    }
}

/// Ends business days nobody closed, at each store's cutoff hour (and, after the box was
/// off, at start): their reports are frozen, open visits carry into the next day.
async fn close_days_at_cutoff(st: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let stores = match db::read(&st.pool, db::days::stores_with_open_days).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the open business days");
                continue;
            }
        };
        for store in stores {
            let s = store.clone();
            match st.writer.write(move |ctx| db::days::close_if_due(ctx, &s)).await {
                Ok(Some(r)) => {
                    tracing::info!(store_id = %store, business_date = %r.day.business_date, net = r.net, "business day closed at the cutoff hour")
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, store_id = %store, "could not close a business day at its cutoff"),
            }
        }
    }
}

/// Picks up account changes made by the command line (another process).
async fn refresh_accounts(st: AppState) {
    let mut tick = tokio::time::interval(crate::auth::ACCOUNTS_REFRESH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let accounts = st.accounts.clone();
        if let Err(e) = db::read(&st.pool, move |c| Ok(accounts.refresh(c)?)).await {
            tracing::warn!(error = %e, "could not refresh the accounts");
        }
    }
}

async fn tidy_limits(st: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        st.limits.orders.tidy();
        st.limits.logins.tidy();
        st.limits.box_logins.tidy();
        st.limits.pin_failures.tidy();
        st.limits.pin_failures_by_address.tidy();
        st.limits.login_locks.tidy(st.clock.now_ms());
    }
}

/// Writes `scheduled-*.db` every `backup_interval_hours` and keeps the newest `backup_keep`.
async fn scheduled_backups(st: AppState) {
    let every = Duration::from_secs(st.config.backup_interval_hours * 3600);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        let dir = st.config.data_dir.clone();
        let keep = st.config.backup_keep as usize;
        let needed = db::backup::space_needed(&dir, st.config.backup_min_free_mb);
        if let Some(free) = crate::metrics::free_bytes(&dir)
            && free < needed
        {
            st.metrics.backups_failed.inc();
            tracing::error!(free_bytes = free, needed_bytes = needed, "scheduled backup skipped: not enough free disk");
            continue;
        }
        let r = db::read(&st.pool, move |c| {
            let path = db::backup::new_path(&dir, "scheduled");
            db::backup::vacuum_into(c, &path).map_err(crate::error::AppError::Internal)?;
            db::backup::prune_scheduled(&dir, keep.max(1));
            Ok(path)
        })
        .await;
        match r {
            Ok(p) => {
                st.metrics.backups_written.get_or_create(&crate::metrics::KindLabel { kind: "scheduled" }).inc();
                tracing::info!(path = %p.display(), "scheduled backup written")
            }
            Err(e) => {
                st.metrics.backups_failed.inc();
                tracing::error!(error = %e, "scheduled backup failed")
            }
        }
    }
}

/// Half the systemd watchdog period, when systemd asked for one: `WATCHDOG_USEC` set
/// and, if `WATCHDOG_PID` is set too, naming this process (sd_watchdog_enabled(3)).
/// Read here rather than with `sd_notify::watchdog_enabled`, which also insists on
/// `WATCHDOG_PID`, unlike systemd's own library.
fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.trim().parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.trim().parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// Pings the systemd watchdog while reads work and the writer answers: a wedged box
/// (or one whose writer thread died) gets restarted.
async fn watchdog(st: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let (db_ok, writer_ok) = crate::http::health::healthy(&st).await;
        let healthy = db_ok && writer_ok;
        if healthy {
            let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
        } else {
            tracing::error!(db_ok, writer_ok, "health check failed; not feeding the watchdog");
        }
    }
}

/// Watches for an installed release waiting for its moment (asked for through the API, the
/// CLI or the hub) and, when it comes (`now`, or `idle`: no open visit, or the day closed),
/// asks `main` to switch: the server stops taking requests and hands over to it.
async fn switch_when_due(st: AppState) {
    let data_dir = st.config.data_dir.clone();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut waiting_logged = false;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = st.switcher.poke.notified() => {}
        }
        let dir = data_dir.clone();
        let Ok(state) = tokio::task::spawn_blocking(move || crate::update::state::load(&dir)).await else { continue };
        let Some(p) = state.pending else {
            waiting_logged = false;
            continue;
        };
        if p.when == crate::update::state::When::Idle {
            match db::read(&st.pool, |c| Ok(db::stores::is_idle(c)?)).await {
                Ok(true) => {}
                Ok(false) => {
                    if !waiting_logged {
                        tracing::info!(release = ?p.to, "update waits until no visit is open or the day is closed");
                        waiting_logged = true;
                    }
                    continue;
                }
                Err(_) => continue,
            }
        }
        tracing::info!(release = ?p.to, rollback = p.rollback, "switching release now");
        st.switcher.ask(crate::update::switch::Target { to: p.to, rollback: p.rollback });
        return;
    }
}
