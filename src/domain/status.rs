//! The order status state machine (API.md): pending → preparing → completed,
//! and cancelled from pending or preparing. Nothing else.

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

    /// Whether `self → to` is allowed.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, Preparing) | (Preparing, Completed) | (Pending, Cancelled) | (Preparing, Cancelled)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    #[test]
    fn only_the_documented_transitions_are_allowed() {
        let allowed = [(Pending, Preparing), (Preparing, Completed), (Pending, Cancelled), (Preparing, Cancelled)];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_text() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("done"), None);
    }

    #[test]
    fn completed_and_cancelled_are_final() {
        for to in OrderStatus::ALL {
            assert!(!Completed.can_become(to));
            assert!(!Cancelled.can_become(to));
        }
    }
}
