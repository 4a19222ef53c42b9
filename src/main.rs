//! The `tableorder` binary: parse the command line, set up logging, run the subcommand.

use clap::Parser;
use std::process::ExitCode;
use tableorder::app::App;
use tableorder::config::{AdminCommand, Cli, Command, StoreCommand, UpdateCommand};
use tableorder::{cli, db, mdns};

// mimalloc returns freed memory to the system promptly: after a burst of logins (19 MiB
// per password hash) or of connections, the box's RSS goes back down.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = Cli::parse();
    init_logging();
    let result = match args.command {
        Command::Serve { settings, demo } => serve(settings, demo),
        Command::Store { command: StoreCommand::Create { id, name, admin, timezone, settings } } => {
            cli::store_create(&id, &name, &admin, &timezone, settings)
        }
        Command::Backup { out, settings } => cli::backup(&out, settings),
        Command::Migrate { settings } => cli::migrate(settings),
        Command::Healthcheck { url } => cli::healthcheck(&url),
        Command::Config { settings } => settings.resolve().map(|c| print!("{}", c.to_toml())),
        Command::Admin { command: AdminCommand::ResetPassword { store, username, settings } } => {
            cli::reset_password(&store, &username, settings)
        }
        Command::Update { command: UpdateCommand::Verify { binary, signature, public_keys, rollback } } => {
            cli::update_verify(&binary, signature.as_deref(), &public_keys, rollback)
        }
        Command::Update { command: UpdateCommand::Apply { binary, signature, when, rollback, settings } } => {
            cli::update_apply(&binary, signature.as_deref(), &when, rollback, settings)
        }
        Command::Update { command: UpdateCommand::Status { settings } } => cli::update_status(settings),
        Command::Update { command: UpdateCommand::Rollback { settings } } => cli::update_rollback(settings),
        Command::Update { command: UpdateCommand::Stopped { settings } } => settings.resolve().and_then(|c| {
            let var = |k: &str| std::env::var(k).unwrap_or_default();
            tableorder::update::guard::record_stop(
                &c.data_dir,
                &var("SERVICE_RESULT"),
                &var("EXIT_CODE"),
                &var("EXIT_STATUS"),
            )
        }),
        Command::Update {
            command: UpdateCommand::Guard { data_dir, pid, health, probation_secs, listen_fd, systemd, fallback },
        } => tableorder::update::guard::run(tableorder::update::guard::Plan {
            data_dir,
            pid,
            health,
            probation: std::time::Duration::from_secs(probation_secs),
            listen_fd,
            systemd,
            fallback,
        }),
        #[cfg(feature = "hub")]
        Command::Hub { command } => tableorder::hub::cli::run(command, || Box::pin(shutdown_signal())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tableorder: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: tableorder::config::Settings, demo: bool) -> Result<(), String> {
    use tableorder::update::switch;
    let config = settings.resolve()?;
    // The socket first: handed over by the release before this one, or by systemd.
    let listener = match switch::inherited_listener()? {
        Some(l) => l,
        None => switch::bind(config.listen)?,
    };
    let probation = match switch::at_start(&config.data_dir) {
        switch::Start::Serve { probation } => {
            switch::reap_guard();
            probation
        }
        switch::Start::Exec(program) => return Err(exec_release(&program, &listener)),
    };
    let handoff = listener.try_clone().map_err(|e| format!("cannot keep the listening socket: {e}"))?;
    let data_dir = config.data_dir.clone();
    let probation_secs = config.update_probation_secs;
    let switcher = std::sync::Arc::new(switch::Switcher::default());
    let switched = switcher.clone();
    let termed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let term_seen = termed.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Blocking work is database reads (the pool holds at most pool_max_size connections)
        // and file I/O: a few more threads than connections is plenty, and a burst of
        // requests cannot create hundreds of threads (each with its own allocator cache).
        .max_blocking_threads(config.pool.max_size as usize + 8)
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async move {
        let opts = tableorder::app::Options { listener: Some(listener), switcher: Some(switcher.clone()), ..Default::default() };
        let app = App::build_with(config.clone(), opts).await?;
        if probation {
            tracing::info!(secs = probation_secs, "this release is on probation");
        }
        // Listen for SIGTERM from here on: one arriving right after READY=1 must still
        // stop the server cleanly rather than kill it.
        let stop = {
            let term = shutdown_signal();
            let switcher = switcher.clone();
            async move {
                tokio::select! {
                    _ = term => term_seen.store(true, std::sync::atomic::Ordering::SeqCst),
                    _ = switcher.asked() => {}
                }
            }
        };
        if demo {
            seed_demo(&app).await?;
        }
        let port = app.port();
        tracing::info!(addr = %app.local_addr(), startup_ms = app.startup_time().as_millis() as u64, version = tableorder::version::get(), "ready");
        let _mdns = if config.mdns {
            let st = app.state().pool.clone();
            let stores = db::read(&st, |c| Ok(db::stores::store_ids(c)?)).await.unwrap_or_default();
            match mdns::Advertiser::start(&config.mdns_name, port, &stores) {
                Ok(a) => Some(a),
                Err(e) => {
                    tracing::error!(error = %e, "mDNS is off; the box is still reachable by its address");
                    None
                }
            }
        } else {
            None
        };
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
        app.run_until(stop).await?;
        Ok::<(), String>(())
    })?;
    drop(rt);
    // Asked to stop (SIGTERM, Ctrl-C): stop, even with a switch pending.
    let target = if termed.load(std::sync::atomic::Ordering::SeqCst) { None } else { switched.take() };
    // Under systemd a switch is a reload of the same process (the next release says READY=1
    // again); STOPPING=1 would make systemd wait for an exit and then kill the new release.
    let _ = match (&target, sd_notify::NotifyState::monotonic_usec_now()) {
        (Some(_), Ok(now)) => sd_notify::notify(false, &[sd_notify::NotifyState::Reloading, now]),
        (Some(_), Err(_)) => sd_notify::notify(false, &[sd_notify::NotifyState::Reloading]),
        (None, _) => sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]),
    };
    match target {
        Some(target) => Err(switch::exec_into(&data_dir, &handoff, target, probation_secs)),
        None => Ok(()),
    }
}

/// Runs the release the box has switched to, in this process, on the same socket.
fn exec_release(program: &std::path::Path, listener: &std::net::TcpListener) -> String {
    use std::os::unix::process::CommandExt;
    use tableorder::update::switch;
    tracing::info!(program = %program.display(), "starting the installed release");
    let mut cmd = std::process::Command::new(program);
    cmd.args(std::env::args_os().skip(1)).env(switch::RUN_ENV, "switched");
    if let Err(e) = switch::hand_on(&mut cmd, listener, std::process::id()) {
        return format!("cannot hand on the listening socket: {e}");
    }
    let e = cmd.exec();
    format!("cannot start {}: {e}", program.display())
}

/// Logs to stderr. Colours only on a terminal; under journald (`JOURNAL_STREAM` names
/// stderr's stream) no timestamp either, since the journal keeps its own.
fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("TABLEORDER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn,mdns_sd=warn"));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().init();
    } else {
        builder.init();
    }
}

async fn seed_demo(app: &App) -> Result<(), String> {
    let hasher = &app.state().hasher;
    let admin_hash = hasher.hash(cli::DEMO_PASSWORD.into()).await.map_err(|e| e.to_string())?;
    let table_hash = hasher.hash(cli::DEMO_TABLE_PASSWORD.into()).await.map_err(|e| e.to_string())?;
    let created = app
        .state()
        .writer
        .write(move |ctx| cli::seed_demo(ctx, &admin_hash, &table_hash))
        .await
        .map_err(|e| format!("cannot create the demo store: {e}"))?;
    if created {
        *app.state().setup_code.lock().expect("setup lock") = None;
    }
    let port = app.port();
    println!(
        "\n  tableorder demo store{}\n  staff dashboard: http://127.0.0.1:{port}/staff  (store {}, user {}, password {}; also manager, server, kitchen with PINs 1111, 2222, 3333)\n  table tablet:    http://127.0.0.1:{port}/table  (store {}, tables 1–{}, password {})\n",
        if created { " created" } else { "" },
        cli::DEMO_STORE,
        cli::DEMO_ADMIN,
        cli::DEMO_PASSWORD,
        cli::DEMO_STORE,
        cli::DEMO_TABLES,
        cli::DEMO_TABLE_PASSWORD
    );
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM. The SIGTERM handler is installed when this is called,
/// not when the future is first polled.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = term => {},
        }
    }
}
