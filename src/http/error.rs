//! `ApiError`: every failure a handler can return, mapped to an HTTP status in one place.
//!
//! Every 4xx carries a JSON body `{ "error": code, "message": text, "field": name-or-null }`,
//! including actix's own extractor errors and unknown routes (see [`json_fallback`]). A 5xx shows
//! only an id; its cause goes to the log under that id.
//!
//! A database that cannot take a request just now (its storage full, read-only or failing, its
//! server unreachable or restarting) is a 503 with `Retry-After` and a code that says which
//! (`storage_full`, `storage_read_only`, `storage_error`, `database_unavailable`), not a 500: see
//! [`unavailable`].

use crate::db::DbError;
use crate::ledger::LedgerError;
use crate::spatial::QueryError;
use crate::store::StoreError;
use actix_web::body::EitherBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// The kinds of failure, each one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 400: a malformed or out-of-range parameter or body.
    BadRequest,
    /// 401: no key, or a key that is not valid.
    Unauthorized,
    /// 403: a valid key whose role may not do this.
    Forbidden,
    /// 404: no such resource.
    NotFound,
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// 408: the client took too long to send its request.
    RequestTimeout,
    /// 409: the write conflicts with what is stored.
    Conflict,
    /// 413: the body is over the limit.
    PayloadTooLarge,
    /// 431: a request line and headers over the limits (`http::guard`).
    HeadTooLarge,
    /// 415: a body of a type the route does not read.
    UnsupportedMediaType,
    /// 422: a well-formed body whose values are invalid.
    Unprocessable,
    /// 429: over the rate limit; the response says when to retry.
    TooManyRequests,
    /// 500: our fault; logged.
    Internal,
    /// 503: the database cannot take the request just now; logged; the client may retry.
    Unavailable,
}

impl Kind {
    /// The one mapping of failures to statuses.
    pub fn status(self) -> StatusCode {
        match self {
            Kind::BadRequest => StatusCode::BAD_REQUEST,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::HeadTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// A failed request.
#[derive(Debug)]
pub struct ApiError {
    kind: Kind,
    code: &'static str,
    message: String,
    field: Option<String>,
    source: Option<anyhow::Error>,
    /// Seconds for `Retry-After` on a 503 (1 unless set).
    retry_after_s: Option<u64>,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code, e.g. `invalid_parameter`, `unknown_chain`.
    pub error: String,
    /// What was wrong, for a person.
    pub message: String,
    /// The parameter or body field at fault, if one is.
    pub field: Option<String>,
}

impl ApiError {
    /// A failure of `kind` with a code and message.
    pub fn new(kind: Kind, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            code,
            message: message.into(),
            field: None,
            source: None,
            retry_after_s: None,
        }
    }

    /// Names the parameter or field at fault.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 400 for a parameter.
    pub fn bad_param(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        ApiError::new(Kind::BadRequest, code, message).field(field)
    }

    /// 422 for an invalid field of a written outlet.
    pub fn invalid_outlet(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(Kind::Unprocessable, "invalid_outlet", message).field(field)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(Kind::NotFound, "not_found", message)
    }

    /// 413 for a body over `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        ApiError::new(
            Kind::PayloadTooLarge,
            "payload_too_large",
            format!("request body over the limit of {limit} bytes"),
        )
    }

    /// 500, logged with its cause when the response is made.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = ApiError::new(Kind::Internal, "internal", "internal error");
        e.source = Some(source.into());
        e
    }

    /// 503: a resource the request needs cannot be had just now; `message` is ours, `source` (which
    /// may name hosts) goes to the log only.
    pub fn unavailable_with(
        code: &'static str,
        message: impl Into<String>,
        source: impl Into<anyhow::Error>,
    ) -> Self {
        let mut e = ApiError::new(Kind::Unavailable, code, message);
        e.source = Some(source.into());
        e
    }

    /// 503 with `(code, message)` from [`unavailable`], or 500 without.
    fn from_db(
        unavailable: Option<(&'static str, &'static str)>,
        source: impl Into<anyhow::Error>,
    ) -> Self {
        match unavailable {
            Some((code, message)) => ApiError::unavailable_with(code, message, source),
            None => ApiError::internal(source),
        }
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// A plain error for a status that actix produced without a body of ours.
    fn from_status(status: StatusCode) -> Self {
        let (kind, code) = match status {
            StatusCode::NOT_FOUND => (Kind::NotFound, "not_found"),
            StatusCode::METHOD_NOT_ALLOWED => (Kind::MethodNotAllowed, "method_not_allowed"),
            StatusCode::PAYLOAD_TOO_LARGE => (Kind::PayloadTooLarge, "payload_too_large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                (Kind::UnsupportedMediaType, "unsupported_media_type")
            }
            StatusCode::UNAUTHORIZED => (Kind::Unauthorized, "unauthorized"),
            StatusCode::FORBIDDEN => (Kind::Forbidden, "forbidden"),
            StatusCode::CONFLICT => (Kind::Conflict, "conflict"),
            StatusCode::UNPROCESSABLE_ENTITY => (Kind::Unprocessable, "unprocessable"),
            StatusCode::TOO_MANY_REQUESTS => (Kind::TooManyRequests, "rate_limited"),
            _ => (Kind::BadRequest, "bad_request"),
        };
        let reason = status.canonical_reason().unwrap_or("client error");
        ApiError::new(kind, code, reason.to_lowercase())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        let (message, field) = if self.kind == Kind::Internal {
            // The client sees an id only; the cause goes to the log.
            let id = uuid::Uuid::now_v7();
            tracing::error!(error_id = %id, cause = ?self.source, "{}", self.message);
            (format!("internal error; reference {id}"), None)
        } else if self.kind == Kind::Unavailable && self.source.is_some() {
            // Our fixed text and an id; the driver's error (which may name hosts) goes to the log.
            let id = uuid::Uuid::now_v7();
            tracing::warn!(error_id = %id, cause = ?self.source, "{}", self.code);
            (format!("{}; reference {id}", self.message), None)
        } else {
            (self.message.clone(), self.field.clone())
        };
        let mut resp = HttpResponse::build(self.status_code());
        if self.kind == Kind::Unauthorized {
            resp.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if self.kind == Kind::Unavailable {
            let s = self.retry_after_s.unwrap_or(1);
            resp.insert_header((header::RETRY_AFTER, HeaderValue::from(s)));
        }
        resp.json(ErrorBody {
            error: self.code.to_string(),
            message: cap_echo(message),
            field: field.map(cap_echo),
        })
    }
}

/// Longest message or field name an error body carries, bytes. Messages quote the input they
/// refuse; a 40 KB parameter must not come back as a 40 KB answer.
pub const MAX_ERROR_TEXT: usize = 512;

/// `text` cut to [`MAX_ERROR_TEXT`] bytes at a character boundary, saying how much was cut.
fn cap_echo(text: String) -> String {
    if text.len() <= MAX_ERROR_TEXT {
        return text;
    }
    let mut end = MAX_ERROR_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} more bytes cut)", &text[..end], text.len() - end)
}

impl From<crate::capacity::CapacityError> for ApiError {
    fn from(e: crate::capacity::CapacityError) -> Self {
        use crate::capacity::CapacityError as C;
        let code = match e {
            C::Busy { .. } => "busy",
            C::Deadline { .. } => "deadline_exceeded",
            C::Panicked { .. } => return ApiError::internal(e),
        };
        let mut err = ApiError::new(Kind::Unavailable, code, e.to_string());
        err.retry_after_s = e.retry_after_s();
        err
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::OutOfRange { field, reason } => {
                ApiError::bad_param("out_of_range", field, format!("{field}: {reason}"))
            }
            // Refusals the spatial module may add later are still the client's input.
            #[allow(unreachable_patterns)]
            other => ApiError::new(Kind::BadRequest, "invalid_query", other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::DuplicateOutlet(id) => ApiError::new(
                Kind::Conflict,
                "conflict",
                format!("outlet {id} already exists"),
            )
            .field("id"),
            StoreError::IdTooLarge(_) => ApiError::invalid_outlet("id", e.to_string()),
            StoreError::Sqlx(ref db) => ApiError::from_db(unavailable(db), e),
            StoreError::Db(ref db) => ApiError::from_db(sqlx_cause(db).and_then(unavailable), e),
            other => ApiError::internal(other),
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        let message = e.to_string();
        match e {
            LedgerError::Conflict(_) => ApiError::new(Kind::Conflict, "conflict", message),
            LedgerError::UnknownCard(_) => {
                ApiError::new(Kind::Unprocessable, "unknown_card", message).field("card")
            }
            LedgerError::UnknownHousehold(_) => {
                ApiError::new(Kind::NotFound, "unknown_household", message)
            }
            LedgerError::UnknownPurchase(_) => {
                ApiError::new(Kind::Unprocessable, "unknown_purchase", message).field("purchase")
            }
            LedgerError::ReturnExceedsPurchase { .. } => {
                ApiError::new(Kind::Unprocessable, "return_exceeds_purchase", message)
                    .field("cents")
            }
            LedgerError::Insufficient { .. } => {
                ApiError::new(Kind::Unprocessable, "insufficient_balance", message)
            }
            LedgerError::MonthClosed(_) => ApiError::new(Kind::Conflict, "month_closed", message),
            LedgerError::Invalid { field, .. } => {
                ApiError::new(Kind::Unprocessable, "invalid_value", message).field(field)
            }
            LedgerError::BatchItem { index, source } => {
                let inner = ApiError::from(*source);
                let field = match &inner.field {
                    Some(f) => format!("[{index}].{f}"),
                    None => format!("[{index}]"),
                };
                ApiError::new(inner.kind, inner.code, message).field(field)
            }
            LedgerError::Db(ref db) => ApiError::from_db(unavailable(db), e),
            LedgerError::Open(ref db) => ApiError::from_db(sqlx_cause(db).and_then(unavailable), e),
            LedgerError::WriterStopped | LedgerError::Corrupt(_) => ApiError::internal(e),
        }
    }
}

/// The driver's error behind a [`DbError`], if there is one.
fn sqlx_cause(e: &DbError) -> Option<&sqlx::Error> {
    match e {
        DbError::Sqlx(e) | DbError::Connect { source: e, .. } => Some(e),
        DbError::BadUrl(_) | DbError::Migrate(_) => None,
    }
}

/// `(code, message)` of a 503 for a database failure that is the state of the storage or of the
/// database server rather than a bug or the request: SQLite's `SQLITE_FULL`, `SQLITE_READONLY`
/// and `SQLITE_IOERR` (by primary result code); PostgreSQL's disk full (53100), read-only
/// transaction (25006), I/O error (58030), connection exceptions (class 08), shutdown and
/// start-up (57P01–57P03) and too many connections (53300); and a connection lost or not had in
/// time (I/O, TLS, pool timeout). A write answered so may or may not have been stored, so the
/// messages say that a resend with the same keys is safe.
pub fn unavailable(e: &sqlx::Error) -> Option<(&'static str, &'static str)> {
    use sqlx::Error as E;
    const FULL: (&str, &str) = (
        "storage_full",
        "the database's storage is full; writes fail until room is made, reads still work; \
         resend with the same keys later",
    );
    const READ_ONLY: (&str, &str) = (
        "storage_read_only",
        "the database's storage is read-only; writes fail until it is writable again, reads \
         still work; resend with the same keys later",
    );
    const STORAGE: (&str, &str) = (
        "storage_error",
        "the database's storage failed to read or write (I/O error); resend with the same keys \
         later",
    );
    const UNREACHABLE: (&str, &str) = (
        "database_unavailable",
        "the database cannot be reached just now; resend with the same keys later",
    );
    match e {
        E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed => {
            Some(UNREACHABLE)
        }
        E::Database(d) => {
            let code = d.code()?;
            if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // The extended result code; its low byte is the primary one.
                return match code.parse::<i32>().ok()? & 0xff {
                    13 => Some(FULL),
                    8 => Some(READ_ONLY),
                    10 => Some(STORAGE),
                    _ => None,
                };
            }
            match code.as_ref() {
                "53100" => Some(FULL),
                "25006" => Some(READ_ONLY),
                "58030" => Some(STORAGE),
                "57P01" | "57P02" | "57P03" | "53300" => Some(UNREACHABLE),
                c if c.starts_with("08") => Some(UNREACHABLE),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Rewrites any 4xx that actix made without our JSON body (unknown routes, wrong methods,
/// extractor failures) into one, so every client error has the same shape.
pub fn json_fallback<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, _) = res.into_parts();
    let resp = ApiError::from_status(status).error_response();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, resp).map_into_right_body(),
    ))
}

/// The body type [`json_fallback`] produces.
pub type FallbackBody<B> = EitherBody<B>;

/// `error_handler` for actix's `PathConfig`: a path segment that does not parse.
pub fn path_error(
    err: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::bad_param("invalid_parameter", "id", err.to_string()).into()
}

/// `error_handler` for actix's `QueryConfig`.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::new(Kind::BadRequest, "invalid_parameter", err.to_string()).into()
}

/// `error_handler` for actix's `JsonConfig`.
pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let e = match &err {
        J::OverflowKnownLength { limit, .. } | J::Overflow { limit } => ApiError::too_large(*limit),
        J::ContentType => ApiError::new(
            Kind::UnsupportedMediaType,
            "unsupported_media_type",
            "expected Content-Type: application/json",
        ),
        _ => ApiError::new(Kind::BadRequest, "invalid_json", err.to_string()),
    };
    e.into()
}

/// Adds an error response with `Retry-After` (an [`ErrorBody`] with the seconds to wait) under
/// `status` to every operation of the OpenAPI document that does not describe that status itself.
pub(crate) fn document_retry_after_on_every_operation(
    openapi: &mut utoipa::openapi::OpenApi,
    status: &str,
    description: &str,
) {
    use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, ResponseBuilder};
    let response = ResponseBuilder::new()
        .description(description)
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .description(Some("Seconds to wait"))
                .schema(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::Integer),
                )
                .build(),
        )
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build();
    for item in openapi.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            op.responses
                .responses
                .entry(status.to_string())
                .or_insert_with(|| response.clone().into());
        }
    }
}

/// Documents the 503 of [`unavailable`] on every operation: any of them may meet a database that
/// cannot take it just now (those that only read the in-memory index never do, and say so by
/// never sending it).
pub struct UnavailableDoc;

impl utoipa::Modify for UnavailableDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        document_retry_after_on_every_operation(
            openapi,
            "503",
            "The database cannot take the request just now: its storage is full, read-only or \
             failing (`storage_full`, `storage_read_only`, `storage_error`), or it cannot be \
             reached (`database_unavailable`); on the planning routes, the secret their figures \
             are perturbed with could not be read or created (`planning_secret_unavailable`). A \
             write answered so may or may not be stored: resend it with the same key",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_shows_an_id_and_never_its_cause() {
        let e = ApiError::internal(anyhow::anyhow!("password=hunter2 in connection string"));
        let resp = e.error_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = actix_web::body::to_bytes(resp.into_body());
        let body = block_on(body).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"], "internal");
        let msg = v["message"].as_str().unwrap();
        assert!(msg.starts_with("internal error; reference "), "{msg}");
        assert!(!msg.contains("hunter2"));
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_lost_database_is_a_503_with_retry_after_and_no_cause() {
        let e: ApiError = LedgerError::Db(sqlx::Error::PoolTimedOut).into();
        let resp = e.error_response();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers().get(header::RETRY_AFTER).unwrap(), "1");
        let body = block_on(actix_web::body::to_bytes(resp.into_body())).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"], "database_unavailable");
        assert!(v["message"].as_str().unwrap().contains("reference "), "{v}");
        assert!(
            !v["message"].as_str().unwrap().contains("pool timed out"),
            "{v}"
        );
        let e: ApiError = StoreError::Sqlx(sqlx::Error::PoolClosed).into();
        assert_eq!(e.kind(), Kind::Unavailable);
        // Other database errors stay 500s.
        let e: ApiError = LedgerError::Db(sqlx::Error::RowNotFound).into();
        assert_eq!(e.kind(), Kind::Internal);
    }

    #[test]
    fn every_kind_has_its_status() {
        assert_eq!(Kind::Unprocessable.status().as_u16(), 422);
        assert_eq!(Kind::PayloadTooLarge.status().as_u16(), 413);
        let r = ApiError::new(Kind::Unauthorized, "missing_api_key", "x").error_response();
        assert_eq!(r.headers().get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
    }
}
