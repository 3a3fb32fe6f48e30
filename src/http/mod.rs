//! The actix-web service: routes, API keys and roles, OpenAPI document, the API page.
//!
//! [`app`] builds the whole application from an [`AppState`]; [`server`] runs it on a listener and
//! [`start`] does everything `storenet serve` does (open and migrate the database, import the
//! bundled data on first start, build the index, listen). [`bootstrap`] is the database part of it,
//! shared with `storenet export`. Tests call the same functions on port 0.
//!
//! Each resource is one file with a `configure` function; adding one is a line in [`RESOURCES`]
//! and its paths in [`ApiDoc`]. A route that needs a key declares it with the roles it admits as
//! the security scopes, `security(("api_key" = ["admin", "retailer"]))`: clients read them in the
//! OpenAPI document, and the role test (tests/it/http/hardening.rs) tries every such route with
//! every other role and expects 403.

pub mod admin;
pub mod auth;
pub mod body;
pub mod chains;
pub mod compress;
pub mod edge;
pub mod error;
pub mod exports;
pub mod fallback;
pub mod guard;
pub mod headers;
pub mod ledger;
pub mod limits;
pub mod listing;
pub mod meta;
pub mod offers;
pub mod outlets;
pub mod params;
pub mod planning;
pub mod response;
pub mod sync;
#[path = "web.rs"]
pub mod web_map;

use crate::config::Settings;
use crate::ledger::{Ledger, LedgerError, SqlLedger};
use crate::registry::{LoadError, Registry};
use crate::spatial::SharedIndex;
use crate::store::{Store, StoreError};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use error::UnavailableDoc;
pub use error::{ApiError, ErrorBody};
use limits::RateLimitDoc;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened, migrated, imported into or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The bundled data could not be loaded for the first import.
    #[error("loading the data to import")]
    Load(#[from] LoadError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The metrics registry could not be set up.
    #[error("setting up metrics: {0}")]
    Metrics(String),
    /// The task reading the bundled data for the first import panicked or was cancelled.
    #[error("the import task failed: {0}")]
    ImportTask(String),
    /// The heavy routes' thread pools could not be started.
    #[error("starting the thread pools: {0}")]
    Pools(String),
    /// The ledger could not be started or seeded with the bundled offers.
    #[error("starting the ledger")]
    Ledger(#[from] LedgerError),
}

/// Everything a handler may use: the current snapshot, the database, the ledger and the settings.
#[derive(Clone)]
pub struct AppState {
    /// The current outlet index; swapped whole when outlets change, readers never wait.
    pub index: Arc<SharedIndex>,
    /// The list answers' outlets, rendered once per index snapshot.
    pub rendered: Arc<listing::RenderCache>,
    /// The database.
    pub store: Store,
    /// The loyalty ledger and the offers, on the same database as `store`.
    pub ledger: SqlLedger,
    /// The service's settings.
    pub settings: Arc<Settings>,
    /// Request counters and latency histograms.
    pub metrics: Arc<edge::HttpMetrics>,
    /// The planning routes' grid (loaded on first use) and context for the current snapshot.
    pub planning: Arc<planning::PlanningState>,
    /// Request rate limits per client address and per API key, shared by every worker.
    pub limiter: Arc<limits::RateLimiter>,
    /// The heavy routes' own bounded pools (planning, exports, route bodies).
    pub pools: crate::capacity::Pools,
    /// Serialises writes so snapshots are swapped in the order the writes happened.
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl AppState {
    /// State over a store, the registry loaded from it and the ledger on the same database. Must
    /// be called inside a tokio runtime (the ledger starts its writer task).
    pub fn new(store: Store, registry: Registry, settings: Settings) -> Result<Self, StartError> {
        let ledger = SqlLedger::new(store.db().clone(), settings.rules.clone())
            .map_err(|e| LedgerError::invalid("rules", e.to_string()))?;
        let metrics =
            Arc::new(edge::HttpMetrics::new().map_err(|e| StartError::Metrics(e.to_string()))?);
        let index = SharedIndex::new(registry);
        let pools = crate::capacity::Pools::new(&settings.capacity)
            .map_err(|e| StartError::Pools(e.to_string()))?;
        Ok(AppState {
            pools,
            rendered: Arc::new(listing::RenderCache::new(index.load())),
            index: Arc::new(index),
            store,
            ledger,
            limiter: Arc::new(limits::RateLimiter::new(&settings.rate_limit)),
            settings: Arc::new(settings),
            metrics,
            planning: Arc::new(planning::PlanningState::default()),
            writer: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Reloads the open outlets from the database, builds a new index and swaps it in.
    pub async fn reload(&self) -> Result<(), StoreError> {
        let registry = self.store.load_registry().await?;
        self.index.replace(registry);
        Ok(())
    }
}

/// The resources, each registering its routes. Order matters only within a resource.
pub const RESOURCES: &[fn(&mut web::ServiceConfig)] = &[
    meta::configure,
    chains::configure,
    outlets::configure,
    admin::configure,
    exports::configure,
    web_map::configure,
    ledger::configure,
    offers::configure,
    planning::configure,
];

/// The OpenAPI document of every route.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "storenet",
        description = "Outlets of a K-Plussa-style retail network: nearest stores, radius, bbox, polygon and along-route queries, chains, and admin writes. Distances are geodesic metres."
    ),
    paths(
        outlets::nearest,
        outlets::within,
        outlets::list,
        outlets::in_polygon,
        outlets::along_route,
        outlets::by_id,
        chains::chains,
        exports::download,
        exports::download_along_route,
        exports::choices,
        exports::choices_along_route,
        admin::create,
        admin::update,
        admin::close,
        meta::healthz,
        meta::metrics,
        ledger::purchases,
        ledger::returns,
        ledger::balance,
        ledger::statement,
        offers::create,
        offers::list,
        offers::at_outlet,
        planning::density,
        planning::coverage,
        planning::catchments,
        planning::gaps,
        planning::whatif,
        planning::sites_get,
        planning::sites_post,
        planning::huff,
    ),
    components(schemas(
        response::OutletList,
        outlets::MapList,
        outlets::ListAnswer,
        response::OutletJson,
        response::OutletDetail,
        response::DayHoursJson,
        response::HolidayNames,
        response::OfferSummary,
        response::AddressJson,
        response::ChainList,
        response::ChainJson,
        error::ErrorBody,
        exports::Choices,
        exports::ChoiceJson,
        admin::NewOutlet,
        admin::OutletChange,
        meta::Health,
        ledger::PurchaseIn,
        ledger::PurchaseReceiptJson,
        ledger::PurchaseResult,
        ledger::PurchaseBatchResult,
        ledger::ReturnIn,
        ledger::ReturnReceiptJson,
        ledger::ReturnResult,
        ledger::BalanceJson,
        ledger::StatementJson,
        offers::OfferJson,
        offers::OfferList,
        offers::OutletOffers,
        planning::WhatIfJson,
        planning::OpenJson,
        planning::SitesJson,
        planning::PointJson,
    )),
    modifiers(&BearerKey, &RateLimitDoc, &UnavailableDoc)
)]
pub struct ApiDoc;

struct BearerKey;

impl utoipa::Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A key from `storenet keys create`"))
                    .build(),
            ),
        );
    }
}

/// The whole application over `state`: every resource, the OpenAPI document at `/openapi.json`,
/// the API page at `/docs/` (Swagger UI, vendored into the binary), JSON errors everywhere (405
/// with `Allow` for a known path), rate limits, CORS, security headers and request metrics.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let limit = state.settings.max_body_bytes;
    let edge = edge::Edge::new(
        Arc::clone(&state.limiter),
        Arc::clone(&state.settings),
        Arc::clone(&state.metrics),
    );
    App::new()
        .app_data(web::Data::new(state))
        .app_data(
            web::JsonConfig::default()
                .limit(limit)
                .error_handler(error::json_error),
        )
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .app_data(web::PayloadConfig::new(limit))
        .configure(|cfg| {
            for resource in RESOURCES {
                resource(cfg);
            }
        })
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()))
        .default_service(web::to(fallback::no_route))
        .wrap(ErrorHandlers::new().default_handler_client(error::json_fallback))
        .wrap(compress::Compress)
        .wrap(edge)
}

/// Runs the application on an already bound listener (port 0 in tests), with the connection
/// timeouts of [`Settings::timeouts`](crate::config::Timeouts). Each connection passes the
/// request-head guard ([`guard`]) before actix-http reads it; otherwise this is what
/// `HttpServer::listen` builds (HTTP/1, `TCP_NODELAY`, one app per worker).
pub fn server(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    use actix_http::{HttpService, Protocol};
    use actix_service::{fn_service, map_config, ServiceFactoryExt};
    let workers = state.settings.workers;
    let t = state.settings.timeouts.clone();
    let keep_alive = match t.keep_alive_s {
        0 => actix_web::http::KeepAlive::Disabled,
        s => actix_web::http::KeepAlive::Timeout(Duration::from_secs(s)),
    };
    let local = listener.local_addr()?;
    let mut builder = actix_server::Server::build();
    if let Some(w) = workers {
        builder = builder.workers(w);
    }
    let server = builder
        .listen("storenet", listener, move || {
            let http = HttpService::build()
                .keep_alive(keep_alive)
                .client_request_timeout(Duration::from_millis(t.request_head_ms))
                .client_disconnect_timeout(Duration::from_millis(t.disconnect_ms))
                .local_addr(local)
                .finish(map_config(app(state.clone()), |_| {
                    actix_web::dev::AppConfig::default()
                }));
            fn_service(|io: tokio::net::TcpStream| async move {
                let _ = io.set_nodelay(true);
                let peer = io.peer_addr().ok();
                Ok::<_, actix_http::error::DispatchError>((
                    guard::Guarded::new(io),
                    Protocol::Http1,
                    peer,
                ))
            })
            .and_then(http)
        })?
        .run();
    Ok(server)
}

/// A started service.
pub struct Started {
    /// The server future: await it to serve until stopped; its handle stops it.
    pub server: Server,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its state (for tests and tools that want to look inside).
    pub state: AppState,
    /// Time from opening the database to listening.
    pub startup: Duration,
}

/// What [`bootstrap`] opened: the database, its outlets, and the bundled offers to store in the
/// ledger when this was a first start.
pub struct Bootstrapped {
    /// The open, migrated database.
    pub store: Store,
    /// Its chains and open outlets.
    pub registry: Registry,
    /// The registry's change counter read just before `registry` was loaded (see [`sync`]).
    pub registry_version: i64,
    /// `offers.csv` of the data dir if the database was empty (a first start) and the file
    /// exists; store them with [`seed_offers`] once the ledger runs.
    pub seed_offers: Option<crate::offers::OfferBook>,
}

/// The first-start part of `storenet serve`, shared with `storenet export`: opens and migrates the
/// database, and if it is empty imports `chains.csv` and `outlets.csv` from the data dir and reads
/// `offers.csv` for the ledger; then loads the registry from the database.
pub async fn bootstrap(settings: &Settings) -> Result<Bootstrapped, StartError> {
    let store = Store::open(&settings.database_url).await?;
    let mut seed = None;
    if store.is_empty().await? {
        let offers_csv = settings.data_dir.join("offers.csv");
        if offers_csv.exists() {
            seed = Some(
                crate::offers::load_csv(&offers_csv)
                    .map_err(|e| LedgerError::invalid("offers.csv", e.to_string()))?,
            );
        }
        let dir = settings.data_dir.clone();
        let reg = tokio::task::spawn_blocking(move || crate::registry::load_dir(&dir))
            .await
            .map_err(|e| StartError::ImportTask(e.to_string()))??;
        if store.import_if_empty(&reg).await? {
            tracing::info!(
                outlets = reg.outlets().len(),
                dir = %settings.data_dir.display(),
                "imported the bundled data into the empty database"
            );
        }
    }
    // The version before the load: a change in between is seen by the first poll.
    let version = store.registry_version().await?;
    let registry = store.load_registry().await?;
    Ok(Bootstrapped {
        store,
        registry,
        registry_version: version,
        seed_offers: seed,
    })
}

/// Stores every offer of `book` in `ledger` (idempotent by offer id), concurrently so the
/// ledger's writer commits them in a few transactions.
pub async fn seed_offers(
    ledger: &SqlLedger,
    book: crate::offers::OfferBook,
) -> Result<(), LedgerError> {
    let n = book.all().len();
    let mut tasks = tokio::task::JoinSet::new();
    for offer in book.all().iter().cloned() {
        let ledger = ledger.clone();
        tasks.spawn(async move { ledger.put_offer(offer).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.map_err(|_| LedgerError::WriterStopped)??;
    }
    tracing::info!(offers = n, "imported the bundled offers into the ledger");
    Ok(())
}

/// Does everything `storenet serve` does before serving: [`bootstrap`], start the ledger, store
/// the bundled offers on a first start, build the index and bind the listener.
pub async fn start(settings: Settings) -> Result<Started, StartError> {
    let t0 = Instant::now();
    let boot = bootstrap(&settings).await?;
    let state = AppState::new(boot.store, boot.registry, settings)?;
    sync::spawn_registry_poll(&state, boot.registry_version);
    if let Some(book) = boot.seed_offers {
        seed_offers(&state.ledger, book).await?;
    }
    let bind = state.settings.bind;
    let bind_err = |source| StartError::Bind { addr: bind, source };
    let listener = TcpListener::bind(bind).map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let server = server(listener, state.clone()).map_err(bind_err)?;
    // The page's files are compressed once at the highest levels; do it before anyone asks.
    drop(tokio::task::spawn_blocking(web_map::warm));
    Ok(Started {
        server,
        addr,
        state,
        startup: t0.elapsed(),
    })
}
