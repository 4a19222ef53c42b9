//! Pricing an order line, with no storage: which options a line may choose (each group's
//! `min`/`max`, options of that item only, none twice, none sold out), the copies the line
//! keeps of them, and the unit price rule (the item's price plus the deltas, never below 0,
//! never above [`crate::domain::MAX_PRICE`]).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// A chosen option, copied onto the order line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ChosenOption {
    pub option_id: i64,
    /// The group's name when ordered (the store's language).
    pub group: String,
    pub name: String,
    pub price_delta: i64,
}

/// An attached group as an order sees it.
#[derive(Debug, Clone)]
pub struct OfferedGroup {
    pub id: i64,
    pub name: String,
    pub min: i64,
    pub max: i64,
}

/// An option as an order sees it.
#[derive(Debug, Clone)]
pub struct OfferedOption {
    pub group_id: i64,
    pub name: String,
    pub price_delta: i64,
    pub available: bool,
}

/// What an item offers: its groups in order, and their options by id.
#[derive(Debug, Clone, Default)]
pub struct Offer {
    pub groups: Vec<OfferedGroup>,
    pub options: HashMap<i64, OfferedOption>,
}

/// Why a line's choice is refused.
#[derive(Debug)]
pub enum ChoiceError {
    /// 422 on `items[i].option_ids`.
    Invalid(String),
    /// 409 `item_unavailable`: these options are sold out.
    SoldOut(Vec<i64>, Vec<String>),
}

/// Checks the options chosen for one line against what the item offers, and returns them
/// (in the item's group order) with their copies.
pub fn choose(offer: &Offer, chosen: &[i64]) -> Result<Vec<ChosenOption>, ChoiceError> {
    let mut seen = std::collections::HashSet::new();
    for id in chosen {
        if !seen.insert(*id) {
            return Err(ChoiceError::Invalid(format!("option {id} is chosen twice")));
        }
        if !offer.options.contains_key(id) {
            return Err(ChoiceError::Invalid(format!("option {id} is not an option of this item")));
        }
    }
    let mut out = Vec::with_capacity(chosen.len());
    for g in &offer.groups {
        let mut in_group: Vec<i64> = chosen.iter().copied().filter(|id| offer.options[id].group_id == g.id).collect();
        let n = in_group.len() as i64;
        if n < g.min {
            return Err(ChoiceError::Invalid(if g.min == 1 {
                format!("{} needs a choice", g.name)
            } else {
                format!("{} needs at least {} choices", g.name, g.min)
            }));
        }
        if n > g.max {
            return Err(ChoiceError::Invalid(format!("{} allows at most {} choice(s)", g.name, g.max)));
        }
        in_group.sort_unstable();
        for id in in_group {
            let o = &offer.options[&id];
            out.push(ChosenOption {
                option_id: id,
                group: g.name.clone(),
                name: o.name.clone(),
                price_delta: o.price_delta,
            });
        }
    }
    let sold: Vec<(i64, String)> = chosen
        .iter()
        .filter(|id| !offer.options[id].available)
        .map(|id| (*id, offer.options[id].name.clone()))
        .collect();
    if !sold.is_empty() {
        let (ids, names) = sold.into_iter().unzip();
        return Err(ChoiceError::SoldOut(ids, names));
    }
    Ok(out)
}

/// A line's unit price: the item's price plus the chosen options' deltas, never below 0.
/// `None` when it would be over [`crate::domain::MAX_PRICE`].
pub fn unit_price(base: i64, chosen: &[ChosenOption]) -> Option<i64> {
    let unit = (base + chosen.iter().map(|o| o.price_delta).sum::<i64>()).max(0);
    (unit <= crate::domain::MAX_PRICE).then_some(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> Offer {
        let mut o = Offer::default();
        o.groups.push(OfferedGroup { id: 1, name: "맵기".into(), min: 1, max: 1 });
        o.groups.push(OfferedGroup { id: 2, name: "추가".into(), min: 0, max: 2 });
        for (id, g, name, d, av) in [
            (10, 1, "순한맛", 0, true),
            (11, 1, "매운맛", 0, true),
            (20, 2, "라면사리", 1500, true),
            (21, 2, "치즈", 2000, true),
            (22, 2, "떡", 1000, false),
        ] {
            o.options.insert(id, OfferedOption { group_id: g, name: name.into(), price_delta: d, available: av });
        }
        o
    }

    fn invalid(r: Result<Vec<ChosenOption>, ChoiceError>) -> String {
        match r {
            Err(ChoiceError::Invalid(m)) => m,
            _ => panic!("expected a refusal"),
        }
    }

    #[test]
    fn required_and_maximum_choices_are_enforced() {
        let o = offer();
        assert!(invalid(choose(&o, &[])).contains("맵기"));
        assert!(invalid(choose(&o, &[10, 11])).contains("at most 1"));
        assert!(invalid(choose(&o, &[10, 20, 21, 20])).contains("twice"));
        assert!(invalid(choose(&o, &[10, 99])).contains("not an option"));
        let ok = choose(&o, &[21, 10, 20]).unwrap();
        let names: Vec<&str> = ok.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["순한맛", "라면사리", "치즈"]);
        assert_eq!(ok.iter().map(|c| c.price_delta).sum::<i64>(), 3500);
    }

    #[test]
    fn a_sold_out_option_is_named() {
        match choose(&offer(), &[10, 22]) {
            Err(ChoiceError::SoldOut(ids, names)) => {
                assert_eq!(ids, vec![22]);
                assert_eq!(names, vec!["떡".to_string()]);
            }
            _ => panic!("expected sold out"),
        }
    }

    fn chosen(deltas: &[i64]) -> Vec<ChosenOption> {
        deltas
            .iter()
            .enumerate()
            .map(|(i, d)| ChosenOption { option_id: i as i64, group: "g".into(), name: "o".into(), price_delta: *d })
            .collect()
    }

    #[test]
    fn the_unit_price_is_the_item_plus_deltas_never_below_zero_nor_over_the_maximum() {
        assert_eq!(unit_price(9_000, &[]), Some(9_000));
        assert_eq!(unit_price(9_000, &chosen(&[1_500, 2_000])), Some(12_500));
        assert_eq!(unit_price(1_000, &chosen(&[-3_000])), Some(0), "a discount option never makes a line pay back");
        assert_eq!(unit_price(crate::domain::MAX_PRICE, &chosen(&[-1])), Some(crate::domain::MAX_PRICE - 1));
        assert_eq!(unit_price(crate::domain::MAX_PRICE, &chosen(&[1])), None);
    }
}
