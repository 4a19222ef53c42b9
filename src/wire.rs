//! The wire contract between a box and the chain hub, and the shapes both sides share:
//! the event vocabulary ([`EventType`]), each event's data ([`EventData`]), the objects
//! events carry (orders, sessions, calls, tickets), and the bodies of `POST /hub/v1/ingest`
//! and `/hub/v1/backfill`. The box serialises these types and the hub deserialises the
//! same ones, so a change on one side is a change on the other (the round trip of every
//! event kind is a unit test below).
//!
//! Always compiled: a box-only build (`--no-default-features`) sends what the hub reads.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::OrderStatus;

// ---- the event vocabulary -------------------------------------------------------------------

/// Declares the event kinds once: the enum, [`EventType::ALL`] and each kind's name.
macro_rules! event_types {
    ($($kind:ident = $name:literal),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum EventType {
            $(#[serde(rename = $name)] $kind,)*
        }

        impl EventType {
            /// Every kind, in declaration order (to read a stored kind back).
            pub const ALL: &'static [EventType] = &[$(EventType::$kind),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$kind => $name,)*
                }
            }
        }
    };
}

event_types! {
    OrderCreated = "order_created",
    OrderUpdated = "order_updated",
    OrderCancelled = "order_cancelled",
    SessionEnded = "session_ended",
    CallCreated = "call_created",
    CallAcked = "call_acked",
    MenuChanged = "menu_changed",
    TableChanged = "table_changed",
    TicketCreated = "ticket_created",
    TicketBumped = "ticket_bumped",
    PrinterChanged = "printer_changed",
    SessionMoved = "session_moved",
    Audit = "audit",
    CheckChanged = "check_changed",
    DayClosed = "day_closed",
}

impl EventType {
    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Types a table's own stream carries when the event is about that table.
    pub const TABLE_OWN: [&'static str; 6] =
        ["order_created", "order_updated", "order_cancelled", "session_ended", "call_acked", "session_moved"];

    /// Whether a table's stream receives this event (`for_table`: the event is about it).
    pub fn visible_to_table(self, for_table: bool) -> bool {
        match self {
            EventType::MenuChanged => true,
            other => for_table && EventType::TABLE_OWN.contains(&other.as_str()),
        }
    }

    /// Whether the event goes to event streams at all: the audit trail travels to the
    /// chain hub with the other events but is read by managers through its own page.
    pub fn streamed(self) -> bool {
        self != EventType::Audit
    }
}

// ---- what events carry ----------------------------------------------------------------------

pub use crate::domain::pricing::ChosenOption;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct OrderItemDto {
    pub menu_item_id: i64,
    pub name: String,
    /// The item's price plus the chosen options' deltas, when ordered (never below 0).
    pub unit_price: i64,
    pub quantity: i64,
    /// The guest's note ("" when none).
    // Defaults: events of orders placed before notes and options existed still read.
    #[serde(default)]
    #[schema(required = true)]
    pub note: String,
    /// The chosen options as they were when ordered.
    #[serde(default)]
    #[schema(required = true)]
    pub options: Vec<ChosenOption>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct OrderDto {
    pub id: i64,
    pub order_no: i64,
    pub table_id: i64,
    pub table_number: i64,
    pub session_id: i64,
    pub status: OrderStatus,
    pub total: i64,
    pub created_at: String,
    pub updated_at: String,
    pub items: Vec<OrderItemDto>,
}

/// The open session of a table, summed over its orders that are not cancelled.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SessionSummary {
    pub id: i64,
    pub started_at: String,
    pub total: i64,
    pub order_count: i64,
    /// Guests at the table (인원), when someone said.
    #[serde(default)]
    #[schema(required = true)]
    pub guests: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TableDto {
    pub id: i64,
    pub number: i64,
    pub session: Option<SessionSummary>,
}

/// A session as it ended (the `session_ended` event and the end-session answer).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct EndedSession {
    pub session_id: i64,
    pub table_id: i64,
    pub table_number: i64,
    pub started_at: String,
    pub ended_at: String,
    pub total: i64,
    pub order_count: i64,
    /// Guests at the table, when someone said.
    #[serde(default)]
    #[schema(required = true)]
    pub guests: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CallDto {
    pub id: i64,
    pub table_id: i64,
    pub table_number: i64,
    pub session_id: Option<i64>,
    #[serde(default)]
    #[schema(required = true)]
    pub reason: String,
    pub created_at: String,
    pub acked_at: Option<String>,
}

/// A line on a ticket.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TicketLineDto {
    pub name: String,
    pub quantity: i64,
    pub options: Vec<ChosenOption>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TicketDto {
    pub id: i64,
    pub station_id: i64,
    pub order_id: i64,
    pub order_no: i64,
    pub table_id: i64,
    pub table_number: i64,
    pub created_at: String,
    pub bumped_at: Option<String>,
    pub printed_at: Option<String>,
    /// `order` or `cancel`.
    pub kind: String,
    pub lines: Vec<TicketLineDto>,
}

/// `order_created`, `order_updated`, `order_cancelled`: the order and its session's summary.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrderEvent {
    #[serde(flatten)]
    pub order: OrderDto,
    pub session: Option<SessionSummary>,
}

/// `menu_changed`: the menu's new version and what changed (`change`, and the object:
/// `item`, `category`, `option_group`, … as the dashboard shows it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MenuChanged {
    pub change: String,
    pub version: i64,
    #[serde(flatten)]
    pub detail: Map<String, Value>,
}

/// `table_changed`: a table created, deleted, its password changed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableChanged {
    pub change: String,
    pub table: TableDto,
}

/// `printer_changed`: a station's printer state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PrinterChanged {
    pub station_id: i64,
    /// `ok`, `offline`, `paper_out`, `cover_open` or `none`.
    pub state: String,
    pub waiting: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_printed_at: Option<String>,
    /// Set when the station's settings changed (not the printer's own state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configured: Option<bool>,
    /// Set when the station was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
}

/// `session_moved`, on the table streams of both tables (and the staff stream): a party
/// moved to another table, two parties joined (`merged`, the target's session goes on), or
/// one order moved (`order_id`). Tablets refetch their orders.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SessionMoved {
    /// The session at the target table now.
    pub session_id: i64,
    pub from_table_id: i64,
    pub from_table_number: i64,
    pub to_table_id: i64,
    pub to_table_number: i64,
    #[serde(default)]
    pub merged: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<i64>,
}

/// A row of the audit trail: who did what to which table, order or amount, and who approved.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_number: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What else the action names (old and new price, the tables moved between, …).
    #[schema(value_type = Object)]
    pub detail: Value,
}

/// A line of a check: the order line with what was voided and comped of it, and what it
/// comes to now (`net`, its share of discounts off).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CheckLine {
    pub order_item_id: i64,
    pub order_id: i64,
    pub order_no: i64,
    pub menu_item_id: i64,
    pub name: String,
    pub options: Vec<ChosenOption>,
    pub quantity: i64,
    /// As copied when ordered (never the menu's price now).
    pub unit_price: i64,
    /// unit_price × quantity.
    pub amount: i64,
    pub voided_qty: i64,
    pub comped_qty: i64,
    /// Line discounts and its share of the whole check's.
    pub discount: i64,
    pub net: i64,
    /// Its order was cancelled: it counts nowhere.
    pub cancelled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct AdjustmentDto {
    pub id: i64,
    /// `discount`, `comp` (서비스) or `void`.
    pub kind: String,
    pub reason: String,
    pub order_item_id: Option<i64>,
    pub percent: Option<i64>,
    pub quantity: Option<i64>,
    /// What it takes off the check now.
    pub amount: i64,
    pub staff_name: Option<String>,
    pub approver_name: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PaymentDto {
    pub id: i64,
    /// `cash`, `card`, `transfer`, `voucher` or `other`.
    pub method: String,
    pub amount: i64,
    pub tendered: Option<i64>,
    pub change: i64,
    pub reference: Option<String>,
    pub refunded: i64,
    pub staff_name: Option<String>,
    pub at: String,
    /// Paid as one of N equal parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_parts: Option<i64>,
    /// Paid for these lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub split_items: Vec<i64>,
    /// The business day it was taken in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_date: Option<String>,
}

/// How the check splits, when asked (`?split=equal&parts=N` or `?split=items&order_item_ids=…`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SplitDto {
    /// `equal` or `items`.
    pub kind: String,
    /// Equal: every part's amount (the remainder on the first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<i64>,
    /// Equal: parts already paid.
    #[serde(default)]
    pub parts_paid: i64,
    /// Items: the lines chosen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_item_ids: Vec<i64>,
    /// What the next payment of this split comes to (never more than the balance).
    pub next_amount: i64,
}

/// A table's check: its session's orders, lines, adjustments and payments, all summed on
/// the box. `total = subtotal − discounts − comps − voids`, `balance = total − paid + refunded`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CheckDto {
    pub session_id: i64,
    pub table_id: i64,
    pub table_number: i64,
    pub guests: Option<i64>,
    /// The visit ended (a check of history).
    pub ended: bool,
    pub orders: Vec<OrderDto>,
    pub lines: Vec<CheckLine>,
    pub adjustments: Vec<AdjustmentDto>,
    pub subtotal: i64,
    pub discounts: i64,
    pub comps: i64,
    pub voids: i64,
    pub total: i64,
    pub payments: Vec<PaymentDto>,
    pub paid: i64,
    pub refunded: i64,
    pub balance: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<SplitDto>,
}

/// A business day.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct DayDto {
    pub id: i64,
    /// The date it belongs to (YYYY-MM-DD, the store's; a night past midnight belongs to
    /// the evening it began).
    pub business_date: String,
    pub opened_at: String,
    pub closed_at: Option<String>,
    /// Who opened or closed it (null: by itself).
    pub opened_by: Option<String>,
    pub closed_by: Option<String>,
    pub opening_cash: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct MethodTotal {
    pub method: String,
    pub count: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CashCount {
    pub opening: i64,
    pub sales: i64,
    pub refunds: i64,
    /// opening + sales − refunds: what the drawer should hold.
    pub expected: i64,
    pub counted: Option<i64>,
    /// counted − expected.
    pub difference: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Unpaid {
    pub session_id: i64,
    pub table_number: i64,
    pub balance: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct HourTotal {
    pub hour: i64,
    pub orders: i64,
    pub net: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ItemTotal {
    pub menu_item_id: i64,
    pub name: String,
    pub quantity: i64,
    pub net: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CategoryTotal {
    pub category: String,
    pub quantity: i64,
    pub net: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CancelledTotal {
    pub orders: i64,
    pub amount: i64,
}

/// A business day's report (마감 정산, the Z report): the checks settled in it, the money
/// taken and given back in it. `net = gross − discounts − comps − voids − refunds`. Frozen at
/// the close.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct DayReport {
    #[serde(flatten)]
    pub day: DayDto,
    pub orders: i64,
    pub sessions: i64,
    pub guests: i64,
    pub gross: i64,
    pub discounts: i64,
    pub comps: i64,
    pub voids: i64,
    pub refunds: i64,
    pub net: i64,
    pub average_per_guest: i64,
    pub payments: Vec<MethodTotal>,
    pub cash: CashCount,
    pub unpaid: Vec<Unpaid>,
    pub by_hour: Vec<HourTotal>,
    pub by_item: Vec<ItemTotal>,
    pub by_category: Vec<CategoryTotal>,
    pub cancelled: CancelledTotal,
}

/// The data of an event, by kind. Serialised as the object itself (no tag): the kind is
/// beside it, in the event's `type`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum EventData {
    Order(OrderEvent),
    SessionEnded(EndedSession),
    Call(CallDto),
    Menu(MenuChanged),
    Table(TableChanged),
    Ticket(TicketDto),
    Printer(PrinterChanged),
    SessionMoved(SessionMoved),
    Audit(AuditEntry),
    Check(Box<CheckDto>),
    Day(Box<DayReport>),
}

impl EventData {
    /// Reads the data of an event of `kind`.
    pub fn read(kind: EventType, json: &str) -> serde_json::Result<EventData> {
        use EventType::*;
        Ok(match kind {
            OrderCreated | OrderUpdated | OrderCancelled => EventData::Order(serde_json::from_str(json)?),
            SessionEnded => EventData::SessionEnded(serde_json::from_str(json)?),
            CallCreated | CallAcked => EventData::Call(serde_json::from_str(json)?),
            MenuChanged => {
                let mut m: self::MenuChanged = serde_json::from_str(json)?;
                // The envelope's fields, which the box writes beside every event's data.
                m.detail.remove("store_id");
                m.detail.remove("table_id");
                EventData::Menu(m)
            }
            TableChanged => EventData::Table(serde_json::from_str(json)?),
            TicketCreated | TicketBumped => EventData::Ticket(serde_json::from_str(json)?),
            PrinterChanged => EventData::Printer(serde_json::from_str(json)?),
            SessionMoved => EventData::SessionMoved(serde_json::from_str(json)?),
            Audit => EventData::Audit(serde_json::from_str(json)?),
            CheckChanged => EventData::Check(serde_json::from_str(json)?),
            DayClosed => EventData::Day(serde_json::from_str(json)?),
        })
    }

    /// Whether this is the data an event of `kind` carries.
    pub fn fits(&self, kind: EventType) -> bool {
        use EventType::*;
        matches!(
            (self, kind),
            (EventData::Order(_), OrderCreated | OrderUpdated | OrderCancelled)
                | (EventData::SessionEnded(_), SessionEnded)
                | (EventData::Call(_), CallCreated | CallAcked)
                | (EventData::Menu(_), MenuChanged)
                | (EventData::Table(_), TableChanged)
                | (EventData::Ticket(_), TicketCreated | TicketBumped)
                | (EventData::Printer(_), PrinterChanged)
                | (EventData::SessionMoved(_), SessionMoved)
                | (EventData::Audit(_), Audit)
                | (EventData::Check(_), CheckChanged)
                | (EventData::Day(_), DayClosed)
        )
    }
}

macro_rules! into_event_data {
    ($($ty:ty => $variant:ident),* $(,)?) => {
        $(impl From<$ty> for EventData {
            fn from(v: $ty) -> EventData {
                EventData::$variant(v)
            }
        }
        impl From<&$ty> for EventData {
            fn from(v: &$ty) -> EventData {
                EventData::$variant(v.clone())
            }
        })*
    };
}
into_event_data!(OrderEvent => Order, EndedSession => SessionEnded, CallDto => Call, MenuChanged => Menu,
    TableChanged => Table, TicketDto => Ticket, PrinterChanged => Printer, SessionMoved => SessionMoved,
    AuditEntry => Audit);

impl From<&CheckDto> for EventData {
    fn from(v: &CheckDto) -> EventData {
        EventData::Check(Box::new(v.clone()))
    }
}

impl From<&DayReport> for EventData {
    fn from(v: &DayReport) -> EventData {
        EventData::Day(Box::new(v.clone()))
    }
}

// ---- box → hub ------------------------------------------------------------------------------

/// An event as a box sends it (its `events` row).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WireEvent {
    pub id: i64,
    pub store_id: String,
    pub table_id: Option<i64>,
    #[serde(rename = "type")]
    pub kind: String,
    /// Kept as sent (stored as is; the projections read it through [`EventData::read`]).
    #[schema(value_type = Object)]
    pub data: Box<RawValue>,
    /// RFC 3339.
    pub created_at: String,
}

impl WireEvent {
    /// The event's data, when its kind is one this build knows and the data reads as that
    /// kind's (`None` for a kind of a newer box, or data that does not read).
    pub fn data(&self) -> Option<Result<EventData, serde_json::Error>> {
        EventType::parse(&self.kind).map(|k| EventData::read(k, self.data.get()))
    }
}

/// A store's name and timezone, as its box knows them (reports use the timezone).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct StoreInfo {
    pub store_id: String,
    pub name: String,
    pub timezone: String,
}

/// `POST /hub/v1/ingest`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IngestBody {
    /// Ids ascending.
    pub events: Vec<WireEvent>,
    /// Optional: the stores' names and timezones.
    #[serde(default)]
    pub stores: Vec<StoreInfo>,
    /// Optional: the newest event id on the box (for the backlog shown at HQ).
    #[serde(default)]
    pub head: Option<i64>,
    /// Optional: what the box runs and how its updates stand (a box that says it is told
    /// the release the chain assigned it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<BoxRelease>,
}

/// What a box runs, for the chain's rollouts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct BoxRelease {
    pub version: String,
    /// The box's architecture (`aarch64`, `arm`, `x86_64`): which build of a release it takes.
    pub arch: String,
    /// `idle`, `pending`, `probation`, `rolled_back` or `failed` (API.md, "Updates").
    pub update_state: String,
    #[serde(default)]
    pub last_error: Option<String>,
    /// The release that failed on the box (rolled back or refused), if the last one did.
    #[serde(default)]
    pub failed_version: Option<String>,
}

/// A release the chain assigned to a box: fetch `path` from the hub (the binary, with its
/// minisign signature in the `x-tableorder-signature` header, base64), verify, apply.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct AssignedRelease {
    pub version: String,
    pub path: String,
}

/// The hub's answer to an ingest: every event of the box up to `acked` is held.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Acked {
    pub acked: i64,
    /// Stores of the box the hub is not bound to: their events are held at the hub (and
    /// counted in `acked`) but not shown to HQ until the store is bound to the box.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused_stores: Vec<String>,
    /// The release this box should run, when the chain assigned it one it does not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<AssignedRelease>,
}

/// An order with its store: a backfill sends these, and HQ reads them (`/hub/v1/orders`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoreOrder {
    pub store_id: String,
    #[serde(flatten)]
    pub order: OrderDto,
}

/// A session of a backfill (open sessions have no `ended_at`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BackfillSession {
    pub store_id: String,
    pub session_id: i64,
    pub table_id: i64,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub total: i64,
    pub order_count: i64,
}

/// `POST /hub/v1/backfill`: orders and sessions a box had before it joined the chain
/// (their events are long pruned).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BackfillBody {
    #[serde(default)]
    pub stores: Vec<StoreInfo>,
    #[serde(default)]
    pub orders: Vec<StoreOrder>,
    #[serde(default)]
    pub sessions: Vec<BackfillSession>,
    /// Sent last, once every order is: the box holds no event up to this id any more, and
    /// what they told is in the backfill. The box's events count as held up to here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<i64>,
}

/// The hub's answer to a backfill.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Stored {
    pub stored: usize,
}

#[cfg(test)]
pub(crate) mod samples {
    //! One sample of each kind's data, as the box makes it.
    use super::*;

    pub fn order() -> OrderDto {
        OrderDto {
            id: 7,
            order_no: 3,
            table_id: 2,
            table_number: 12,
            session_id: 5,
            status: OrderStatus::Preparing,
            total: 27_500,
            created_at: "2030-06-14T11:02:03.004Z".into(),
            updated_at: "2030-06-14T11:05:00.000Z".into(),
            items: vec![OrderItemDto {
                menu_item_id: 9,
                name: "김치찌개".into(),
                unit_price: 9_500,
                quantity: 2,
                note: "덜 맵게".into(),
                options: vec![ChosenOption {
                    option_id: 4,
                    group: "맵기".into(),
                    name: "순한맛".into(),
                    price_delta: 500,
                }],
            }],
        }
    }

    pub fn session() -> SessionSummary {
        SessionSummary {
            id: 5,
            started_at: "2030-06-14T11:00:00.000Z".into(),
            total: 27_500,
            order_count: 1,
            guests: Some(3),
        }
    }

    pub fn ticket() -> TicketDto {
        TicketDto {
            id: 11,
            station_id: 1,
            order_id: 7,
            order_no: 3,
            table_id: 2,
            table_number: 12,
            created_at: "2030-06-14T11:02:03.004Z".into(),
            bumped_at: None,
            printed_at: Some("2030-06-14T11:02:03.100Z".into()),
            kind: "order".into(),
            lines: vec![TicketLineDto { name: "김치찌개".into(), quantity: 2, options: vec![], note: "".into() }],
        }
    }

    pub fn check() -> CheckDto {
        CheckDto {
            session_id: 5,
            table_id: 2,
            table_number: 12,
            guests: Some(3),
            ended: false,
            orders: vec![order()],
            lines: vec![CheckLine {
                order_item_id: 21,
                order_id: 7,
                order_no: 3,
                menu_item_id: 9,
                name: "김치찌개".into(),
                options: vec![],
                quantity: 2,
                unit_price: 9_500,
                amount: 19_000,
                voided_qty: 0,
                comped_qty: 1,
                discount: 950,
                net: 8_550,
                cancelled: false,
            }],
            adjustments: vec![AdjustmentDto {
                id: 1,
                kind: "comp".into(),
                reason: "단골".into(),
                order_item_id: Some(21),
                percent: None,
                quantity: Some(1),
                amount: 9_500,
                staff_name: Some("민수".into()),
                approver_name: Some("사장님".into()),
                at: "2030-06-14T11:30:00.000Z".into(),
            }],
            subtotal: 19_000,
            discounts: 950,
            comps: 9_500,
            voids: 0,
            total: 8_550,
            payments: vec![PaymentDto {
                id: 1,
                method: "cash".into(),
                amount: 5_000,
                tendered: Some(10_000),
                change: 5_000,
                reference: None,
                refunded: 0,
                staff_name: Some("민수".into()),
                at: "2030-06-14T11:40:00.000Z".into(),
                split_parts: Some(2),
                split_items: vec![],
                business_date: Some("2030-06-14".into()),
            }],
            paid: 5_000,
            refunded: 0,
            balance: 3_550,
            split: None,
        }
    }

    pub fn day_report() -> DayReport {
        DayReport {
            day: DayDto {
                id: 3,
                business_date: "2030-06-14".into(),
                opened_at: "2030-06-14T02:00:00.000Z".into(),
                closed_at: Some("2030-06-14T15:00:00.000Z".into()),
                opened_by: None,
                closed_by: Some("사장님".into()),
                opening_cash: 100_000,
            },
            orders: 1,
            sessions: 1,
            guests: 3,
            gross: 19_000,
            discounts: 950,
            comps: 9_500,
            voids: 0,
            refunds: 0,
            net: 8_550,
            average_per_guest: 2_850,
            payments: vec![MethodTotal { method: "cash".into(), count: 1, amount: 8_550 }],
            cash: CashCount {
                opening: 100_000,
                sales: 8_550,
                refunds: 0,
                expected: 108_550,
                counted: Some(108_000),
                difference: Some(-550),
            },
            unpaid: vec![],
            by_hour: vec![HourTotal { hour: 20, orders: 1, net: 8_550 }],
            by_item: vec![ItemTotal { menu_item_id: 9, name: "김치찌개".into(), quantity: 2, net: 8_550 }],
            by_category: vec![CategoryTotal { category: "찌개".into(), quantity: 2, net: 8_550 }],
            cancelled: CancelledTotal { orders: 0, amount: 0 },
        }
    }

    /// The data of an event of `kind`.
    pub fn data(kind: EventType) -> EventData {
        use EventType::*;
        match kind {
            OrderCreated | OrderUpdated | OrderCancelled => {
                EventData::Order(OrderEvent { order: order(), session: Some(session()) })
            }
            SessionEnded => EventData::SessionEnded(super::EndedSession {
                session_id: 5,
                table_id: 2,
                table_number: 12,
                started_at: "2030-06-14T11:00:00.000Z".into(),
                ended_at: "2030-06-14T12:30:00.000Z".into(),
                total: 27_500,
                order_count: 1,
                guests: None,
            }),
            CallCreated | CallAcked => EventData::Call(CallDto {
                id: 3,
                table_id: 2,
                table_number: 12,
                session_id: Some(5),
                reason: "물".into(),
                created_at: "2030-06-14T11:10:00.000Z".into(),
                acked_at: (kind == CallAcked).then(|| "2030-06-14T11:11:00.000Z".into()),
            }),
            MenuChanged => {
                let mut detail = Map::new();
                detail.insert("item".into(), serde_json::json!({"id": 9, "name": "김치찌개", "available": false}));
                EventData::Menu(super::MenuChanged { change: "item_updated".into(), version: 42, detail })
            }
            TableChanged => EventData::Table(super::TableChanged {
                change: "created".into(),
                table: TableDto { id: 2, number: 12, session: Some(session()) },
            }),
            TicketCreated | TicketBumped => EventData::Ticket(ticket()),
            PrinterChanged => EventData::Printer(super::PrinterChanged {
                station_id: 1,
                state: "paper_out".into(),
                waiting: 2,
                last_printed_at: Some("2030-06-14T11:02:03.100Z".into()),
                configured: None,
                deleted: None,
            }),
            SessionMoved => EventData::SessionMoved(super::SessionMoved {
                session_id: 5,
                from_table_id: 2,
                from_table_number: 12,
                to_table_id: 3,
                to_table_number: 7,
                merged: true,
                order_id: None,
            }),
            CheckChanged => EventData::Check(Box::new(check())),
            DayClosed => EventData::Day(Box::new(day_report())),
            Audit => EventData::Audit(AuditEntry {
                id: 1,
                at: "2030-06-14T11:20:00.000Z".into(),
                kind: "order_cancelled".into(),
                staff_id: Some(4),
                staff_name: Some("민수".into()),
                approver_id: Some(1),
                approver_name: Some("사장님".into()),
                table_number: Some(12),
                order_id: Some(7),
                amount: Some(19_000),
                reason: Some("손님 요청".into()),
                detail: serde_json::json!({"from": "preparing"}),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the box's events table holds for an event: the data with `store_id` and
    /// `table_id` beside it (as `db::events::insert` writes it).
    fn as_stored(data: &EventData, store_id: &str, table_id: Option<i64>) -> String {
        let mut v = serde_json::to_value(data).unwrap();
        let map = v.as_object_mut().expect("event data is an object");
        map.insert("store_id".into(), store_id.into());
        map.entry("table_id").or_insert(table_id.into());
        v.to_string()
    }

    #[test]
    fn every_event_kind_goes_to_the_hub_and_reads_back_the_same() {
        for &kind in EventType::ALL {
            let data = samples::data(kind);
            assert!(data.fits(kind), "{kind:?}");
            // The box's uploader sends the stored row as a WireEvent inside an IngestBody.
            let body = IngestBody {
                events: vec![WireEvent {
                    id: 1,
                    store_id: "s1".into(),
                    table_id: Some(2),
                    kind: kind.as_str().into(),
                    data: RawValue::from_string(as_stored(&data, "s1", Some(2))).unwrap(),
                    created_at: "2030-06-14T11:02:03.004Z".into(),
                }],
                stores: vec![StoreInfo { store_id: "s1".into(), name: "본점".into(), timezone: "Asia/Seoul".into() }],
                head: Some(1),
                release: Some(BoxRelease {
                    version: "1.2.3".into(),
                    arch: "aarch64".into(),
                    update_state: "idle".into(),
                    last_error: None,
                    failed_version: None,
                }),
            };
            let sent = serde_json::to_vec(&body).unwrap();
            // The hub reads the same types.
            let got: IngestBody = serde_json::from_slice(&sent).unwrap();
            assert_eq!(got.release, body.release);
            let e = &got.events[0];
            assert_eq!(EventType::parse(&e.kind), Some(kind));
            let read = e.data().expect("a known kind").unwrap_or_else(|x| panic!("{kind:?}: {x}"));
            assert_eq!(read, data, "{kind:?} reads back as it was sent");
            assert!(read.fits(kind));
            // The kind's data does not read as another kind's (a mismatch is caught).
            let others = EventType::ALL.iter().filter(|k| !data.fits(**k));
            for other in others {
                if let Ok(wrong) = EventData::read(*other, e.data.get()) {
                    assert!(!wrong.fits(kind) || wrong != data, "{kind:?} as {other:?}");
                }
            }
        }
    }

    #[test]
    fn every_kind_has_a_name_that_reads_back() {
        for &kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(EventType::parse("order_deleted"), None);
    }

    #[test]
    fn a_backfill_round_trips_with_orders_sessions_and_floor() {
        let body = BackfillBody {
            stores: vec![StoreInfo { store_id: "s1".into(), name: "본점".into(), timezone: "Asia/Seoul".into() }],
            orders: vec![StoreOrder { store_id: "s1".into(), order: samples::order() }],
            sessions: vec![BackfillSession {
                store_id: "s1".into(),
                session_id: 5,
                table_id: 2,
                started_at: "2030-06-14T11:00:00.000Z".into(),
                ended_at: None,
                total: 27_500,
                order_count: 1,
            }],
            floor: Some(1200),
        };
        let back: BackfillBody = serde_json::from_slice(&serde_json::to_vec(&body).unwrap()).unwrap();
        assert_eq!(back.orders, body.orders);
        assert_eq!(back.sessions, body.sessions);
        assert_eq!(back.floor, Some(1200));
        // The last request of a backfill carries the floor alone.
        let last: BackfillBody = serde_json::from_str(r#"{"floor": 1200}"#).unwrap();
        assert!(last.orders.is_empty() && last.floor == Some(1200));
    }
}
