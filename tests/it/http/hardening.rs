//! Hostile clients: half-open connections, floods, wrong roles on every keyed route, foreign
//! origins, wrong methods, oversized queries; and the headers every response carries.

use super::{spawn_app, spawn_app_with, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;
use storenet::http::ApiDoc;
use storenet::store::{Role, Scope};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use utoipa::OpenApi;

#[tokio::test]
async fn a_half_sent_request_is_closed_by_the_server() {
    let app = spawn_app_with(|s| {
        s.timeouts.request_head_ms = 300;
        s.timeouts.disconnect_ms = 300;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    // A connection that sends nothing at all is closed. (It comes first: with one worker,
    // actix-http 3.20 was seen to leave silent connections open after it timed out a half
    // request whose client kept its socket; see RELIABILITY.md.)
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(20), idle.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "the server kept a silent connection open");

    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // The request line and one header, never the blank line that ends the head.
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Generous bound: the server must close long before it; the point is that it closes at all.
    let mut got = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut got)).await;
    assert!(closed.is_ok(), "the server kept a half-open request open");
    let text = String::from_utf8_lossy(&got);
    assert!(
        got.is_empty() || text.starts_with("HTTP/1.1 408"),
        "unexpected answer to half a request: {text}"
    );
}

#[tokio::test]
async fn a_flood_from_one_address_gets_429_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.rate_limit.per_address_per_s = 1;
        s.rate_limit.per_address_burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = app
            .client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap();
        statuses.push(r.status());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=2).contains(&retry), "Retry-After {retry}");
            assert!(r.headers().contains_key("x-content-type-options"));
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["error"], "rate_limited");
            assert!(v["message"].as_str().unwrap().contains("retry"));
        }
    }
    // The burst of 3 passes; at 1/s at most one more can have refilled during the loop.
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!((3..=4).contains(&ok), "{statuses:?}");
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

#[tokio::test]
async fn each_api_key_has_its_own_rate_limit() {
    let app = spawn_app_with(|s| {
        s.rate_limit.per_key_per_s = 1;
        s.rate_limit.per_key_burst = 2;
    })
    .await;
    let other = app
        .state
        .store
        .create_key(Role::Planner, Scope::Network)
        .await
        .unwrap();
    let get = |key: String| {
        let rb = app.client.get(format!("{}/v1/chains", app.base));
        async move { rb.bearer_auth(key).send().await.unwrap().status() }
    };
    let mut mine = Vec::new();
    for _ in 0..4 {
        mine.push(get(app.admin_key.clone()).await);
    }
    assert_eq!(mine[..2], [StatusCode::OK, StatusCode::OK]);
    assert_eq!(mine[3], StatusCode::TOO_MANY_REQUESTS, "{mine:?}");
    assert_eq!(
        get(other).await,
        StatusCode::OK,
        "another key is not slowed"
    );
    // Without a key the per-key limit does not apply (the per-address one is off here).
    for _ in 0..5 {
        assert_eq!(app.get("/v1/chains").await.0, StatusCode::OK);
    }
}

/// A key of each role, with a scope the fixtures know.
async fn keys_of_every_role(app: &TestApp) -> Vec<(Role, String)> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let scope = match role {
            Role::Admin | Role::Planner => Scope::Network,
            Role::Retailer => Scope::Outlet(storenet::model::OutletId(1)),
            Role::Chain => Scope::Chain(storenet::model::ChainId::new("k-market").unwrap()),
            Role::Household => Scope::Household("hh-test-1".into()),
        };
        let key = app.state.store.create_key(role, scope).await.unwrap();
        out.push((role, key));
    }
    out
}

/// A value for a path parameter from its schema: a number where one is wanted, else a word.
fn path_value(param: &utoipa::openapi::path::Parameter) -> String {
    let schema = serde_json::to_value(&param.schema).unwrap_or(Value::Null);
    let ty = schema["type"].as_str().unwrap_or("");
    if ty == "integer" || ty == "number" {
        "1".into()
    } else {
        "test-1".into()
    }
}

/// Every operation of the OpenAPI document that declares the `api_key` security: (method, path
/// with its parameters filled in, the roles its security scopes admit).
fn keyed_operations() -> Vec<(Method, String, Vec<String>)> {
    let doc = ApiDoc::openapi();
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let security = serde_json::to_value(&op.security).unwrap();
            let Some(reqs) = security.as_array() else {
                continue;
            };
            let Some(roles) = reqs.iter().find_map(|r| r.get("api_key")) else {
                continue;
            };
            let roles: Vec<String> = roles
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect();
            let mut concrete = path.clone();
            for p in op.parameters.iter().flatten() {
                if matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Path) {
                    concrete = concrete.replace(&format!("{{{}}}", p.name), &path_value(p));
                }
            }
            out.push((method, concrete, roles));
        }
    }
    out
}

#[tokio::test]
async fn every_keyed_route_refuses_no_key_and_every_wrong_role() {
    let app = spawn_app().await;
    let keys = keys_of_every_role(&app).await;
    let ops = keyed_operations();
    assert!(
        ops.iter()
            .any(|(m, p, _)| m == Method::POST && p == "/v1/outlets"),
        "the outlet writes must be among the keyed routes: {ops:?}"
    );
    let mut failures = Vec::new();
    for (method, path, roles) in &ops {
        if roles.is_empty() {
            failures.push(format!(
                "{method} {path}: declares api_key with no roles; write security((\"api_key\" = [\"role\", …]))"
            ));
            continue;
        }
        for r in roles {
            if r.parse::<Role>().is_err() {
                failures.push(format!(
                    "{method} {path}: unknown role `{r}` in its security"
                ));
            }
        }
        let body = json!({}).to_string();
        let mut tries: Vec<(&str, Option<&str>)> = vec![
            ("no key", None),
            (
                "a made-up key",
                Some("sn_0000000000000000000000000000000000000000000000000000000000000000"),
            ),
        ];
        for (role, key) in &keys {
            tries.push((role.as_str(), Some(key.as_str())));
        }
        for (who, key) in tries {
            let (status, v) = app
                .send(method.clone(), path, key, Some(body.clone().into_bytes()))
                .await;
            let admitted = roles.iter().any(|r| r == who);
            let ok = match key {
                None => status == StatusCode::UNAUTHORIZED && v["error"] == "missing_api_key",
                Some(_) if who == "a made-up key" => {
                    status == StatusCode::UNAUTHORIZED && v["error"] == "invalid_api_key"
                }
                Some(_) if !admitted => {
                    status == StatusCode::FORBIDDEN && v["error"] == "forbidden"
                }
                // An admitted role may still be refused its scope or its (empty) body, but it is
                // past authentication and must never meet a 5xx.
                Some(_) => status != StatusCode::UNAUTHORIZED && !status.is_server_error(),
            };
            if !ok {
                failures.push(format!("{method} {path} with {who}: {status} {v}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn api_keys_appear_neither_in_metrics_nor_in_responses() {
    let app = spawn_app().await;
    let key = app.admin_key.clone();
    let (s, v) = app
        .send(Method::DELETE, "/v1/outlets/99999", Some(&key), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert!(!v.to_string().contains(&key[3..]));
    let wrong = format!("sn_{}", "ab".repeat(32));
    let (s, v) = app
        .send(Method::DELETE, "/v1/outlets/1", Some(&wrong), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(!v.to_string().contains(&wrong[3..]));
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("storenet_http_requests_total"),
        "{metrics}"
    );
    assert!(!metrics.contains(&key[3..]) && !metrics.contains(&wrong[3..]));
    assert!(!metrics.contains("Bearer"));
}

const CSP_MUST: [&str; 4] = [
    "default-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
];

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/assets/app.js",
        "/docs/",
        "/openapi.json",
        "/v1/chains",
        "/v1/nothing-here",
        "/v1/outlets/nearest?lat=99&lon=0",
    ] {
        let r = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        for part in CSP_MUST {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("'unsafe-eval'"), "{path}: {csp}");
        assert!(
            !h.contains_key("access-control-allow-origin"),
            "{path}: CORS is closed by default"
        );
    }
}

async fn with_origin(app: &TestApp, method: Method, path: &str, origin: &str) -> reqwest::Response {
    let mut rb = app
        .client
        .request(method.clone(), format!("{}{path}", app.base))
        .header("origin", origin);
    if method == Method::OPTIONS {
        rb = rb.header("access-control-request-method", "POST").header(
            "access-control-request-headers",
            "authorization, content-type",
        );
    }
    rb.send().await.unwrap()
}

#[tokio::test]
async fn cors_is_closed_by_default_and_open_only_to_listed_origins() {
    let closed = spawn_app().await;
    for m in [Method::GET, Method::OPTIONS] {
        let r = with_origin(&closed, m.clone(), "/v1/chains", "https://evil.example").await;
        assert!(
            !r.headers().contains_key("access-control-allow-origin"),
            "{m}"
        );
        assert!(!r.status().is_server_error());
    }
    let open = spawn_app_with(|s| s.cors_origins = vec!["https://maps.example.fi".into()]).await;
    let r = with_origin(&open, Method::GET, "/v1/chains", "https://maps.example.fi").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://maps.example.fi"
    );
    assert!(r
        .headers()
        .get_all("vary")
        .iter()
        .any(|v| v.to_str().unwrap().contains("Origin")));
    let pre = with_origin(
        &open,
        Method::OPTIONS,
        "/v1/outlets",
        "https://maps.example.fi",
    )
    .await;
    assert_eq!(pre.status(), StatusCode::NO_CONTENT);
    let allow = pre.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(allow.contains("POST"), "{allow}");
    assert!(pre.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("authorization"));
    for m in [Method::GET, Method::OPTIONS] {
        let r = with_origin(
            &open,
            m.clone(),
            "/v1/chains",
            "https://maps.example.fi.evil.example",
        )
        .await;
        assert!(
            !r.headers().contains_key("access-control-allow-origin"),
            "{m}"
        );
    }
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_is_405_with_allow() {
    let app = spawn_app().await;
    let (s, v) = app.send(Method::POST, "/v1/chains", None, None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{v}");
    assert_eq!(v["error"], "method_not_allowed");
    let r = app
        .client
        .put(format!("{}/v1/outlets/1", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = r.headers()["allow"].to_str().unwrap().to_string();
    for m in ["GET", "PATCH", "DELETE"] {
        assert!(allow.contains(m), "{allow}");
    }
    assert!(!allow.contains("PUT"), "{allow}");
    let (s, v) = app
        .send(Method::GET, "/v1/outlets/in-polygon", None, None)
        .await;
    // `/v1/outlets/{id}` takes GET, so this is an id that does not parse, not a wrong method.
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app
        .send(Method::POST, "/v1/no-such-thing", None, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["error"], "not_found");
}

#[tokio::test]
async fn oversized_queries_are_refused_before_they_are_run() {
    let app = spawn_app().await;
    let (s, v) = app
        .send(
            Method::POST,
            "/v1/outlets/along-route?corridor_m=50001",
            None,
            Some(super::ROUTE_GPX.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("corridor_m")),
        "{v}"
    );
    let line: Vec<[f64; 2]> = (0..=storenet::spatial::MAX_ROUTE_POINTS)
        .map(|i| [24.0 + i as f64 * 1e-5, 60.0])
        .collect();
    let route = json!({"type": "LineString", "coordinates": line}).to_string();
    assert!(route.len() < storenet::config::DEFAULT_MAX_BODY_BYTES);
    let (s, v) = app
        .send(
            Method::POST,
            "/v1/outlets/along-route",
            None,
            Some(route.into_bytes()),
        )
        .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("route")),
        "{v}"
    );
    let n = storenet::spatial::area::MAX_AREA_POINTS;
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| [24.0 + i as f64 * 1e-5, 60.0 + (i % 2) as f64 * 1e-3])
        .collect();
    ring.push(ring[0]);
    let area = json!({"type": "Polygon", "coordinates": [ring]}).to_string();
    assert!(area.len() < storenet::config::DEFAULT_MAX_BODY_BYTES);
    let (s, v) = app
        .send(
            Method::POST,
            "/v1/outlets/in-polygon",
            None,
            Some(area.into_bytes()),
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("out_of_range")),
        "{v}"
    );
}

#[tokio::test]
async fn a_trickled_body_gets_408() {
    let app = spawn_app_with(|s| s.timeouts.body_ms = 300).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let planner = app
        .state
        .store
        .create_key(Role::Planner, Scope::Network)
        .await
        .unwrap();
    // Routes reading their body themselves: along-route (GPX or GeoJSON) and the planner's
    // site suggestion (what-if reads its body the same way).
    for path in ["/v1/outlets/along-route", "/v1/planning/sites"] {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        // A body announced as 1000 bytes, of which 10 ever come.
        conn.write_all(
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {planner}\r\n\
                 Content-Length: 1000\r\n\r\n0123456789"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        let mut got = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(20), conn.read(&mut got))
            .await
            .unwrap_or_else(|_| panic!("no answer to a trickled body on {path}"))
            .unwrap();
        let text = String::from_utf8_lossy(&got[..n]);
        assert!(text.starts_with("HTTP/1.1 408"), "{path}: {text}");
        assert!(text.contains("request_timeout"), "{path}: {text}");
    }
}

#[tokio::test]
async fn metrics_need_an_admin_key() {
    let app = spawn_app().await;
    let planner = app
        .state
        .store
        .create_key(Role::Planner, Scope::Network)
        .await
        .unwrap();
    let (s, v) = app.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("missing_api_key"))
    );
    let (s, v) = app
        .send(Method::GET, "/metrics", Some(&planner), None)
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let r = app
        .client
        .get(format!("{}/metrics", app.base))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("storenet_http_requests_total"));
}

#[tokio::test]
async fn error_bodies_do_not_echo_a_huge_parameter() {
    let app = spawn_app().await;
    let chain = "x".repeat(40_000);
    let r = app
        .client
        .get(format!(
            "{}/v1/outlets/nearest?lat=60&lon=24&chain={chain}",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = r.text().await.unwrap();
    assert!(text.len() < 1_024, "{} bytes: {}", text.len(), &text[..200]);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["field"], "chain", "{v}");
    assert!(v["message"].as_str().unwrap().contains("bytes cut"), "{v}");
}

#[tokio::test]
async fn keyed_answers_are_not_stored_by_caches() {
    let app = spawn_app().await;
    let key = app.admin_key.clone();
    for path in ["/v1/households/1/balance", "/v1/offers", "/metrics"] {
        let r = app
            .client
            .get(format!("{}{path}", app.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert!(!r.status().is_server_error(), "{path}: {}", r.status());
        assert_eq!(
            r.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}"
        );
    }
    // Public answers keep whatever caching they had.
    let r = app
        .client
        .get(format!(
            "{}/v1/outlets/nearest?lat=60.17&lon=24.94",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_ne!(
        r.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
}

#[tokio::test]
async fn an_invalid_key_with_household_is_invalid_not_missing() {
    let app = spawn_app().await;
    let made_up = "sn_0000000000000000000000000000000000000000000000000000000000000000";
    let (s, v) = app
        .send(
            Method::GET,
            "/v1/outlets/1/offers?household=1",
            Some(made_up),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_api_key")),
        "{v}"
    );
    let (s, v) = app
        .send(Method::GET, "/v1/outlets/1/offers?household=1", None, None)
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("missing_api_key")),
        "{v}"
    );
    // Without `household=` the route is public and a bad key does not matter.
    let (s, _) = app
        .send(Method::GET, "/v1/outlets/1/offers", Some(made_up), None)
        .await;
    assert_eq!(s, StatusCode::OK);
}

/// Sends `head` raw on a new connection and reads the whole answer (the server closes).
async fn raw_answer(app: &TestApp, head: &[u8]) -> String {
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(head).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut out))
        .await
        .expect("the server must answer and close")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn an_oversized_uri_or_too_many_headers_get_the_json_error_and_security_headers() {
    let app = spawn_app().await;
    let mut cases = Vec::new();
    for n in [70_000, 140_000] {
        cases.push(format!(
            "GET /v1/outlets/nearest?lat=60&lon=24&chain={} HTTP/1.1\r\nhost: x\r\n\r\n",
            "k".repeat(n)
        ));
    }
    let mut many = String::from("GET /v1/chains HTTP/1.1\r\nhost: x\r\n");
    for i in 0..200 {
        many.push_str(&format!("x-h{i}: v\r\n"));
    }
    many.push_str("\r\n");
    cases.push(many);
    for head in &cases {
        let answer = raw_answer(&app, head.as_bytes()).await;
        let (head_part, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let lower = head_part.to_ascii_lowercase();
        assert!(
            lower.starts_with("http/1.1 431"),
            "{}",
            &answer[..answer.len().min(300)]
        );
        assert!(
            lower.contains("content-type: application/json"),
            "{head_part}"
        );
        assert!(
            lower.contains("x-content-type-options: nosniff"),
            "{head_part}"
        );
        assert!(lower.contains("content-security-policy:"), "{head_part}");
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"], "request_head_too_large", "{v}");
        assert!(body.len() < 1_024);
    }
    let answer = raw_answer(&app, b"GET /v1/chains HTTP/1.1 extra\r\nhost: x\r\n\r\n").await;
    assert!(
        answer.to_ascii_lowercase().starts_with("http/1.1 400"),
        "{answer}"
    );
    assert!(answer.contains("\"malformed_request\""), "{answer}");
    // Ordinary requests, with and without bodies, on a kept-alive connection still work.
    let (s, _) = app.get("/v1/chains").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .send(
            Method::POST,
            "/v1/outlets/along-route",
            None,
            Some(super::ROUTE_GPX.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}
