//! Rate limits per client address and per API key: 429 with `Retry-After` and our JSON body.
//!
//! Each limit is a GCRA token bucket (the algorithm of the `governor` crate, in a few lines): a
//! client may send `burst` requests at once and then one every `1/per_second`. The buckets live in
//! one map per limit, shared by every worker; a key's bucket is found by the SHA-256 of its
//! `Authorization` header, so the map never holds a key. Counting happens before the key is
//! verified: made-up keys get buckets too, but every request also counts against its address.
//!
//! The client address is the TCP peer, or, when the peer is one of
//! [`RateLimit::trusted_proxies`], the last address in `X-Forwarded-For` that is not a trusted
//! proxy.

use super::error::{ApiError, Kind};
use crate::config::RateLimit;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before idle ones are dropped; past twice this the map is cleared (fails open
/// rather than growing without bound under a flood of addresses or made-up keys).
const MAX_BUCKETS: usize = 100_000;

/// One limit: a bucket per client, each holding its "theoretical arrival time".
struct Buckets<K> {
    /// Time one request uses up: 1 / rate.
    interval: Duration,
    /// How far ahead of now a bucket may run: interval × burst.
    tolerance: Duration,
    tat: Mutex<HashMap<K, Instant>>,
}

impl<K: Eq + Hash> Buckets<K> {
    fn new(per_second: u32, burst: u32) -> Option<Self> {
        (per_second > 0).then(|| {
            let interval = Duration::from_secs(1) / per_second;
            Buckets {
                interval,
                tolerance: interval * burst.max(1),
                tat: Mutex::new(HashMap::new()),
            }
        })
    }

    /// Takes one request from `key`'s bucket at `now`, or says how long until one is free.
    fn take(&self, key: K, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means another request panicked mid-update of an Instant; the map
        // is still usable.
        let mut map = self.tat.lock().unwrap_or_else(|e| e.into_inner());
        let tat = map.get(&key).copied().map_or(now, |t| t.max(now));
        let next = tat + self.interval;
        let ahead = next - now;
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        map.insert(key, next);
        if map.len() > MAX_BUCKETS {
            // A bucket whose time has passed is as good as a new one.
            map.retain(|_, t| *t > now);
            if map.len() > MAX_BUCKETS / 2 {
                map.clear();
            }
        }
        Ok(())
    }
}

/// The service's rate limits, shared by every worker.
pub struct RateLimiter {
    per_address: Option<Buckets<IpAddr>>,
    per_key: Option<Buckets<[u8; 32]>>,
    trusted_proxies: Vec<IpAddr>,
}

impl RateLimiter {
    /// The limits of `settings` (either may be off).
    pub fn new(settings: &RateLimit) -> Self {
        RateLimiter {
            per_address: Buckets::new(settings.per_address_per_s, settings.per_address_burst),
            per_key: Buckets::new(settings.per_key_per_s, settings.per_key_burst),
            trusted_proxies: settings.trusted_proxies.clone(),
        }
    }

    /// The client's address: the peer, or what a trusted proxy says in `X-Forwarded-For`.
    pub fn client_address(
        &self,
        peer: Option<IpAddr>,
        forwarded_for: Option<&str>,
    ) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let Some(list) = forwarded_for else {
            return Some(peer);
        };
        let mut last = peer;
        for hop in list.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) if self.trusted_proxies.contains(&ip) => last = ip,
                Ok(ip) => return Some(ip),
                // Garbage in the header: stop at the last address we could trust.
                Err(_) => return Some(last),
            }
        }
        Some(last)
    }

    /// Counts `req` against its address's and its key's buckets, at `now`.
    pub fn check_request(&self, req: &ServiceRequest, now: Instant) -> Result<(), Duration> {
        if self.per_address.is_none() && self.per_key.is_none() {
            return Ok(());
        }
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let addr = self.client_address(req.peer_addr().map(|a| a.ip()), forwarded);
        let auth = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        self.check(addr, auth, now)
    }

    /// Counts one request from `addr` with `authorization` (the raw header), at `now`.
    pub fn check(
        &self,
        addr: Option<IpAddr>,
        authorization: Option<&[u8]>,
        now: Instant,
    ) -> Result<(), Duration> {
        if let (Some(b), Some(ip)) = (&self.per_address, addr) {
            b.take(ip, now)?;
        }
        if let (Some(b), Some(auth)) = (&self.per_key, authorization) {
            b.take(Sha256::digest(auth).into(), now)?;
        }
        Ok(())
    }
}

/// Adds the 429 every operation may answer to the OpenAPI document, so clients (and
/// Schemathesis) find it described.
pub struct RateLimitDoc;

impl utoipa::Modify for RateLimitDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        super::error::document_retry_after_on_every_operation(
            openapi,
            "429",
            "Over the rate limit of the client address or the API key",
        );
    }
}

/// The 429 for a client that must wait `wait`: our JSON body and `Retry-After` in whole seconds.
pub fn too_many_requests(wait: Duration) -> HttpResponse {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let mut resp = ApiError::new(
        Kind::TooManyRequests,
        "rate_limited",
        format!("too many requests; retry in {secs} s"),
    )
    .error_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_s: u32, burst: u32) -> RateLimit {
        RateLimit {
            per_address_per_s: per_s,
            per_address_burst: burst,
            per_key_per_s: per_s,
            per_key_burst: burst,
            trusted_proxies: vec!["10.0.0.1".parse().unwrap()],
        }
    }

    #[test]
    fn a_burst_passes_then_one_request_per_interval() {
        let l = RateLimiter::new(&limits(10, 3));
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            l.check(Some(ip), None, t0).unwrap();
        }
        let wait = l.check(Some(ip), None, t0).unwrap_err();
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        // Another address has its own bucket.
        l.check(Some("192.0.2.8".parse().unwrap()), None, t0)
            .unwrap();
        // After one interval, one more request.
        let t1 = t0 + Duration::from_millis(100);
        l.check(Some(ip), None, t1).unwrap();
        assert!(l.check(Some(ip), None, t1).is_err());
        // After a long pause, a full burst again.
        let t2 = t1 + Duration::from_secs(5);
        for _ in 0..3 {
            l.check(Some(ip), None, t2).unwrap();
        }
    }

    #[test]
    fn keys_have_their_own_buckets_and_zero_turns_a_limit_off() {
        let l = RateLimiter::new(&RateLimit {
            per_address_per_s: 0,
            ..limits(1, 2)
        });
        let t = Instant::now();
        let (a, b) = (&b"Bearer sn_a"[..], &b"Bearer sn_b"[..]);
        l.check(None, Some(a), t).unwrap();
        l.check(None, Some(a), t).unwrap();
        assert!(l.check(None, Some(a), t).is_err());
        l.check(None, Some(b), t).unwrap();
        let ip = Some("192.0.2.1".parse().unwrap());
        for _ in 0..1000 {
            l.check(ip, None, t).unwrap();
        }
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let l = RateLimiter::new(&limits(1, 1));
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "198.51.100.9".parse().unwrap();
        let client: IpAddr = "203.0.113.5".parse().unwrap();
        assert_eq!(
            l.client_address(Some(other), Some("203.0.113.5")),
            Some(other),
            "an untrusted peer cannot choose its address"
        );
        assert_eq!(
            l.client_address(Some(proxy), Some("1.2.3.4, 203.0.113.5, 10.0.0.1")),
            Some(client),
            "the last untrusted hop, not the spoofable first one"
        );
        assert_eq!(l.client_address(Some(proxy), None), Some(proxy));
        assert_eq!(l.client_address(Some(proxy), Some("junk")), Some(proxy));
    }
}
