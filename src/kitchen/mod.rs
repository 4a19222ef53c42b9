//! The kitchen's printing: ESC/POS layout and the printer tasks. Stations and tickets (the
//! outbox written in the order's transaction, bumps, reprints) are stored by
//! [`crate::db::kitchen`].
//!
//! - [`escpos`]: the ticket's layout as printer bytes, status bytes, and a decoder
//! - [`printer`]: one task per printer station, and their supervisor

pub mod escpos;
pub mod printer;
