//! The request-head guard: a wrapper around each connection's socket that reads every request
//! head before actix does, so that a head actix would refuse with a bare, bodiless 400 or 431
//! (a URI over 64 KB, more than 96 headers, a head over 128 KB, a malformed request line) gets
//! our JSON error body and security headers instead.
//!
//! actix-http answers those itself, inside its connection dispatcher, before any middleware or
//! route runs, and has no hook to change the answer. So the guard frames the byte stream
//! (heads, then `Content-Length` bodies) and, for a head over [`MAX_HEAD_BYTES`] or
//! [`MAX_HEADERS`] or one that does not parse, hands actix in its place a small request for
//! [`REFUSED_PATH`] with `Connection: close`; that route answers the JSON error through the
//! normal middleware, and the rest of the connection's input is read and dropped. A body that is
//! not framed by `Content-Length` (chunked, an upgrade) turns the guard off for the rest of the
//! connection: it then passes bytes through untouched, as before.

use actix_web::http::StatusCode;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Largest request head (request line and headers) the service reads, bytes.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most headers one request may carry (actix-http's own limit; more would be its bare 400).
pub const MAX_HEADERS: usize = 96;
/// The route that answers a refused head; `{status}` is 400 or 431.
pub const REFUSED_PATH: &str = "/.well-known/storenet/refused";

/// Bytes read from the socket at a time.
const CHUNK: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a request head.
    Head,
    /// Passing on this many more body bytes.
    Body(u64),
    /// Not framing any more: every byte passes.
    Through,
    /// A head was refused: what follows is read and dropped.
    Refused,
}

/// A socket whose request heads are checked before actix reads them.
pub struct Guarded<S> {
    inner: S,
    state: State,
    head: Vec<u8>,
    out: Vec<u8>,
    out_at: usize,
    scratch: Box<[u8]>,
}

impl<S> Guarded<S> {
    /// Wraps a freshly accepted connection.
    pub fn new(inner: S) -> Self {
        Guarded {
            inner,
            state: State::Head,
            head: Vec::new(),
            out: Vec::new(),
            out_at: 0,
            scratch: vec![0; CHUNK].into_boxed_slice(),
        }
    }

    /// The wrapped socket.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Runs `data` from the socket through the framing; what actix may read goes to `out`.
    fn feed(&mut self, mut data: Vec<u8>) {
        let mut at = 0;
        while at < data.len() {
            match self.state {
                State::Through => {
                    self.out.extend_from_slice(&data[at..]);
                    return;
                }
                State::Refused => return,
                State::Body(left) => {
                    let n = (data.len() - at).min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.out.extend_from_slice(&data[at..at + n]);
                    at += n;
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::Head
                    } else {
                        State::Body(left)
                    };
                }
                State::Head => {
                    let before = self.head.len();
                    self.head.extend_from_slice(&data[at..]);
                    at = data.len();
                    if let Some(end) = self.examine_head(before) {
                        // The bytes after a complete head: its body, or the next request.
                        data = std::mem::take(&mut self.head).split_off(end);
                        at = 0;
                    }
                }
            }
        }
    }

    /// Looks at the buffered head. When it is complete and acceptable, passes it on, sets the
    /// body framing and returns where the bytes after it start (the buffer keeps them); when it
    /// is refused, passes on the stand-in request instead.
    ///
    /// It is parsed only once a line end that may close it has arrived (searched in the new
    /// bytes only), so a head trickled in byte by byte costs linear time, not quadratic.
    fn examine_head(&mut self, before: usize) -> Option<usize> {
        let fresh = &self.head[before.saturating_sub(3)..];
        let may_end =
            fresh.windows(2).any(|w| w == b"\n\n") || fresh.windows(3).any(|w| w == b"\n\r\n");
        if !may_end {
            if self.head.len() > MAX_HEAD_BYTES {
                self.refuse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
            }
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let parsed = req.parse(&self.head);
        match parsed {
            Ok(httparse::Status::Partial) => {
                if self.head.len() > MAX_HEAD_BYTES {
                    self.refuse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
                }
                None
            }
            Ok(httparse::Status::Complete(len)) => {
                if len > MAX_HEAD_BYTES {
                    self.refuse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
                    return None;
                }
                let next = framing(&req);
                self.out.extend_from_slice(&self.head[..len]);
                self.state = next;
                Some(len)
            }
            Err(httparse::Error::TooManyHeaders) => {
                self.refuse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
                None
            }
            Err(_) => {
                self.refuse(StatusCode::BAD_REQUEST);
                None
            }
        }
    }

    fn refuse(&mut self, status: StatusCode) {
        let stand_in = format!(
            "GET {REFUSED_PATH}/{} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
            status.as_u16()
        );
        self.out.extend_from_slice(stand_in.as_bytes());
        self.head = Vec::new();
        self.state = State::Refused;
    }
}

/// What follows a complete, accepted head: a `Content-Length` body, none, or (chunked, an
/// upgrade, a length that does not parse) bytes the guard no longer frames; actix judges those.
fn framing(req: &httparse::Request<'_, '_>) -> State {
    if req.method == Some("CONNECT") {
        return State::Through;
    }
    let mut length: Option<u64> = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("transfer-encoding")
            || h.name.eq_ignore_ascii_case("upgrade")
        {
            return State::Through;
        }
        if h.name.eq_ignore_ascii_case("content-length") {
            let Some(n) = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
            else {
                return State::Through;
            };
            if length.is_some_and(|l| l != n) {
                return State::Through;
            }
            length = Some(n);
        }
    }
    match length {
        None | Some(0) => State::Head,
        Some(n) => State::Body(n),
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.out_at < this.out.len() {
                let n = buf.remaining().min(this.out.len() - this.out_at);
                buf.put_slice(&this.out[this.out_at..this.out_at + n]);
                this.out_at += n;
                if this.out_at == this.out.len() {
                    this.out.clear();
                    this.out_at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            let mut rb = ReadBuf::new(&mut this.scratch);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
            let n = rb.filled().len();
            if n == 0 {
                if this.state == State::Head && !this.head.is_empty() {
                    // A head cut short: actix sees it as it is and judges it.
                    let partial = std::mem::take(&mut this.head);
                    this.out.extend_from_slice(&partial);
                    this.state = State::Through;
                    continue;
                }
                return Poll::Ready(Ok(()));
            }
            let data = this.scratch[..n].to_vec();
            this.feed(data);
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn through(input: &[u8]) -> Vec<u8> {
        let mut g = Guarded::new(input);
        let mut out = Vec::new();
        g.read_to_end(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn acceptable_requests_and_their_bodies_pass_unchanged() {
        let body = "x".repeat(100_000);
        let two = format!(
            "POST /a HTTP/1.1\r\nhost: h\r\ncontent-length: {}\r\n\r\n{body}GET /b HTTP/1.1\r\nhost: h\r\n\r\n",
            body.len()
        );
        assert_eq!(through(two.as_bytes()).await, two.as_bytes());
        let chunked =
            "POST /a HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        assert_eq!(through(chunked.as_bytes()).await, chunked.as_bytes());
        // A body that looks like a head is a body.
        let tricky = "POST /a HTTP/1.1\r\ncontent-length: 20\r\n\r\nGET /x HTTP/1.1\r\n\r\n\r\n";
        assert_eq!(through(tricky.as_bytes()).await, tricky.as_bytes());
    }

    #[tokio::test]
    async fn an_oversized_or_malformed_head_becomes_the_stand_in_request() {
        let long = format!(
            "GET /v1/chains?q={} HTTP/1.1\r\nhost: h\r\n\r\n",
            "a".repeat(70_000)
        );
        let out = String::from_utf8(through(long.as_bytes()).await).unwrap();
        assert!(
            out.starts_with(&format!("GET {REFUSED_PATH}/431 HTTP/1.1\r\n")),
            "{out}"
        );
        assert!(out.ends_with("connection: close\r\n\r\n"), "{out}");
        let mut many = String::from("GET / HTTP/1.1\r\n");
        for i in 0..200 {
            many.push_str(&format!("x-h{i}: v\r\n"));
        }
        many.push_str("\r\n");
        let out = String::from_utf8(through(many.as_bytes()).await).unwrap();
        assert!(
            out.starts_with(&format!("GET {REFUSED_PATH}/431 ")),
            "{out}"
        );
        let bad = "GET /a b c\r\n\r\n";
        let out = String::from_utf8(through(bad.as_bytes()).await).unwrap();
        assert!(
            out.starts_with(&format!("GET {REFUSED_PATH}/400 ")),
            "{out}"
        );
        // A good request before a refused one on the same connection passes first.
        let both = format!("GET /ok HTTP/1.1\r\n\r\n{long}");
        let out = String::from_utf8(through(both.as_bytes()).await).unwrap();
        assert!(
            out.starts_with("GET /ok HTTP/1.1\r\n\r\nGET /.well-known/"),
            "{out}"
        );
    }
}
