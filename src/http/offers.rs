//! Offers on three levels over HTTP: write one, list them, and the per-location view.
//!
//! | route | who may call it |
//! |-------|-----------------|
//! | `POST /v1/offers` | `admin` (any level; network offers are admin only); `chain` for chain-level offers of its own chain; `retailer` for store-level offers of its own outlet ([`crate::ledger::can_write_offer`]) |
//! | `GET /v1/offers?level=&chain=&outlet=&at=&limit=&offset=` | everyone (bounded list) |
//! | `GET /v1/outlets/{id}/offers?at=&household=` | everyone; `household=` only with that household's key or an admin key |
//!
//! An offer is idempotent by its id: the same offer again answers 200, other content under the
//! same id 409. Retailer and chain keys write ids of their own namespace, `store-{outlet}:…` and
//! `chain-{chain}:…` ([`crate::ledger::offer_namespace`]); ids without `:` are the admin's. A
//! store offer's outlet must be open. [`OfferJson`] is the one JSON shape of an offer, written and read.

use super::auth::Authenticated;
use super::body;
use super::error::{ApiError, ErrorBody, Kind};
use super::ledger::{ledger_principal, parse_item, parse_json_value};
use super::outlets::parse_id;
use super::params::{parse_open_at, Params};
use super::AppState;
use crate::ledger::{
    can_read_household, can_write_offer, check_offer_id, HouseholdId, Ledger, WriteStatus,
};
use crate::model::text::{rules, TextRule};
use crate::model::{ChainId, OutletId};
use crate::offers::{Benefit, Level, Offer};
use crate::store::Role;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Default number of offers `GET /v1/offers` answers.
pub const DEFAULT_LIMIT: usize = 100;
/// Most offers `GET /v1/offers` answers at once.
pub const MAX_LIMIT: usize = 1_000;
/// Most segments one offer may target.
const MAX_SEGMENTS: usize = 20;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create).service(list).service(at_outlet);
}

/// An offer, as written and as read (the columns of `offers.csv`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferJson {
    /// Stable id, e.g. `N-0001` (1–64 characters).
    pub id: String,
    /// `store`, `chain` or `network`.
    pub level: String,
    /// The outlet id (as text) of a store offer, the chain id of a chain offer; null for network.
    pub target: Option<String>,
    /// Short text shown to the customer.
    pub title: String,
    /// `discount` or `extra_points`.
    pub benefit: String,
    /// Percent off (10–100) for a discount; points for extra points.
    pub value: u32,
    /// First valid day (inclusive), Helsinki local date.
    pub valid_from: NaiveDate,
    /// Last valid day (inclusive), Helsinki local date.
    pub valid_to: NaiveDate,
    /// Segments targeted (e.g. `napero`, `traveller`, `young-movers`); empty = everyone.
    #[serde(default)]
    pub segments: Vec<String>,
}

impl From<&Offer> for OfferJson {
    fn from(o: &Offer) -> Self {
        let target = match &o.level {
            Level::Store(id) => Some(id.to_string()),
            Level::Chain(c) => Some(c.as_str().to_string()),
            Level::Network => None,
        };
        let (benefit, value) = match o.benefit {
            Benefit::Discount { percent } => ("discount", u32::from(percent)),
            Benefit::ExtraPoints { points } => ("extra_points", points),
        };
        OfferJson {
            id: o.id.clone(),
            level: o.level.name().to_string(),
            target,
            title: o.title.clone(),
            benefit: benefit.to_string(),
            value,
            valid_from: o.valid_from,
            valid_to: o.valid_to,
            segments: o.segments.iter().cloned().collect(),
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(Kind::Unprocessable, "invalid_offer", message).field(field)
}

/// A free-text field under the crate's one set of text rules ([`crate::model::text`]).
fn text(rule: TextRule, v: &str) -> Result<String, ApiError> {
    rule.clean(v)
        .map_err(|e| invalid(rule.field, format!("`{}` {e}", rule.field)))
}

impl OfferJson {
    /// The offer this JSON describes, checked in itself (levels, benefit, dates, texts); whether
    /// its outlet or chain exists is the caller's check.
    pub fn to_offer(&self) -> Result<Offer, ApiError> {
        let target = self.target.as_deref().map(str::trim).unwrap_or("");
        let level = match self.level.trim() {
            "store" => Level::Store(target.parse::<OutletId>().map_err(|_| {
                invalid(
                    "target",
                    format!("a store offer's target is an outlet id, got `{target}`"),
                )
            })?),
            "chain" => Level::Chain(ChainId::new(target).map_err(|e| {
                invalid(
                    "target",
                    format!("a chain offer's target is a chain id: {e}"),
                )
            })?),
            "network" if target.is_empty() => Level::Network,
            "network" => return Err(invalid("target", "a network offer has no target")),
            other => {
                return Err(invalid(
                    "level",
                    format!("unknown level `{other}`: expected store, chain or network"),
                ))
            }
        };
        let benefit = match self.benefit.trim() {
            "discount" => Benefit::Discount {
                percent: u8::try_from(self.value)
                    .ok()
                    .filter(|p| (10..=100).contains(p))
                    .ok_or_else(|| {
                        invalid(
                            "value",
                            format!("a discount is 10 to 100 percent, not {}", self.value),
                        )
                    })?,
            },
            "extra_points" if self.value > 0 => Benefit::ExtraPoints { points: self.value },
            "extra_points" => return Err(invalid("value", "extra points must be positive")),
            other => {
                return Err(invalid(
                    "benefit",
                    format!("unknown benefit `{other}`: expected discount or extra_points"),
                ))
            }
        };
        if self.valid_to < self.valid_from {
            return Err(invalid("valid_to", "`valid_to` is before `valid_from`"));
        }
        if self.segments.len() > MAX_SEGMENTS {
            return Err(invalid(
                "segments",
                format!("at most {MAX_SEGMENTS} segments"),
            ));
        }
        let segments = self
            .segments
            .iter()
            .map(|s| text(rules::OFFER_SEGMENT, s))
            .collect::<Result<_, _>>()?;
        Ok(Offer {
            id: text(rules::OFFER_ID, &self.id)?,
            level,
            title: text(rules::OFFER_TITLE, &self.title)?,
            benefit,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            segments,
        })
    }
}

/// A page of offers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferList {
    /// Offers matching the filters in all (not only this page).
    pub total: usize,
    /// Offers on this page.
    pub count: usize,
    /// The page size asked.
    pub limit: usize,
    /// Offers skipped.
    pub offset: usize,
    /// The offers, by id.
    pub offers: Vec<OfferJson>,
}

/// The offers that apply at one outlet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutletOffers {
    /// The outlet.
    pub outlet: u32,
    /// The Helsinki day asked about.
    pub date: NaiveDate,
    /// The household whose segments and chosen chains were matched, if one was given.
    pub household: Option<i64>,
    /// Offers in the list.
    pub count: usize,
    /// The store's offers, then its chain's, then the network's, each by id.
    pub offers: Vec<OfferJson>,
}

/// `at=`: a Helsinki date `YYYY-MM-DD` (its noon), an RFC 3339 instant or Helsinki local time
/// `YYYY-MM-DDTHH:MM`.
fn parse_at(s: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let noon = d.and_hms_opt(12, 0, 0).unwrap_or_default();
        if let Some(t) = chrono_tz::Europe::Helsinki
            .from_local_datetime(&noon)
            .earliest()
        {
            return Ok(t.with_timezone(&Utc));
        }
    }
    parse_open_at(s).map_err(|_| {
        ApiError::bad_param(
            "invalid_parameter",
            "at",
            format!("`at` must be a date YYYY-MM-DD, an RFC 3339 instant or Helsinki local time YYYY-MM-DDTHH:MM, got `{s}`"),
        )
    })
}

fn helsinki_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::Europe::Helsinki).date_naive()
}

/// Stores an offer (idempotent by id).
#[utoipa::path(
    tag = "offers",
    security(("api_key" = ["admin", "retailer", "chain"])),
    request_body = OfferJson,
    responses(
        (status = 201, description = "Stored now", body = OfferJson),
        (status = 200, description = "The same offer was stored before", body = OfferJson),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "The key may not write an offer of this level and target", body = ErrorBody),
        (status = 409, description = "Another offer has this id", body = ErrorBody),
        (status = 422, description = "An invalid field, named in `field`: among others an id outside the key's namespace (`store-{outlet}:…`, `chain-{chain}:…`) or a store offer at a closed outlet", body = ErrorBody)
    )
)]
#[post("/v1/offers")]
pub async fn create(
    auth: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = auth.require(&[Role::Admin, Role::Chain, Role::Retailer])?;
    let bytes = body::read_limited(&req, payload, state.settings.max_body_bytes).await?;
    let json: OfferJson = parse_item(parse_json_value(&bytes)?, "", "invalid_offer")?;
    let offer = json.to_offer()?;
    let allowed =
        ledger_principal(p).is_some_and(|(role, scope)| can_write_offer(role, &scope, &offer));
    if !allowed {
        return Err(ApiError::new(
            Kind::Forbidden,
            "forbidden",
            format!(
                "a key of role `{}` may not write a {} offer{}: retailers write their own outlet's store offers, chains their chain's offers, admins any",
                p.role,
                offer.level.name(),
                json.target.as_deref().map(|t| format!(" for `{t}`")).unwrap_or_default()
            ),
        )
        .field("target"));
    }
    if let Some((role, _)) = ledger_principal(p) {
        check_offer_id(role, &offer)?;
    }
    match &offer.level {
        Level::Store(id) => {
            // Only an open outlet takes offers: a closed one's retailer key writes nothing.
            if state.index.load().registry().outlet(*id).is_none() {
                let why = if state.store.outlet(*id).await?.is_some() {
                    format!("outlet {id} is closed")
                } else {
                    format!("unknown outlet {id}")
                };
                return Err(invalid("target", why));
            }
        }
        Level::Chain(c) => {
            if state.index.load().registry().chain(c).is_none() {
                return Err(invalid("target", format!("unknown chain `{c}`")));
            }
        }
        Level::Network => {}
    }
    let w = state.ledger.put_offer(offer.clone()).await?;
    let body = OfferJson::from(&offer);
    Ok(match w.status {
        WriteStatus::Created => HttpResponse::Created().json(body),
        WriteStatus::Exists => HttpResponse::Ok().json(body),
    })
}

/// Every stored offer, filtered and paged.
#[utoipa::path(
    tag = "offers",
    params(
        ("level" = Option<String>, Query, description = "`store`, `chain` or `network`"),
        ("chain" = Option<String>, Query, description = "Offers of this chain: its chain offers and its outlets' store offers"),
        ("outlet" = Option<u32>, Query, description = "Store offers of this outlet"),
        ("at" = Option<String>, Query, description = "Valid on this Helsinki day (`YYYY-MM-DD` or an instant)"),
        ("limit" = Option<usize>, Query, description = "Page size, 1..=1000 (default 100)"),
        ("offset" = Option<usize>, Query, description = "Offers to skip (default 0)")
    ),
    responses(
        (status = 200, description = "The offers, by id", body = OfferList),
        (status = 400, description = "A bad parameter, named in `field`", body = ErrorBody)
    )
)]
#[get("/v1/offers")]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let q = Params::parse(
        req.query_string(),
        &["level", "chain", "outlet", "at", "limit", "offset"],
    )?;
    let level = q.one("level")?;
    if let Some(l) = level {
        if !["store", "chain", "network"].contains(&l) {
            return Err(ApiError::bad_param(
                "invalid_parameter",
                "level",
                format!("unknown level `{l}`: expected store, chain or network"),
            ));
        }
    }
    let index = state.index.load();
    let reg = index.registry();
    let chain = q
        .one("chain")?
        .map(|c| {
            ChainId::new(c)
                .ok()
                .filter(|c| reg.chain(c).is_some())
                .ok_or_else(|| {
                    ApiError::bad_param(
                        "unknown_chain",
                        "chain",
                        format!("unknown chain `{c}`; see GET /v1/chains"),
                    )
                })
        })
        .transpose()?;
    let outlet = q.one("outlet")?.map(parse_outlet_param).transpose()?;
    let day = q.one("at")?.map(parse_at).transpose()?.map(helsinki_day);
    let limit = q.opt_usize("limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_param(
            "out_of_range",
            "limit",
            format!("`limit` must be 1..={MAX_LIMIT}, got {limit}"),
        ));
    }
    let offset = q.opt_usize("offset")?.unwrap_or(0);
    let offers = state.ledger.offers().await?;
    let matching: Vec<&Offer> = offers
        .iter()
        .filter(|o| level.is_none_or(|l| o.level.name() == l))
        .filter(|o| match (&chain, &o.level) {
            (None, _) => true,
            (Some(c), Level::Chain(oc)) => c == oc,
            (Some(c), Level::Store(id)) => reg.outlet(*id).is_some_and(|x| &x.chain == c),
            (Some(_), Level::Network) => false,
        })
        .filter(|o| match (outlet, &o.level) {
            (None, _) => true,
            (Some(id), Level::Store(oid)) => id == *oid,
            (Some(_), _) => false,
        })
        .filter(|o| day.is_none_or(|d| o.valid_from <= d && d <= o.valid_to))
        .collect();
    let page: Vec<OfferJson> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|o| OfferJson::from(*o))
        .collect();
    Ok(HttpResponse::Ok().json(OfferList {
        total: matching.len(),
        count: page.len(),
        limit,
        offset,
        offers: page,
    }))
}

fn parse_outlet_param(v: &str) -> Result<OutletId, ApiError> {
    v.parse::<OutletId>()
        .map_err(|e| ApiError::bad_param("invalid_parameter", "outlet", e.to_string()))
}

/// The offers that apply at an outlet at a time: the store's, its chain's and the network's,
/// valid then; targeted ones only for a `household=` whose segments or chosen chains match.
#[utoipa::path(
    tag = "offers",
    params(
        ("id" = u32, Path, description = "Outlet id"),
        ("at" = Option<String>, Query, description = "When: `YYYY-MM-DD`, an RFC 3339 instant or Helsinki local time (default now)"),
        ("household" = Option<i64>, Query, description = "Match this household's segments and chosen chains; needs its key or an admin key")
    ),
    responses(
        (status = 200, description = "The offers that apply", body = OutletOffers),
        (status = 400, description = "A bad parameter, named in `field`", body = ErrorBody),
        (status = 401, description = "`household=` without a valid key", body = ErrorBody),
        (status = 403, description = "`household=` with a key that may not read that household", body = ErrorBody),
        (status = 404, description = "No open outlet with this id, or no such household", body = ErrorBody)
    )
)]
#[get("/v1/outlets/{id}/offers")]
pub async fn at_outlet(
    // The key's own failure (missing or invalid) is kept: it is the answer when `household=`
    // needs the key, and ignored otherwise.
    auth: Result<Authenticated, ApiError>,
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let q = Params::parse(req.query_string(), &["at", "household"])?;
    let at = q
        .one("at")?
        .map(parse_at)
        .transpose()?
        .unwrap_or_else(Utc::now);
    let household = q
        .one("household")?
        .map(|h| {
            h.parse::<i64>()
                .ok()
                .filter(|h| *h > 0)
                .map(HouseholdId)
                .ok_or_else(|| {
                    ApiError::bad_param(
                        "invalid_parameter",
                        "household",
                        format!("a household id is a positive integer, got `{h}`"),
                    )
                })
        })
        .transpose()?;
    if let Some(h) = household {
        // Missing (`missing_api_key`), not valid (`invalid_api_key`) or the database's own 503.
        let auth = auth?;
        let allowed = ledger_principal(&auth.0)
            .is_some_and(|(role, scope)| can_read_household(role, &scope, h));
        if !allowed {
            return Err(ApiError::new(
                Kind::Forbidden,
                "forbidden",
                format!(
                    "a key of role `{}` may not see household {h}'s offers",
                    auth.0.role
                ),
            )
            .field("household"));
        }
    }
    let outlet = state
        .index
        .load()
        .registry()
        .outlet(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("no open outlet with id {id}")))?;
    let offers = state.ledger.offers_at(&outlet, at, household).await?;
    let offers: Vec<OfferJson> = offers.iter().map(OfferJson::from).collect();
    Ok(HttpResponse::Ok().json(OutletOffers {
        outlet: id.0,
        date: helsinki_day(at),
        household: household.map(|h| h.0),
        count: offers.len(),
        offers,
    }))
}
