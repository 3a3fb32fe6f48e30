//! Offers on three levels in the database, the per-location view, and who may write them.

use super::error::LedgerError;
use super::sql::{args, Tx};
use super::types::{HouseholdId, WriteStatus, Written};
use crate::model::text::rules;
use crate::model::{ChainId, OutletId};
use crate::offers::{Audience, Benefit, Level, Offer};
use std::collections::BTreeSet;

fn target(level: &Level) -> String {
    match level {
        Level::Store(id) => id.to_string(),
        Level::Chain(c) => c.as_str().to_string(),
        Level::Network => String::new(),
    }
}

/// The namespace of an offer's level and target: `store-{outlet}`, `chain-{chain}` or
/// `network`.
///
/// # Offer ids
/// Ids are one table, so that a retailer cannot take an id before the programme does, ids are
/// scoped: an id holding `:` belongs to the namespace before its first `:`, and only an offer of
/// that level and target may carry it (`store-736:kala-15` is outlet 736's, `chain-k-market:joulu`
/// the K-Market chain's). Retailer and chain keys write only ids of their own namespace; ids
/// without `:` (the bundled `S-0001`, `N-0001`, …) are the admin's. Clients keep choosing their
/// ids, so a retried write still answers "exists".
pub fn offer_namespace(level: &Level) -> String {
    match level {
        Level::Store(id) => format!("store-{id}"),
        Level::Chain(c) => format!("chain-{c}"),
        Level::Network => "network".to_string(),
    }
}

/// Checks that a key of `role` may use `o`'s id (see [`offer_namespace`]): an id with `:` must be
/// of the offer's own namespace; retailer and chain keys must use one.
pub fn check_offer_id(role: Role, o: &Offer) -> Result<(), LedgerError> {
    let ns = offer_namespace(&o.level);
    match o.id.split_once(':') {
        Some((prefix, rest)) if prefix == ns && !rest.trim().is_empty() => Ok(()),
        Some((prefix, _)) if prefix == ns => Err(LedgerError::invalid(
            "id",
            format!("the id needs a name after `{ns}:`"),
        )),
        Some((prefix, _)) => Err(LedgerError::invalid(
            "id",
            format!("an id starting `{prefix}:` belongs to another level or target; this offer's ids start `{ns}:`"),
        )),
        None if role == Role::Admin => Ok(()),
        None => Err(LedgerError::invalid(
            "id",
            format!(
                "a retailer's or chain's offer id starts with its namespace: `{ns}:{}`; ids without `:` are the programme's",
                o.id.trim()
            ),
        )),
    }
}

/// Checks an offer before it is stored: a discount is 10–100 %, extra points are positive, the
/// window is not reversed, the id is set and, if scoped, of the offer's own namespace.
pub fn validate_offer(o: &Offer) -> Result<(), LedgerError> {
    check_texts(o)?;
    // Any writer: an admin writing the id of a namespace writes it for that level and target.
    check_offer_id(Role::Admin, o)?;
    match o.benefit {
        Benefit::Discount { percent } if !(10..=100).contains(&percent) => {
            return Err(LedgerError::invalid(
                "benefit",
                format!("a discount is 10..=100 percent, not {percent}"),
            ))
        }
        Benefit::ExtraPoints { points: 0 } => {
            return Err(LedgerError::invalid(
                "benefit",
                "extra points must be positive",
            ))
        }
        _ => {}
    }
    if o.valid_from > o.valid_to {
        return Err(LedgerError::invalid(
            "valid_to",
            "the offer ends before it starts",
        ));
    }
    Ok(())
}

/// The offer's id, title and segments under the crate's text rules ([`crate::model::text`]),
/// already in their clean form (trimmed, NFC), as every front end leaves them.
fn check_texts(o: &Offer) -> Result<(), LedgerError> {
    let texts = [(rules::OFFER_ID, &o.id), (rules::OFFER_TITLE, &o.title)];
    let segments = o.segments.iter().map(|s| (rules::OFFER_SEGMENT, s));
    for (rule, v) in texts.into_iter().chain(segments) {
        match rule.clean(v) {
            Err(e) => return Err(LedgerError::invalid(rule.field, e.to_string())),
            Ok(clean) if clean != *v => {
                return Err(LedgerError::invalid(
                    rule.field,
                    format!("`{}` is not trimmed and in Unicode NFC", rule.field),
                ))
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Stores an offer; idempotent by offer id (same content: exists; other content: conflict).
pub(crate) async fn put_offer(tx: &mut Tx, o: &Offer) -> Result<Written<()>, LedgerError> {
    let body = serde_json::to_string(o)?;
    if let Some(r) = tx
        .one(
            "SELECT body FROM ledger_offers WHERE id = $1",
            args![o.id.as_str()],
        )
        .await?
    {
        let stored: Offer = serde_json::from_str(&r.text(0)?)?;
        return if stored == *o {
            Ok(Written {
                status: WriteStatus::Exists,
                value: (),
            })
        } else {
            Err(LedgerError::Conflict(format!("offer {}", o.id)))
        };
    }
    validate_offer(o)?;
    tx.exec(
        "INSERT INTO ledger_offers (id, level, target, body, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5, $6)",
        args![o.id.as_str(), o.level.name(), target(&o.level), body,
              o.valid_from.to_string(), o.valid_to.to_string()],
    )
    .await?;
    Ok(Written {
        status: WriteStatus::Created,
        value: (),
    })
}

/// Every stored offer, by id.
pub(crate) async fn all_offers(tx: &mut Tx) -> Result<Vec<Offer>, LedgerError> {
    let mut out = Vec::new();
    for r in tx
        .fetch("SELECT body FROM ledger_offers ORDER BY id", vec![])
        .await?
    {
        out.push(serde_json::from_str(&r.text(0)?)?);
    }
    Ok(out)
}

/// The household's segments and chosen chains.
pub(crate) async fn audience(tx: &mut Tx, h: HouseholdId) -> Result<Audience, LedgerError> {
    let r = tx
        .one(
            "SELECT segments, chosen_chains FROM ledger_households WHERE id = $1",
            args![h.0],
        )
        .await?
        .ok_or(LedgerError::UnknownHousehold(h))?;
    let split = |s: String| -> Vec<String> {
        s.split(';')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    let segments = split(r.text(0)?).into_iter().collect();
    let chosen_chains = split(r.text(1)?)
        .into_iter()
        .filter_map(|c| ChainId::new(&c).ok())
        .collect();
    Ok(Audience {
        segments,
        chosen_chains,
    })
}

/// The role an API key carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The programme's administrator: writes offers on every level.
    Admin,
    /// A chain's key: writes that chain's chain-level offers.
    Chain,
    /// A K-retailer's key: writes store-level offers of its own outlets.
    Retailer,
    /// A household's key: reads only its own balance and statements; writes no offers.
    Household,
}

/// What a key is bound to: the chain of a chain key, the outlets of a retailer key, the household
/// of a household key. Fields a role does not use are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The chain (for [`Role::Chain`]).
    pub chain: Option<ChainId>,
    /// The retailer's own outlets (for [`Role::Retailer`]).
    pub outlets: BTreeSet<OutletId>,
    /// The household (for [`Role::Household`]).
    pub household: Option<HouseholdId>,
}

/// May a key with `role` and `scope` write `offer`? Admin: any level (network offers are admin
/// only); chain key: chain-level offers of its own chain; retailer key: store-level offers of its
/// own outlets; household key: none.
///
/// Whether the key may use the offer's id is [`check_offer_id`].
pub fn can_write_offer(role: Role, scope: &Scope, offer: &Offer) -> bool {
    match (role, &offer.level) {
        (Role::Admin, _) => true,
        (Role::Chain, Level::Chain(c)) => scope.chain.as_ref() == Some(c),
        (Role::Retailer, Level::Store(o)) => scope.outlets.contains(o),
        _ => false,
    }
}

/// May a key with `role` and `scope` read household `h`'s balance and statements? Admin: yes;
/// household key: only its own; chain and retailer keys: no.
pub fn can_read_household(role: Role, scope: &Scope, h: HouseholdId) -> bool {
    match role {
        Role::Admin => true,
        Role::Household => scope.household == Some(h),
        Role::Chain | Role::Retailer => false,
    }
}
