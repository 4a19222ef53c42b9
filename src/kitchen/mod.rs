//! The kitchen: stations (주방, 바) with ESC/POS network printers, tickets written as an
//! outbox in the order's transaction, printer tasks that print them, and the bump flow of
//! the kitchen display.
//!
//! - [`db`]: stations, routing of order lines, tickets (create, cancel, bump, reprint)
//! - [`escpos`]: the ticket's layout as printer bytes, status bytes, and a decoder
//! - [`printer`]: one task per printer station, and their supervisor

pub mod db;
pub mod escpos;
pub mod printer;
