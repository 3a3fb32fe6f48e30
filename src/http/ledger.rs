//! The loyalty ledger over HTTP: purchases (one or a batch), returns, balances and statements.
//!
//! # Routes and roles
//! | route | who may call it |
//! |-------|-----------------|
//! | `POST /v1/purchases` | `admin`; `retailer` for purchases at its own outlet; `chain` for purchases at outlets of its chain |
//! | `POST /v1/returns` | `admin`; `retailer` for a purchase made at its own outlet; `chain` for a purchase made at an outlet of its chain |
//! | `GET /v1/households/{id}/balance` | `admin`; the `household` key of that household |
//! | `GET /v1/households/{id}/statements/{month}` | `admin`; the `household` key of that household |
//!
//! Every other role (`planner`, `household` for writes, a household key for another household,
//! a retailer or chain key outside its scope) gets 403; no key or a revoked one gets 401.
//!
//! # Writes
//! `POST /v1/purchases` takes one purchase object, a JSON array of them, or
//! `{"purchases": […]}`: up to [`MAX_BATCH`] purchases, written all or nothing in one
//! transaction. Each purchase carries its client key (a UUID, v7 preferred); a purchase sent again
//! with the same key and content answers `exists` with the stored receipt, the same key with other
//! content is 409. A refused batch item is named in the error's `field` as `[i]` or `[i].name`
//! and nothing of the batch is written. `chain` may be left out: it is the outlet's chain.

use super::auth::Authenticated;
use super::body;
use super::error::{ApiError, ErrorBody, Kind};
use super::AppState;
use crate::ledger::{
    self, Balance, CardId, HouseholdId, Ledger, Month, Purchase, PurchaseReceipt, Return,
    ReturnReceipt, Statement, WriteStatus, Written, MAX_BATCH,
};
use crate::model::{ChainId, OutletId};
use crate::store::{Principal, Role, Scope};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(purchases)
        .service(returns)
        .service(balance)
        .service(statement);
}

/// One purchase reported by an outlet.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseIn {
    /// The client's idempotency key (a UUID; v7 preferred), fixed before the first attempt.
    #[schema(value_type = String, example = "01937c1e-8a4b-7000-8000-000000000001")]
    pub key: Uuid,
    /// The card shown at the checkout.
    pub card: i64,
    /// The outlet's id.
    pub outlet: u32,
    /// The outlet's chain; left out, it is taken from the outlet. Given, it must match.
    pub chain: Option<String>,
    /// The total, in cents (> 0).
    pub amount_cents: i64,
    /// The part that earns no points (alcohol, tobacco, bottle returns, gambling), in cents.
    #[serde(default)]
    pub ineligible_cents: i64,
    /// When (RFC 3339).
    pub at: DateTime<Utc>,
}

/// What a purchase earned.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PurchaseReceiptJson {
    /// The household credited.
    pub household: i64,
    /// Base points: one per whole euro of eligible amount (by default).
    pub points: i64,
    /// Extra points from chain campaigns.
    pub campaign_points: i64,
}

/// One purchase's result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PurchaseResult {
    /// The purchase's key.
    #[schema(value_type = String, example = "01937c1e-8a4b-7000-8000-000000000001")]
    pub key: Uuid,
    /// `created` (written now) or `exists` (written before with the same content).
    pub status: String,
    /// The stored receipt.
    pub receipt: PurchaseReceiptJson,
}

/// A batch's results, in the order sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PurchaseBatchResult {
    /// Purchases in the batch.
    pub count: usize,
    /// Of which written now.
    pub created: usize,
    /// Of which written before.
    pub existing: usize,
    /// One result per purchase, in the order sent.
    pub results: Vec<PurchaseResult>,
}

/// A return of goods from an earlier purchase.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnIn {
    /// The client's idempotency key.
    #[schema(value_type = String, example = "01937c1e-8a4b-7000-8000-000000000001")]
    pub key: Uuid,
    /// The key of the purchase the goods came from.
    #[schema(value_type = String, example = "01937c1e-8a4b-7000-8000-000000000001")]
    pub purchase: Uuid,
    /// Cents returned (> 0, at most what is left of the purchase).
    pub amount_cents: i64,
    /// When (RFC 3339).
    pub at: DateTime<Utc>,
}

/// What a return reversed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReturnReceiptJson {
    /// The household debited.
    pub household: i64,
    /// Base points reversed.
    pub points: i64,
    /// Campaign points reversed.
    pub campaign_points: i64,
    /// Eligible cents taken off the bonus base of the return's month.
    pub eligible_cents: i64,
}

/// A return's result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReturnResult {
    /// The return's key.
    #[schema(value_type = String, example = "01937c1e-8a4b-7000-8000-000000000001")]
    pub key: Uuid,
    /// `created` or `exists`.
    pub status: String,
    /// The stored receipt.
    pub receipt: ReturnReceiptJson,
}

/// A household's balances.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BalanceJson {
    /// Whose.
    pub household: i64,
    /// Points not yet converted (negative after a return of converted points).
    pub points: i64,
    /// Plussa money, cents.
    pub money_cents: i64,
}

/// A household's monthly statement, written by the month end.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatementJson {
    /// Whose.
    pub household: i64,
    /// Which month, `YYYY-MM`.
    pub month: String,
    /// Purchases made (count).
    pub purchases: i64,
    /// Their total, cents.
    pub purchase_cents: i64,
    /// Returned in the month, cents.
    pub returned_cents: i64,
    /// Eligible purchases net of returns: the bonus base, cents.
    pub eligible_cents: i64,
    /// Base points net of returns.
    pub points: i64,
    /// Campaign points net of returns.
    pub campaign_points: i64,
    /// The bonus step reached, basis points of the eligible purchases (0 below the first step).
    pub bonus_step_bp: i64,
    /// Bonus points.
    pub bonus_points: i64,
    /// Points converted to Plussa money.
    pub converted_points: i64,
    /// Plussa money paid for them, cents.
    pub money_paid_cents: i64,
    /// Last valid day of that money.
    pub money_valid_to: NaiveDate,
    /// Plussa money used in the month, cents.
    pub money_redeemed_cents: i64,
    /// Plussa money expired at the month's end, cents.
    pub money_expired_cents: i64,
    /// Points left after conversion.
    pub points_balance: i64,
    /// Plussa money after the month end, cents.
    pub money_balance_cents: i64,
}

impl From<Statement> for StatementJson {
    fn from(s: Statement) -> Self {
        StatementJson {
            household: s.household.0,
            month: s.month.to_string(),
            purchases: s.purchases,
            purchase_cents: s.purchase_cents,
            returned_cents: s.returned_cents,
            eligible_cents: s.eligible_cents,
            points: s.points,
            campaign_points: s.campaign_points,
            bonus_step_bp: s.bonus_step_bp,
            bonus_points: s.bonus_points,
            converted_points: s.converted_points,
            money_paid_cents: s.money_paid_cents,
            money_valid_to: s.money_valid_to,
            money_redeemed_cents: s.money_redeemed_cents,
            money_expired_cents: s.money_expired_cents,
            points_balance: s.points_balance,
            money_balance_cents: s.money_balance_cents,
        }
    }
}

impl From<Balance> for BalanceJson {
    fn from(b: Balance) -> Self {
        BalanceJson {
            household: b.household.0,
            points: b.points,
            money_cents: b.money_cents,
        }
    }
}

fn status_name(s: WriteStatus) -> &'static str {
    match s {
        WriteStatus::Created => "created",
        WriteStatus::Exists => "exists",
    }
}

fn purchase_result(key: Uuid, w: Written<PurchaseReceipt>) -> PurchaseResult {
    PurchaseResult {
        key,
        status: status_name(w.status).to_string(),
        receipt: PurchaseReceiptJson {
            household: w.value.household.0,
            points: w.value.points,
            campaign_points: w.value.campaign_points,
        },
    }
}

fn return_result(key: Uuid, w: Written<ReturnReceipt>) -> ReturnResult {
    ReturnResult {
        key,
        status: status_name(w.status).to_string(),
        receipt: ReturnReceiptJson {
            household: w.value.household.0,
            points: w.value.points,
            campaign_points: w.value.campaign_points,
            eligible_cents: w.value.eligible_cents,
        },
    }
}

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(Kind::Forbidden, "forbidden", message)
}

/// The ledger's view of a key: its role and what it is bound to; `None` for roles the ledger
/// does not know (`planner`), which may neither write nor read ledger data.
pub(crate) fn ledger_principal(p: &Principal) -> Option<(ledger::Role, ledger::Scope)> {
    let mut scope = ledger::Scope::default();
    let role = match (&p.role, &p.scope) {
        (Role::Admin, _) => ledger::Role::Admin,
        (Role::Retailer, Scope::Outlet(o)) => {
            scope.outlets.insert(*o);
            ledger::Role::Retailer
        }
        (Role::Chain, Scope::Chain(c)) => {
            scope.chain = Some(c.clone());
            ledger::Role::Chain
        }
        (Role::Household, Scope::Household(h)) => {
            scope.household = h.trim().parse().ok().map(HouseholdId);
            ledger::Role::Household
        }
        _ => return None,
    };
    Some((role, scope))
}

/// May `p` record purchases and returns at `outlet` of `chain`?
fn may_write_at(p: &Principal, outlet: OutletId, chain: &ChainId) -> bool {
    match (&p.role, &p.scope) {
        (Role::Admin, _) => true,
        (Role::Retailer, Scope::Outlet(o)) => *o == outlet,
        (Role::Chain, Scope::Chain(c)) => c == chain,
        _ => false,
    }
}

/// Refuses `household` or an unknown household id to a key that may not read it (403).
fn require_household_reader(auth: &Authenticated, h: HouseholdId) -> Result<(), ApiError> {
    let allowed = ledger_principal(&auth.0)
        .is_some_and(|(role, scope)| ledger::can_read_household(role, &scope, h));
    if allowed {
        Ok(())
    } else {
        Err(forbidden(format!(
            "a key of role `{}` may not read household {h}: only that household's key or an admin key may",
            auth.0.role
        )))
    }
}

/// Deserialises one item, naming the field at fault under `prefix` (`[3].amount_cents`): 422.
pub(crate) fn parse_item<T: DeserializeOwned>(
    v: Value,
    prefix: &str,
    code: &'static str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        // serde reports a missing or unknown field at the parent's path, naming it in the text.
        let named = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("missing field") || msg.starts_with("unknown field"));
        let field = match (named, path.as_str()) {
            (Some(f), _) => f.to_string(),
            (None, ".") => String::new(),
            (None, p) => p.to_string(),
        };
        let full = match (prefix.is_empty(), field.is_empty()) {
            (true, true) => "body".to_string(),
            (true, false) => field,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{field}"),
        };
        let message = if prefix.is_empty() {
            msg
        } else {
            format!("{prefix}: {msg}")
        };
        ApiError::new(Kind::Unprocessable, code, message).field(full)
    })
}

/// Parses a body as JSON: 400 when it is not JSON.
pub(crate) fn parse_json_value(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            Kind::BadRequest,
            "invalid_json",
            format!("the body is not valid JSON: {e}"),
        )
        .field("body")
    })
}

/// The body's purchases: `(items, batch?)`.
fn purchase_items(v: Value) -> Result<(Vec<Value>, bool), ApiError> {
    let items = match v {
        Value::Array(items) => items,
        Value::Object(mut m) if m.contains_key("purchases") => {
            if m.len() > 1 {
                return Err(ApiError::new(
                    Kind::Unprocessable,
                    "invalid_purchase",
                    "a batch object holds only `purchases`",
                )
                .field("body"));
            }
            match m.remove("purchases") {
                Some(Value::Array(items)) => items,
                _ => {
                    return Err(ApiError::new(
                        Kind::Unprocessable,
                        "invalid_purchase",
                        "`purchases` must be an array of purchases",
                    )
                    .field("purchases"))
                }
            }
        }
        one @ Value::Object(_) => return Ok((vec![one], false)),
        _ => {
            return Err(ApiError::new(
                Kind::Unprocessable,
                "invalid_purchase",
                "expected a purchase object, an array of purchases or {\"purchases\": [...]}",
            )
            .field("body"))
        }
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ApiError::new(
            Kind::Unprocessable,
            "invalid_batch",
            format!(
                "a batch holds 1 to {MAX_BATCH} purchases, not {}",
                items.len()
            ),
        )
        .field("purchases"));
    }
    Ok((items, true))
}

/// The answer to a purchase at a place [`ledger::purchase_place`] refused: 422 naming the field.
fn place_error(e: ledger::PlaceError, named: impl Fn(&str) -> String) -> ApiError {
    if let ledger::PlaceError::Store(e) = e {
        return e.into();
    }
    let code = match &e {
        ledger::PlaceError::UnknownOutlet(_) => "unknown_outlet",
        ledger::PlaceError::ClosedOutlet(_) => "outlet_closed",
        _ => "invalid_purchase",
    };
    let field = named(e.field());
    ApiError::new(Kind::Unprocessable, code, e.to_string()).field(field)
}

/// Refuses every write of a retailer key whose outlet is closed (403).
fn require_open_scope(state: &AppState, p: &Principal) -> Result<(), ApiError> {
    if let (Role::Retailer, Scope::Outlet(o)) = (&p.role, &p.scope) {
        if state.index.load().registry().outlet(*o).is_none() {
            return Err(forbidden(format!(
                "this retailer key's outlet {o} is closed or unknown: it may no longer write"
            )));
        }
    }
    Ok(())
}

/// Records one purchase, or a batch of up to 10,000 all or nothing.
#[utoipa::path(
    tag = "ledger",
    security(("api_key" = ["admin", "retailer", "chain"])),
    request_body(content = Vec<PurchaseIn>, description = "One purchase object, an array of purchases, or `{\"purchases\": [...]}`"),
    responses(
        (status = 201, description = "One purchase, written now", body = PurchaseResult),
        (status = 200, description = "One purchase written before with the same content (`exists`), or a batch's results", body = PurchaseBatchResult),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "A key of another role, an outlet outside the key's scope (`field` names the item), or a retailer key of a closed outlet", body = ErrorBody),
        (status = 409, description = "A key used before for other content, or a closed month; nothing written", body = ErrorBody),
        (status = 422, description = "An invalid item, named in `field` as `[i].name`: an amount above the rules' `max_purchase_cents` (default €100,000), a date before the programme's first month or more than `max_future_secs` (default 300) ahead, an unknown or closed outlet (`outlet_closed`), another chain; nothing written", body = ErrorBody)
    )
)]
#[post("/v1/purchases")]
pub async fn purchases(
    auth: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = auth.require(&[Role::Admin, Role::Retailer, Role::Chain])?;
    let bytes = body::read_limited(&req, payload, state.settings.max_body_bytes).await?;
    let (items, batch) = purchase_items(parse_json_value(&bytes)?)?;
    require_open_scope(&state, p)?;
    let mut chains: HashMap<OutletId, ChainId> = HashMap::new();
    let mut ps = Vec::with_capacity(items.len());
    for (i, v) in items.into_iter().enumerate() {
        let prefix = if batch {
            format!("[{i}]")
        } else {
            String::new()
        };
        let named = |f: &str| {
            if batch {
                format!("{prefix}.{f}")
            } else {
                f.to_string()
            }
        };
        let item: PurchaseIn = parse_item(v, &prefix, "invalid_purchase")?;
        let outlet = OutletId(item.outlet);
        let chain = match chains.get(&outlet) {
            Some(c) if item.chain.as_deref().is_none_or(|g| g.trim() == c.as_str()) => c.clone(),
            _ => {
                let reg = state.index.load();
                let c = ledger::purchase_place(
                    reg.registry(),
                    &state.store,
                    outlet,
                    item.chain.as_deref(),
                )
                .await
                .map_err(|e| place_error(e, named))?;
                chains.insert(outlet, c.clone());
                c
            }
        };
        if !may_write_at(p, outlet, &chain) {
            return Err(forbidden(format!(
                "a key of role `{}` may not record purchases at outlet {outlet} (chain `{chain}`)",
                p.role
            ))
            .field(named("outlet")));
        }
        ps.push(Purchase {
            key: item.key,
            card: CardId(item.card),
            outlet,
            chain,
            amount_cents: item.amount_cents,
            ineligible_cents: item.ineligible_cents,
            at: item.at,
        });
    }
    if !batch {
        let p = ps.remove(0);
        let key = p.key;
        let w = state.ledger.purchase(p).await?;
        let r = purchase_result(key, w);
        return Ok(match w.status {
            WriteStatus::Created => HttpResponse::Created().json(r),
            WriteStatus::Exists => HttpResponse::Ok().json(r),
        });
    }
    let keys: Vec<Uuid> = ps.iter().map(|p| p.key).collect();
    let written = state.ledger.purchase_batch(ps).await?;
    let results: Vec<PurchaseResult> = keys
        .into_iter()
        .zip(written)
        .map(|(k, w)| purchase_result(k, w))
        .collect();
    let created = results.iter().filter(|r| r.status == "created").count();
    Ok(HttpResponse::Ok().json(PurchaseBatchResult {
        count: results.len(),
        created,
        existing: results.len() - created,
        results,
    }))
}

/// Records a return of goods from an earlier purchase: reverses its points in proportion.
#[utoipa::path(
    tag = "ledger",
    security(("api_key" = ["admin", "retailer", "chain"])),
    request_body = ReturnIn,
    responses(
        (status = 201, description = "Written now", body = ReturnResult),
        (status = 200, description = "Written before with the same content (`exists`)", body = ReturnResult),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "A key of another role, a purchase made outside the key's scope, or a retailer key of a closed outlet", body = ErrorBody),
        (status = 409, description = "The key was used for other content, or the month is closed", body = ErrorBody),
        (status = 422, description = "Unknown purchase, more than is left of it, more than the rules' `max_return_cents`, a date before the purchase or outside an open month, or another invalid field", body = ErrorBody)
    )
)]
#[post("/v1/returns")]
pub async fn returns(
    auth: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = auth.require(&[Role::Admin, Role::Retailer, Role::Chain])?;
    let bytes = body::read_limited(&req, payload, state.settings.max_body_bytes).await?;
    let r: ReturnIn = parse_item(parse_json_value(&bytes)?, "", "invalid_return")?;
    require_open_scope(&state, p)?;
    if p.role != Role::Admin {
        // Unknown purchases fall through to the ledger, which refuses them (422).
        if let Some((outlet, chain)) = state.ledger.purchase_place(r.purchase).await? {
            if !may_write_at(p, outlet, &chain) {
                return Err(forbidden(format!(
                    "a key of role `{}` may not return goods from a purchase made at outlet {outlet} (chain `{chain}`)",
                    p.role
                ))
                .field("purchase"));
            }
        }
    }
    let key = r.key;
    let w = state
        .ledger
        .return_goods(Return {
            key: r.key,
            purchase: r.purchase,
            amount_cents: r.amount_cents,
            at: r.at,
        })
        .await?;
    let body = return_result(key, w);
    Ok(match w.status {
        WriteStatus::Created => HttpResponse::Created().json(body),
        WriteStatus::Exists => HttpResponse::Ok().json(body),
    })
}

fn household_id(raw: &str) -> Result<HouseholdId, ApiError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|h| *h > 0)
        .map(HouseholdId)
        .ok_or_else(|| {
            ApiError::bad_param(
                "invalid_parameter",
                "id",
                format!("a household id is a positive integer, got `{raw}`"),
            )
        })
}

/// A household's points and Plussa money.
#[utoipa::path(
    tag = "ledger",
    security(("api_key" = ["admin", "household"])),
    params(("id" = i64, Path, description = "Household id")),
    responses(
        (status = 200, description = "The balances", body = BalanceJson),
        (status = 400, description = "Not a household id", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Not this household's key nor an admin key", body = ErrorBody),
        (status = 404, description = "No such household", body = ErrorBody)
    )
)]
#[get("/v1/households/{id}/balance")]
pub async fn balance(
    auth: Authenticated,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let h = household_id(&id)?;
    require_household_reader(&auth, h)?;
    let b = state.ledger.balance(h).await?;
    Ok(HttpResponse::Ok().json(BalanceJson::from(b)))
}

/// A household's statement of a month (`YYYY-MM`), once that month's month end has run.
#[utoipa::path(
    tag = "ledger",
    security(("api_key" = ["admin", "household"])),
    params(
        ("id" = i64, Path, description = "Household id"),
        ("month" = String, Path, description = "The month, `YYYY-MM`")
    ),
    responses(
        (status = 200, description = "The statement", body = StatementJson),
        (status = 400, description = "Not a household id or not a month", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Not this household's key nor an admin key", body = ErrorBody),
        (status = 404, description = "No statement: unknown household, or the month end has not run", body = ErrorBody)
    )
)]
#[get("/v1/households/{id}/statements/{month}")]
pub async fn statement(
    auth: Authenticated,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, month) = path.into_inner();
    let h = household_id(&id)?;
    // Who may read comes before what is read: a wrong key learns nothing from the month's check.
    require_household_reader(&auth, h)?;
    let m: Month = month.parse().map_err(|e: ledger::MonthError| {
        ApiError::bad_param("invalid_parameter", "month", e.to_string())
    })?;
    match state.ledger.statement(h, m).await? {
        Some(s) => Ok(HttpResponse::Ok().json(StatementJson::from(s))),
        None => Err(ApiError::new(
            Kind::NotFound,
            "no_statement",
            format!("no statement for household {h} in {m}: its month end has not run, or the household is unknown"),
        )),
    }
}
