//! `GET /v1/chains`.

use super::response::{ChainJson, ChainList};
use super::AppState;
use actix_web::{get, web, HttpResponse};
use std::collections::HashMap;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(chains);
}

/// Every chain with its number of open outlets, by id.
#[utoipa::path(
    tag = "chains",
    responses((status = 200, description = "All chains", body = ChainList))
)]
#[get("/v1/chains")]
pub async fn chains(state: web::Data<AppState>) -> HttpResponse {
    let index = state.index.load();
    let reg = index.registry();
    let mut counts: HashMap<&crate::model::ChainId, usize> = HashMap::new();
    for o in reg.outlets() {
        *counts.entry(&o.chain).or_default() += 1;
    }
    let chains: Vec<ChainJson> = reg
        .chains()
        .map(|c| ChainJson::new(c, counts.get(&c.id).copied().unwrap_or(0)))
        .collect();
    HttpResponse::Ok().json(ChainList {
        count: chains.len(),
        chains,
    })
}
