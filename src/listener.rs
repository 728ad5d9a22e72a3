//! The accept loop in front of the server: a bounded number of connections,
//! a deadline for clients that send nothing, an idle deadline for
//! connections where nothing moves, and accept errors logged (with a pause,
//! so that running out of file descriptors is reported, not spun on).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// How many clients, and how long silence is tolerated.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; more are closed as they arrive.
    pub max_connections: usize,
    /// Time a new connection has to send its first byte.
    pub first_byte: Duration,
    /// Time a connection may pass with no byte read or written. Event
    /// streams carry heartbeats, so it must be longer than their interval.
    /// HTTP/2 connections ping (keepalive), so for them this never fires:
    /// an HTTP/2 peer that stops answering is closed by the keepalive.
    pub idle: Duration,
    /// How often HTTP/2 connections are pinged; one that does not answer
    /// within this (at most 10 s) is closed.
    pub keepalive: Duration,
}

impl Limits {
    /// The defaults, with `idle` long enough for heartbeats every `heartbeat`.
    pub fn for_heartbeat(heartbeat: Duration) -> Self {
        Self {
            max_connections: 1024,
            first_byte: Duration::from_secs(10),
            idle: (heartbeat * 4).max(Duration::from_secs(300)),
            keepalive: Duration::from_secs(30),
        }
    }

    /// How long a ping may go unanswered.
    pub fn keepalive_timeout(&self) -> Duration {
        self.keepalive.min(Duration::from_secs(10))
    }
}

/// Accepts on `listener` until `stop`, yielding connections under `limits`.
pub fn incoming(
    listener: TcpListener,
    limits: Limits,
    stop: CancellationToken,
) -> ReceiverStream<io::Result<Connection>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(accept_loop(listener, limits, stop, tx));
    ReceiverStream::new(rx)
}

async fn accept_loop(
    listener: TcpListener,
    limits: Limits,
    stop: CancellationToken,
    tx: mpsc::Sender<io::Result<Connection>>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut refused_since_full = 0u64;
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            () = tx.closed() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                // EMFILE, ENFILE, ENOBUFS...: the listener itself is fine.
                tracing::error!(error = %e, "cannot accept connections; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            if refused_since_full == 0 {
                tracing::warn!(
                    %peer,
                    max_connections = limits.max_connections,
                    "connection limit reached; closing new connections until some end"
                );
            }
            refused_since_full += 1;
            drop(stream);
            continue;
        };
        if refused_since_full > 0 {
            tracing::info!(
                refused = refused_since_full,
                "below the connection limit again"
            );
            refused_since_full = 0;
        }
        let _ = stream.set_nodelay(true);
        if tx
            .send(Ok(Connection::new(stream, limits, permit)))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Errors of one connection that went away during accept, not of the listener.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// One client's connection, closed with `TimedOut` when its deadline passes.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    deadline: Pin<Box<Sleep>>,
    idle: Duration,
    heard_from: bool,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    fn new(stream: TcpStream, limits: Limits, permit: OwnedSemaphorePermit) -> Self {
        Self {
            stream,
            deadline: Box::pin(tokio::time::sleep(limits.first_byte)),
            idle: limits.idle,
            heard_from: false,
            _permit: permit,
        }
    }

    /// Something moved: the idle deadline starts again.
    fn moved(&mut self) {
        let next = Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_owned())
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.heard_from = true;
                    self.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out(if self.heard_from {
                "connection idle too long"
            } else {
                "client sent nothing"
            }))),
            other => other,
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, data);
        // Until the client has said something, our writes do not keep it open.
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) && self.heard_from {
            self.moved();
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Connected for Connection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}
