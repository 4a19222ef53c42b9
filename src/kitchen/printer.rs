//! One task per station with a printer: it sends the station's waiting tickets in order
//! over raw TCP (ESC/POS, port 9100), marks each printed once the printer took it, and
//! retries with backoff while the printer is away. A supervisor starts and stops the tasks
//! as stations and printers are configured; everything resumes after a restart, because the
//! queue is the `tickets` table.
//!
//! "Took it": after the ticket, the task asks the printer's status (`DLE EOT 1`) and waits
//! for the answer, which a printer sends only once it has processed what came before. A
//! connection that breaks before that answer means the ticket may or may not be on paper:
//! it is sent again, marked "재출력". A printer that never answers status requests is
//! trusted once the bytes were written and the connection closed cleanly.

use super::escpos::{self, Encoding, PrinterState};
use crate::db::events::{EventType, NewEvent};
use crate::db::kitchen::{self as kdb, PrintJob, PrinterDto, StationDto};
use crate::db::{Pool, writer::Writer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const STATUS_TIMEOUT: Duration = Duration::from_millis(800);
const TAKEN_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What the box knows of each printer, for the status endpoint and the dashboard.
#[derive(Default)]
pub struct Printers {
    // std mutex: held only to read or replace an entry.
    states: Mutex<HashMap<i64, PrinterState>>,
    /// Woken when tickets are created or stations change.
    pub wake: Notify,
}

impl Printers {
    pub fn state(&self, station_id: i64) -> Option<PrinterState> {
        self.states.lock().expect("printers lock").get(&station_id).copied()
    }
    fn set(&self, station_id: i64, s: PrinterState) -> Option<PrinterState> {
        self.states.lock().expect("printers lock").insert(station_id, s)
    }
    fn forget(&self, station_id: i64) {
        self.states.lock().expect("printers lock").remove(&station_id);
    }
}

/// What the printer tasks work with, handed over where they start.
#[derive(Clone)]
pub struct Handles {
    pub pool: Pool,
    pub writer: Writer,
    pub printers: Arc<Printers>,
}

/// Why a ticket did not print.
#[derive(Debug)]
pub enum PrintError {
    /// No connection (printer off, unplugged, wrong address).
    Unreachable,
    /// The printer said why it cannot print.
    Refused(PrinterState),
    /// The connection broke after the ticket was (perhaps partly) sent.
    Broke,
}

/// Sends `bytes` to the printer and waits until it took them.
pub async fn send(p: &PrinterDto, bytes: &[u8]) -> Result<(), PrintError> {
    let addr = format!("{}:{}", p.host, p.port);
    let mut sock = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&addr)).await {
        Ok(Ok(s)) => s,
        _ => return Err(PrintError::Unreachable),
    };
    let _ = sock.set_nodelay(true);
    // Can it print? (offline cause and paper sensor)
    let mut ask = Vec::new();
    ask.extend_from_slice(&escpos::status_query(2));
    ask.extend_from_slice(&escpos::status_query(4));
    if sock.write_all(&ask).await.is_err() {
        return Err(PrintError::Unreachable);
    }
    let mut status = [0u8; 2];
    let answers = match tokio::time::timeout(STATUS_TIMEOUT, sock.read_exact(&mut status)).await {
        Ok(Ok(_)) => true,
        Ok(Err(_)) => return Err(PrintError::Unreachable),
        Err(_) => false, // no status support
    };
    if answers {
        let state = escpos::state_from_status(status[0], status[1]);
        if state != PrinterState::Ok {
            return Err(PrintError::Refused(state));
        }
    }
    if sock.write_all(bytes).await.is_err() {
        return Err(PrintError::Broke);
    }
    if answers {
        if sock.write_all(&escpos::status_query(1)).await.is_err() {
            return Err(PrintError::Broke);
        }
        let mut b = [0u8; 1];
        return match tokio::time::timeout(TAKEN_TIMEOUT, sock.read_exact(&mut b)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(PrintError::Broke),
        };
    }
    // No status: a clean close after the bytes is all there is to go by.
    if sock.shutdown().await.is_err() {
        return Err(PrintError::Broke);
    }
    let mut rest = [0u8; 64];
    match tokio::time::timeout(Duration::from_secs(2), sock.read(&mut rest)).await {
        Ok(Err(_)) => Err(PrintError::Broke),
        _ => Ok(()),
    }
}

fn local_time(ms: i64, tz: &str) -> String {
    let tz = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The bytes of a print job.
pub fn job_bytes(job: &PrintJob, station: &StationDto, p: &PrinterDto) -> Vec<u8> {
    let enc = Encoding::parse(&p.encoding).unwrap_or(Encoding::Cp949);
    if let Some(doc) = &job.doc {
        return escpos::render_doc(doc, p.columns as usize, enc, job.reprint);
    }
    let t = escpos::Ticket {
        store_name: job.store_name.clone(),
        station: station.name.clone(),
        table_number: job.table_number,
        order_no: job.order_no,
        time: local_time(job.created_at_ms, &job.timezone),
        cancel: job.cancel,
        reprint: job.reprint,
        lines: job
            .lines
            .iter()
            .map(|l| escpos::TicketLine {
                name: l.name.clone(),
                quantity: l.quantity,
                options: l.options.iter().map(|o| o.name.clone()).collect(),
                note: l.note.clone(),
            })
            .collect(),
    };
    escpos::render(&t, p.columns as usize, enc)
}

/// Records a printer's state when it changed (or, while it is in trouble, when the number
/// of waiting tickets changed), as `printer_changed`.
async fn report(st: &Handles, store_id: &str, station_id: i64, state: PrinterState, last_waiting: &mut i64) {
    let previous = st.printers.set(station_id, state);
    let (store, sid) = (store_id.to_string(), station_id);
    let waiting = crate::db::read(&st.pool, move |c| Ok(kdb::waiting(c, &store, sid)?)).await.unwrap_or(0);
    if previous == Some(state) && (state == PrinterState::Ok || waiting == *last_waiting) {
        return;
    }
    *last_waiting = waiting;
    let store = store_id.to_string();
    let (st2, store2) = (st.clone(), store_id.to_string());
    let last = crate::db::read(&st2.pool, move |c| Ok(kdb::last_printed(c, &store2, sid)?)).await.ok().flatten();
    let payload = crate::wire::PrinterChanged {
        station_id,
        state: state.as_str().to_string(),
        waiting,
        last_printed_at: last.map(crate::db::rfc3339),
        configured: None,
        deleted: None,
    };
    let r = st.writer.write(move |ctx| ctx.emit(NewEvent::new(&store, None, EventType::PrinterChanged, payload))).await;
    if let Err(e) = r {
        tracing::warn!(error = %e, "could not record a printer's state");
    }
    if state != PrinterState::Ok {
        tracing::warn!(station_id, state = state.as_str(), waiting, "printer problem");
    }
}

/// Prints a station's queue until it is stopped (aborted by the supervisor).
async fn station_task(st: Handles, store_id: String, station: StationDto) {
    let Some(p) = station.printer.clone() else { return };
    let mut backoff = Duration::from_secs(1);
    let mut last_waiting = -1;
    loop {
        let (store, sid) = (store_id.clone(), station.id);
        let job = match crate::db::read(&st.pool, move |c| Ok(kdb::next_job(c, &store, sid)?)).await {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the print queue");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Some(job) = job else {
            // Nothing waits: sleep until woken (or a second, to notice changes anyway).
            let _ = tokio::time::timeout(Duration::from_secs(1), st.printers.wake.notified()).await;
            continue;
        };
        let bytes = job_bytes(&job, &station, &p);
        match send(&p, &bytes).await {
            Ok(()) => {
                let (store, id, doc) = (store_id.clone(), job.ticket_id, job.doc.is_some());
                let r = st.writer.write(move |ctx| Ok(kdb::printed(ctx.conn, &store, id, doc, ctx.now_ms)?)).await;
                if let Err(e) = r {
                    // Not recorded: it will print again, marked as a reprint.
                    tracing::error!(error = %e, "a printed ticket could not be recorded");
                    tokio::time::sleep(backoff).await;
                    continue;
                }
                backoff = Duration::from_secs(1);
                report(&st, &store_id, station.id, PrinterState::Ok, &mut last_waiting).await;
            }
            Err(e) => {
                let state = match e {
                    PrintError::Refused(s) => s,
                    PrintError::Unreachable | PrintError::Broke => PrinterState::Offline,
                };
                if matches!(e, PrintError::Broke) {
                    let (store, id, doc) = (store_id.clone(), job.ticket_id, job.doc.is_some());
                    let _ = st.writer.write(move |ctx| Ok(kdb::mark_reprint(ctx.conn, &store, id, doc)?)).await;
                }
                report(&st, &store_id, station.id, state, &mut last_waiting).await;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Keeps one printer task per configured station, restarting a station's task when its
/// printer settings change. Runs until aborted (server shutdown).
pub async fn supervise(st: Handles) {
    // The tasks belong to this JoinSet: when the supervisor is aborted, they go with it.
    let mut tasks = tokio::task::JoinSet::new();
    let mut running: HashMap<i64, (StationDto, tokio::task::AbortHandle)> = HashMap::new();
    loop {
        while tasks.try_join_next().is_some() {}
        match crate::db::read(&st.pool, |c| Ok(kdb::printer_stations(c)?)).await {
            Ok(list) => {
                let live: std::collections::HashSet<i64> = list.iter().map(|(_, s)| s.id).collect();
                running.retain(|id, (_, task)| {
                    let keep = live.contains(id);
                    if !keep {
                        task.abort();
                        st.printers.forget(*id);
                    }
                    keep
                });
                for (store, station) in list {
                    let changed = running.get(&station.id).is_none_or(|(s, _)| s != &station);
                    if changed {
                        if let Some((_, old)) = running.remove(&station.id) {
                            old.abort();
                        }
                        let task = tasks.spawn(station_task(st.clone(), store, station.clone()));
                        running.insert(station.id, (station, task));
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read the printer stations"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), st.printers.wake.notified()).await;
    }
}
