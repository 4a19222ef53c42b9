//! The order status state machine (API.md): pending → preparing → completed,
//! and cancelled from pending or preparing, when staff act. The kitchen display moves
//! orders too: its bumps start and finish them, and undoing a bump steps back.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Preparing,
    Completed,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 4] =
        [OrderStatus::Pending, OrderStatus::Preparing, OrderStatus::Completed, OrderStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Preparing => "preparing",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the order still counts toward the store's active-order limit.
    pub fn is_active(self) -> bool {
        matches!(self, OrderStatus::Pending | OrderStatus::Preparing)
    }

    /// Whether `self → to` is allowed when `actor` moves the order.
    pub fn can_become(self, to: OrderStatus, actor: Actor) -> bool {
        use OrderStatus::*;
        match actor {
            Actor::Staff => matches!(
                (self, to),
                (Pending, Preparing) | (Preparing, Completed) | (Pending, Cancelled) | (Preparing, Cancelled)
            ),
            // A bump starts an order, the last station's bump finishes it (even one nobody
            // started), and undoing a bump takes it back; the kitchen never cancels, and a
            // cancelled order stays cancelled.
            Actor::Kitchen => matches!(
                (self, to),
                (Pending, Preparing)
                    | (Preparing, Completed)
                    | (Pending, Completed)
                    | (Preparing, Pending)
                    | (Completed, Preparing)
                    | (Completed, Pending)
            ),
        }
    }
}

/// Who moves an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// Staff on the dashboard (`PATCH`/`DELETE /admin/orders/{id}`).
    Staff,
    /// The kitchen display's bumps and their undo.
    Kitchen,
}

#[cfg(test)]
mod tests {
    use super::Actor;
    use super::OrderStatus::{self, *};

    #[test]
    fn staff_make_only_the_documented_transitions() {
        let allowed = [(Pending, Preparing), (Preparing, Completed), (Pending, Cancelled), (Preparing, Cancelled)];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(from.can_become(to, Actor::Staff), allowed.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn the_kitchen_starts_finishes_and_steps_back_but_never_cancels() {
        for from in OrderStatus::ALL {
            assert!(!from.can_become(Cancelled, Actor::Kitchen), "{from:?}");
            assert!(!Cancelled.can_become(from, Actor::Kitchen), "{from:?}");
            assert!(!from.can_become(from, Actor::Kitchen), "{from:?}");
        }
        assert!(Pending.can_become(Completed, Actor::Kitchen), "the last bump finishes an order nobody started");
        assert!(Completed.can_become(Preparing, Actor::Kitchen), "undoing a bump");
        assert!(!Completed.can_become(Preparing, Actor::Staff));
    }

    #[test]
    fn statuses_round_trip_through_text() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("done"), None);
    }

    #[test]
    fn completed_and_cancelled_are_final_for_staff() {
        for to in OrderStatus::ALL {
            assert!(!Completed.can_become(to, Actor::Staff));
            assert!(!Cancelled.can_become(to, Actor::Staff));
        }
    }
}
