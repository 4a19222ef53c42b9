//! Who is calling: the kinds of account a token can belong to, and what the server keeps
//! of a live account.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum UserType {
    Admin,
    Table,
    /// A chain's head office, on the hub (never accepted by a box).
    Hq,
}

/// What the server knows of a live account: whose it is, which tokens it accepts, and (for
/// staff) the role and the name shown for it. A deactivated staff member has no live account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub store_id: String,
    pub tgen: i64,
    pub box_owner: bool,
    /// Staff only.
    pub role: Option<super::Role>,
    /// The staff member's display name (or username); the table's number as text.
    pub name: String,
}
