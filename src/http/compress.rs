//! How answers travel: gzip or brotli by `Accept-Encoding`, entity tags and `304 Not Modified`.
//!
//! [`Compress`] is a middleware that compresses an answer only where it pays: a `200` whose body
//! is known, at least [`MIN_BYTES`] long and of a text type (JSON, GeoJSON, HTML, CSS, JavaScript,
//! XML, GPX, CSV, SVG). A nearest answer of five outlets (about 2.5 kB) stays as it is, so the hot
//! routes pay one header lookup; the outlet list (1.17 MB as JSON) goes out at about a tenth.
//! Brotli is preferred to gzip when the client weighs them equally (browsers send `gzip, deflate,
//! br, zstd`), and answers above [`BLOCKING_BYTES`] are compressed off the worker thread.
//!
//! Fixed content (the page's assets) is compressed once at the highest levels by [`Fixed`] and
//! answered with the encoded bytes; the middleware leaves an answer that already has a
//! `Content-Encoding` alone.
//!
//! Entity tags are weak (`W/"…"`): a compressed and an uncompressed answer are the same content,
//! and `If-None-Match` uses the weak comparison anyway. [`not_modified`] answers `304` when the
//! client already holds the current tag.

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{
    self, AcceptEncoding, Encoding, EntityTag, Header, HeaderMap, HeaderValue, IfNoneMatch,
    Preference, Quality,
};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder};
use sha2::{Digest, Sha256};
use std::future::{ready, Future, Ready};
use std::io::Write;
use std::pin::Pin;
use std::sync::OnceLock;

/// Bodies shorter than this are sent as they are: below a few packets compression saves less
/// time on the wire than it costs, and it would tax the small, hot answers (nearest).
pub const MIN_BYTES: usize = 4096;

/// Bodies longer than this are compressed on a blocking thread, not the worker's.
pub const BLOCKING_BYTES: usize = 64 * 1024;

/// A content coding the service can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `br` (RFC 7932).
    Brotli,
    /// `gzip` (RFC 1952).
    Gzip,
}

/// How hard to compress: once for fixed content, or per answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Per answer: fast settings, since the answer is compressed on every request. Below
    /// [`BLOCKING_BYTES`] (compressed on the worker) brotli quality 1 and gzip level 1; above it
    /// (on a blocking thread) brotli quality 4 and gzip level 5. Measured: quality 5 with a
    /// 4 MiB window cut a k = 100 nearest answer (41.5 kB) from 28,342 to 1,828 requests/s
    /// over HTTP; Google's C brotli (Python binding, this machine) compresses a 40 kB outlet
    /// list at quality 1 in 0.05 ms to 6.0 kB against 0.39 ms and 4.9 kB at quality 5, and the
    /// 1.13 MB list at quality 4 in 5.8 ms to 128 kB against 11.4 ms and 117 kB.
    PerAnswer,
    /// Once, for content that never changes while the binary runs: the highest levels.
    Once,
}

impl Coding {
    /// The `Content-Encoding` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// Which coding to answer a request with `headers` in: the acceptable one of highest quality,
    /// brotli on a tie; `None` when neither is acceptable or the header is absent.
    pub fn choose(req: &impl HttpMessage) -> Option<Coding> {
        if !req.headers().contains_key(header::ACCEPT_ENCODING) {
            return None;
        }
        // A malformed header means identity, never an error: the answer is the same content.
        let accept = AcceptEncoding::parse(req).ok()?;
        let weight = |want: Encoding| {
            let mut any = None;
            for item in &accept.0 {
                match &item.item {
                    Preference::Specific(e) if *e == want => return item.quality,
                    Preference::Any => any = Some(item.quality),
                    Preference::Specific(_) => {}
                }
            }
            any.unwrap_or(Quality::ZERO)
        };
        let (br, gz) = (weight(Encoding::brotli()), weight(Encoding::gzip()));
        if br > Quality::ZERO && br >= gz {
            Some(Coding::Brotli)
        } else if gz > Quality::ZERO {
            Some(Coding::Gzip)
        } else {
            None
        }
    }

    /// `bytes` compressed with this coding.
    pub fn encode(self, bytes: &[u8], effort: Effort) -> std::io::Result<Vec<u8>> {
        match self {
            Coding::Brotli => {
                let quality = match effort {
                    Effort::PerAnswer if bytes.len() < BLOCKING_BYTES => 1,
                    Effort::PerAnswer => 4,
                    Effort::Once => 11,
                };
                // A window no larger than the body (2^16..2^22 bytes): the encoder's tables
                // follow the window, and setting up 4 MiB of them per small answer cost more
                // than the compression itself.
                let window = (usize::BITS - bytes.len().max(1).leading_zeros()).clamp(16, 22);
                let mut out = Vec::with_capacity(bytes.len() / 6 + 64);
                {
                    let mut w = brotli::CompressorWriter::new(&mut out, 32 * 1024, quality, window);
                    w.write_all(bytes)?;
                    w.flush()?;
                }
                Ok(out)
            }
            Coding::Gzip => {
                let level = match effort {
                    Effort::PerAnswer if bytes.len() < BLOCKING_BYTES => {
                        flate2::Compression::fast()
                    }
                    Effort::PerAnswer => flate2::Compression::new(5),
                    Effort::Once => flate2::Compression::best(),
                };
                let mut w =
                    flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 5 + 64), level);
                w.write_all(bytes)?;
                w.finish()
            }
        }
    }
}

/// True for the media types compression shrinks: text, JSON, XML and JavaScript of any kind.
pub fn compressible(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("json")
        || essence.ends_with("xml")
        || essence.ends_with("javascript")
}

/// A weak entity tag over `parts`: the first 16 bytes of their SHA-256, in hex.
pub fn weak_tag<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> EntityTag {
    let mut h = Sha256::new();
    for p in parts {
        // Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    EntityTag::new_weak(hex::encode(&h.finalize()[..16]))
}

/// True if the request's `If-None-Match` holds `tag` (weak comparison) or is `*`.
pub fn not_modified(req: &HttpRequest, tag: &EntityTag) -> bool {
    if !req.headers().contains_key(header::IF_NONE_MATCH) {
        return false;
    }
    match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(tag)),
        // A malformed header is ignored: the client gets the whole answer.
        Err(_) => false,
    }
}

/// `304 Not Modified` with the tag and the caching headers the `200` would have had.
pub fn not_modified_answer(
    tag: &EntityTag,
    cache: header::CacheControl,
    vary: Option<&'static str>,
) -> HttpResponse {
    let mut b = HttpResponse::NotModified();
    b.insert_header(header::ETag(tag.clone()))
        .insert_header(cache);
    if let Some(v) = vary {
        b.insert_header((header::VARY, v));
    }
    b.finish()
}

/// Content fixed while the binary runs (a page asset), with its tag and its encodings, each made
/// at most once, at the highest level.
pub struct Fixed {
    bytes: Bytes,
    content_type: String,
    tag: EntityTag,
    brotli: OnceLock<Option<Bytes>>,
    gzip: OnceLock<Option<Bytes>>,
}

impl Fixed {
    /// `bytes` served as `content_type`; tagged by their hash.
    pub fn new(bytes: impl Into<Bytes>, content_type: impl Into<String>) -> Self {
        let bytes = bytes.into();
        Fixed {
            tag: weak_tag([bytes.as_ref()]),
            bytes,
            content_type: content_type.into(),
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
        }
    }

    /// The entity tag (a hash of the content).
    pub fn tag(&self) -> &EntityTag {
        &self.tag
    }

    /// The content, uncompressed.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    fn worth_compressing(&self) -> bool {
        self.bytes.len() >= MIN_BYTES && compressible(&self.content_type)
    }

    /// The content in `coding`, made on first use; `None` where it is not worth it (short, not
    /// text, or not smaller).
    pub fn encoded(&self, coding: Coding) -> Option<&Bytes> {
        if !self.worth_compressing() {
            return None;
        }
        let slot = match coding {
            Coding::Brotli => &self.brotli,
            Coding::Gzip => &self.gzip,
        };
        slot.get_or_init(|| {
            coding
                .encode(&self.bytes, Effort::Once)
                .ok()
                .filter(|e| e.len() < self.bytes.len())
                .map(Bytes::from)
        })
        .as_ref()
    }

    /// Makes both encodings now, so that no request waits for them.
    pub fn warm(&self) {
        self.encoded(Coding::Brotli);
        self.encoded(Coding::Gzip);
    }

    /// The answer to `req`: `304` if it holds the tag, else the content in the best coding it
    /// accepts, with the tag and `cache`.
    pub fn answer(&self, req: &HttpRequest, cache: header::CacheControl) -> HttpResponse {
        let vary = self.worth_compressing().then_some("Accept-Encoding");
        if not_modified(req, &self.tag) {
            return not_modified_answer(&self.tag, cache, vary);
        }
        let mut b = HttpResponseBuilder::new(StatusCode::OK);
        b.content_type(self.content_type.as_str())
            .insert_header(header::ETag(self.tag.clone()))
            .insert_header(cache);
        if let Some(v) = vary {
            b.insert_header((header::VARY, v));
        }
        let coded = Coding::choose(req).and_then(|c| self.encoded(c).map(|e| (c, e)));
        match coded {
            Some((c, e)) => b
                .insert_header((header::CONTENT_ENCODING, c.as_str()))
                .body(e.clone()),
            None => b.body(self.bytes.clone()),
        }
    }
}

/// The middleware factory: `App::wrap(Compress)`. See the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Compress;

impl<S, B> Transform<S, ServiceRequest> for Compress
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = CompressService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CompressService { service }))
    }
}

/// The middleware of one worker.
pub struct CompressService<S> {
    service: S,
}

type Answer<B> = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;

/// True for an answer worth compressing: a `200` of a known length of at least [`MIN_BYTES`], of
/// a text type, not yet encoded.
fn worth_compressing<B: MessageBody>(res: &ServiceResponse<B>) -> bool {
    if res.status() != StatusCode::OK || res.headers().contains_key(header::CONTENT_ENCODING) {
        return false;
    }
    let long = matches!(res.response().body().size(), BodySize::Sized(n) if n >= MIN_BYTES as u64);
    long && res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(compressible)
}

impl<S, B> Service<ServiceRequest> for CompressService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Answer<B>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let coding = Coding::choose(&req);
        let answer = self.service.call(req);
        Box::pin(async move {
            let mut res = answer.await?;
            if !worth_compressing(&res) {
                return Ok(res.map_into_left_body());
            }
            vary_on_encoding(res.headers_mut());
            let Some(coding) = coding else {
                return Ok(res.map_into_left_body());
            };
            let (req, res) = res.into_parts();
            let (mut head, body) = res.into_parts();
            let bytes = match body.try_into_bytes() {
                Ok(b) => b,
                // A streamed body stays as it is.
                Err(body) => {
                    return Ok(ServiceResponse::new(req, head.set_body(body)).map_into_left_body())
                }
            };
            let encoded = if bytes.len() > BLOCKING_BYTES {
                let b = bytes.clone();
                actix_web::rt::task::spawn_blocking(move || coding.encode(&b, Effort::PerAnswer))
                    .await
                    .map_err(std::io::Error::other)
                    .and_then(|r| r)
            } else {
                coding.encode(&bytes, Effort::PerAnswer)
            };
            let body = match encoded {
                Ok(e) => {
                    let headers = head.headers_mut();
                    headers.insert(
                        header::CONTENT_ENCODING,
                        HeaderValue::from_static(coding.as_str()),
                    );
                    weaken_tag(headers);
                    BoxBody::new(e)
                }
                Err(e) => {
                    // Sending the content unencoded is always correct.
                    tracing::warn!(error = %e, "compressing an answer failed; sent as it is");
                    BoxBody::new(bytes)
                }
            };
            Ok(ServiceResponse::new(req, head.set_body(body)).map_into_right_body())
        })
    }
}

/// Adds `Accept-Encoding` to the answer's `Vary`, in one header with what it already names.
fn vary_on_encoding(headers: &mut HeaderMap) {
    let value = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
        Some(v) if v.to_ascii_lowercase().contains("accept-encoding") => return,
        Some(v) if !v.trim().is_empty() => format!("{v}, Accept-Encoding"),
        _ => "Accept-Encoding".to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(header::VARY, v);
    }
}

/// A strong tag names these exact bytes; once encoded they differ, so it becomes weak.
fn weaken_tag(headers: &mut HeaderMap) {
    let Some(v) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()) else {
        return;
    };
    if v.starts_with("W/") {
        return;
    }
    if let Ok(weak) = HeaderValue::from_str(&format!("W/{v}")) {
        headers.insert(header::ETAG, weak);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use std::io::Read;

    fn with_accept(v: &str) -> HttpRequest {
        TestRequest::default()
            .insert_header((header::ACCEPT_ENCODING, v))
            .to_http_request()
    }

    #[test]
    fn brotli_wins_a_tie_and_quality_decides_otherwise() {
        let choose = |v: &str| Coding::choose(&with_accept(v));
        assert_eq!(choose("gzip, deflate, br, zstd"), Some(Coding::Brotli));
        assert_eq!(choose("gzip"), Some(Coding::Gzip));
        assert_eq!(choose("br;q=0.5, gzip"), Some(Coding::Gzip));
        assert_eq!(choose("br;q=0, *"), Some(Coding::Gzip));
        assert_eq!(choose("*"), Some(Coding::Brotli));
        assert_eq!(choose("identity"), None);
        assert_eq!(choose("gzip;q=0, br;q=0"), None);
        assert_eq!(choose("deflate, zstd"), None);
        assert_eq!(
            Coding::choose(&TestRequest::default().to_http_request()),
            None
        );
    }

    #[test]
    fn both_codings_round_trip() {
        let text = "Kauppa ÄÖÅ, ".repeat(2000);
        for effort in [Effort::PerAnswer, Effort::Once] {
            let br = Coding::Brotli.encode(text.as_bytes(), effort).unwrap();
            let mut back = String::new();
            brotli::Decompressor::new(&br[..], 4096)
                .read_to_string(&mut back)
                .unwrap();
            assert_eq!(back, text);
            assert!(br.len() < text.len() / 10);
            let gz = Coding::Gzip.encode(text.as_bytes(), effort).unwrap();
            let mut back = String::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_string(&mut back)
                .unwrap();
            assert_eq!(back, text);
        }
    }

    #[test]
    fn only_text_types_are_compressible() {
        for t in [
            "application/json",
            "application/geo+json",
            "text/html; charset=utf-8",
            "application/javascript; charset=utf-8",
            "application/gpx+xml",
            "image/svg+xml",
        ] {
            assert!(compressible(t), "{t}");
        }
        for t in ["image/png", "application/zip", "application/octet-stream"] {
            assert!(!compressible(t), "{t}");
        }
    }

    #[test]
    fn tags_differ_with_their_parts_and_match_weakly() {
        let a = weak_tag([&b"ab"[..], b"c"]);
        let b = weak_tag([&b"a"[..], b"bc"]);
        assert_ne!(a, b);
        assert!(a.weak);
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, format!("\"x\", {a}")))
            .to_http_request();
        assert!(not_modified(&req, &a));
        assert!(!not_modified(&req, &b));
        let any = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "*"))
            .to_http_request();
        assert!(not_modified(&any, &b));
        assert!(!not_modified(&TestRequest::default().to_http_request(), &a));
    }
}
