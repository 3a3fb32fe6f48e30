//! The one middleware every request passes: CORS preflights, rate limits, CORS and security
//! headers on the answer, and the request metrics.
//!
//! It replaces four layers (actix-web-prom, `DefaultHeaders` and two `from_fn` middlewares):
//! measured with wrk on this machine, they took a quarter of the service's throughput on an
//! unrouted path. actix-web-prom alone built two pattern strings, the path and a formatted label
//! per request and looked its metrics up by hashed label values under a lock; here each worker
//! keeps its metric handles in its own map, found by route pattern, method and status.
//!
//! Every answer to a request with an `Authorization` header gets `Cache-Control: no-store` unless
//! its route set a `Cache-Control` itself.
//!
//! In order: a preflight from an allowed origin is answered at once; then the rate limits may
//! answer 429; otherwise the request goes on. Every answer, those two included, gets the CORS
//! headers its origin allows, the security headers it does not set itself, and is counted under
//! its route pattern (`UNMATCHED` for a path no route has), method and status, with its time to
//! the response head.

use super::{headers, limits};
use crate::config::Settings;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderValue, AUTHORIZATION, CACHE_CONTROL};
use actix_web::http::{Method, StatusCode};
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

/// Upper bounds of the latency histogram's buckets, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// The label of a path no route matches (a client must not be able to mint label values).
const UNMATCHED: &str = "UNMATCHED";

/// Request counts and latency histograms by route pattern, method and status.
pub struct HttpMetrics {
    /// Everything `GET /metrics` shows.
    pub registry: prometheus::Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
}

impl HttpMetrics {
    /// `storenet_http_requests_total` and `storenet_http_requests_duration_seconds`, labelled
    /// `endpoint`, `method` and `status`.
    pub fn new() -> Result<Self, prometheus::Error> {
        let labels = ["endpoint", "method", "status"];
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "Total number of HTTP requests").namespace("storenet"),
            &labels,
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_requests_duration_seconds",
                "HTTP request duration in seconds, to the response head",
            )
            .namespace("storenet")
            .buckets(BUCKETS.to_vec()),
            &labels,
        )?;
        let registry = prometheus::Registry::new();
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(HttpMetrics {
            registry,
            requests,
            duration,
        })
    }
}

/// The middleware factory; `App::wrap(Edge::new(…))`.
#[derive(Clone)]
pub struct Edge {
    limiter: Arc<limits::RateLimiter>,
    settings: Arc<Settings>,
    metrics: Arc<HttpMetrics>,
}

impl Edge {
    /// Over the service's limiter, settings (CORS origins) and metrics.
    pub fn new(
        limiter: Arc<limits::RateLimiter>,
        settings: Arc<Settings>,
        metrics: Arc<HttpMetrics>,
    ) -> Self {
        Edge {
            limiter,
            settings,
            metrics,
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Edge
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = EdgeService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(EdgeService {
            service,
            worker: Rc::new(Worker {
                edge: self.clone(),
                handles: RefCell::new(HashMap::new()),
            }),
        }))
    }
}

/// A metric's label values: route pattern, method, status.
type Labels = (String, Method, StatusCode);

/// One worker's share: the factory's parts and its own handles to the metrics.
struct Worker {
    edge: Edge,
    handles: RefCell<HashMap<Labels, (IntCounter, Histogram)>>,
}

impl Worker {
    /// Adds the CORS headers `origin` allows to an answer that is not a preflight's.
    fn cors<B>(
        &self,
        mut res: ServiceResponse<B>,
        origin: Option<HeaderValue>,
    ) -> ServiceResponse<B> {
        headers::cors_response_headers(res.headers_mut(), &self.edge.settings.cors_origins, origin);
        res
    }

    /// Adds the security headers (and `Cache-Control: no-store` to the answer of a keyed
    /// request) and counts the answer.
    fn finish<B>(&self, mut res: ServiceResponse<B>, start: Instant) -> ServiceResponse<B> {
        headers::add_security_headers(res.headers_mut());
        // A keyed answer (balances, statements, planning reports, admin reads) is for that key's
        // holder only: no shared or browser cache may keep it, unless the route said otherwise.
        let keyed = res.request().headers().contains_key(AUTHORIZATION);
        if keyed && !res.headers().contains_key(CACHE_CONTROL) {
            res.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        let pattern = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| UNMATCHED.to_string());
        let method = match res.request().method() {
            m @ (&Method::GET
            | &Method::POST
            | &Method::PUT
            | &Method::PATCH
            | &Method::DELETE
            | &Method::HEAD
            | &Method::OPTIONS) => m.clone(),
            // Any other method is one label, so that clients cannot grow the metrics.
            _ => Method::from_bytes(b"OTHER").unwrap_or(Method::GET),
        };
        let key = (pattern, method, res.status());
        let mut handles = self.handles.borrow_mut();
        let (count, time) = handles.entry(key).or_insert_with_key(|(p, m, s)| {
            let values = [p.as_str(), m.as_str(), s.as_str()];
            (
                self.edge.metrics.requests.with_label_values(&values),
                self.edge.metrics.duration.with_label_values(&values),
            )
        });
        count.inc();
        time.observe(start.elapsed().as_secs_f64());
        res
    }
}

/// The middleware of one worker.
pub struct EdgeService<S> {
    service: S,
    worker: Rc<Worker>,
}

type Answer<B> = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;

impl<S, B> Service<ServiceRequest> for EdgeService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Answer<B>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let start = Instant::now();
        let w = &self.worker;
        let origin = headers::allowed_origin(&w.edge.settings.cors_origins, &req);
        if let Some(o) = origin.as_ref().filter(|_| headers::is_preflight(&req)) {
            // The preflight answer carries its own CORS headers.
            let res = req.into_response(headers::preflight(o.clone()));
            return Box::pin(ready(Ok(w.finish(res.map_into_right_body(), start))));
        }
        if let Err(wait) = w.edge.limiter.check_request(&req, start) {
            let res = req.into_response(limits::too_many_requests(wait));
            let res = w.cors(res.map_into_right_body(), origin);
            return Box::pin(ready(Ok(w.finish(res, start))));
        }
        let answer = self.service.call(req);
        let w = Rc::clone(w);
        Box::pin(async move {
            let res = w.cors(answer.await?.map_into_left_body(), origin);
            Ok(w.finish(res, start))
        })
    }
}
