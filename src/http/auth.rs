//! API keys on requests: `Authorization: Bearer sn_…`, verified against the store.

use super::error::{ApiError, Kind};
use super::AppState;
use crate::store::{Principal, Role};
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

/// The verified holder of the request's API key. Extracting it fails with 401 when the key is
/// missing or not valid; [`Authenticated::require`] then checks the role (403).
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl Authenticated {
    /// The principal, if its role is one of `roles`; 403 otherwise.
    pub fn require(&self, roles: &[Role]) -> Result<&Principal, ApiError> {
        if roles.contains(&self.0.role) {
            Ok(&self.0)
        } else {
            let names: Vec<&str> = roles.iter().map(Role::as_str).collect();
            Err(ApiError::new(
                Kind::Forbidden,
                "forbidden",
                format!(
                    "a key of role `{}` may not do this; it needs role {}",
                    self.0.role,
                    names.join(" or ")
                ),
            ))
        }
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return Err(ApiError::new(
            Kind::Unauthorized,
            "missing_api_key",
            "this route needs an API key: Authorization: Bearer <key>",
        ));
    };
    let invalid = || {
        ApiError::new(
            Kind::Unauthorized,
            "invalid_api_key",
            "the Authorization header must be `Bearer <key>` with a valid key",
        )
    };
    let value = value.to_str().map_err(|_| invalid())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(invalid());
    }
    Ok(token.trim().to_string())
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let store = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.store.clone());
        let token = bearer(req);
        Box::pin(async move {
            let token = token?;
            let store = store.ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("AppState missing from the app data"))
            })?;
            match store.verify_key(&token).await? {
                Some(p) => Ok(Authenticated(p)),
                None => Err(ApiError::new(
                    Kind::Unauthorized,
                    "invalid_api_key",
                    "the API key is not valid (unknown or revoked)",
                )),
            }
        })
    }
}
