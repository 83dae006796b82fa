//! Bodies on their way through the proxy: streamed frame by frame and counted, never buffered
//! whole (a 申請ZIP can be large).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;

use super::describe;
use super::event::{ENDED_DURING_BODY, Recorder};
use super::upstream::HopStream;

/// The client connection to the target, driven by whoever needs its bytes: first the forwarding
/// request, then the response body. No task of its own, so nothing outlives the exchange.
pub(crate) type UpstreamConn =
    hyper::client::conn::http1::Connection<TokioIo<HopStream>, RequestBody>;

/// Every response body the proxy sends: its own (errors, the 200 to a CONNECT) or a target's.
pub(crate) enum ProxyBody {
    /// A body the proxy made; `None` once sent.
    Fixed(Option<Bytes>),
    /// A target's body, relayed as it arrives.
    Forward(Box<ForwardBody>),
}

impl ProxyBody {
    pub(crate) fn fixed(bytes: Bytes) -> Self {
        ProxyBody::Fixed(Some(bytes))
    }

    pub(crate) fn empty() -> Self {
        ProxyBody::Fixed(None)
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            ProxyBody::Fixed(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ProxyBody::Forward(forward) => Pin::new(forward.as_mut()).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ProxyBody::Fixed(bytes) => bytes.is_none(),
            ProxyBody::Forward(forward) => forward.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ProxyBody::Fixed(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            ProxyBody::Forward(forward) => forward.size_hint(),
        }
    }
}

/// What became of a client's request body on its way to the target.
#[derive(Debug, Default)]
pub(crate) struct RequestStats {
    /// Body bytes handed to the target connection.
    bytes: AtomicU64,
    /// The client's body ended in an error (the client left mid-body): a failed forward is then
    /// the client's doing, not the target's.
    broken: AtomicBool,
}

impl RequestStats {
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub(crate) fn broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }
}

/// A client's request body, relayed to the target as it arrives.
pub(crate) struct RequestBody {
    inner: Incoming,
    stats: Arc<RequestStats>,
}

impl RequestBody {
    pub(crate) fn new(inner: Incoming, stats: Arc<RequestStats>) -> Self {
        Self { inner, stats }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.stats
                        .bytes
                        .fetch_add(data.len() as u64, Ordering::Relaxed);
                }
            }
            Poll::Ready(Some(Err(e))) => {
                tracing::debug!(error = %describe(e), "連携サーバ: クライアントの要求本文が途中で終わりました");
                this.stats.broken.store(true, Ordering::Relaxed);
            }
            Poll::Ready(None) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A target's response body on its way to the client. It drives the target connection as it is
/// read (so the proxy reads from the target only as fast as the client takes), and records the
/// exchange when the body ends, fails, or is dropped.
pub(crate) struct ForwardBody {
    inner: Incoming,
    /// `None` once the connection has finished or been closed.
    conn: Option<Pin<Box<UpstreamConn>>>,
    /// `None` once the exchange is recorded.
    recorder: Option<Recorder>,
    /// Body bytes handed to the client connection.
    delivered: u64,
    request: Arc<RequestStats>,
}

impl ForwardBody {
    pub(crate) fn new(
        inner: Incoming,
        conn: Option<Pin<Box<UpstreamConn>>>,
        recorder: Recorder,
        request: Arc<RequestStats>,
    ) -> Self {
        Self {
            inner,
            conn,
            recorder: Some(recorder),
            delivered: 0,
            request,
        }
    }

    /// Closes the target connection (so its hop is gone), then records the exchange.
    fn finish(&mut self, detail: Option<String>) {
        self.conn = None;
        if let Some(mut recorder) = self.recorder.take() {
            let event = recorder.event();
            event.bytes_up = Some(self.request.bytes());
            event.bytes_down = Some(self.delivered);
            if detail.is_some() {
                event.detail = detail;
            }
            recorder.finish();
        }
    }
}

impl Body for ForwardBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        if let Some(conn) = this.conn.as_mut()
            && let Poll::Ready(result) = conn.as_mut().poll(cx)
        {
            if let Err(e) = result {
                tracing::debug!(error = %describe(&e), "連携サーバ: 接続先との接続が異常終了しました");
            }
            this.conn = None;
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.delivered += data.len() as u64;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                let detail = format!("接続先が応答本文の途中で接続を切りました: {}", describe(&e));
                tracing::warn!(%detail, "連携サーバ: 応答本文を中継できませんでした");
                this.finish(Some(detail));
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.finish(None);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for ForwardBody {
    fn drop(&mut self) {
        if self.recorder.is_some() {
            // hyper stops polling a body that says it has ended; that is a complete relay.
            let detail = (!self.inner.is_end_stream()).then(|| ENDED_DURING_BODY.to_owned());
            self.finish(detail);
        }
    }
}
