//! A hidden Erlang node of our own, on tokio: EPMD lookup, the distribution
//! handshake, RPC through the node's `rex` server, ticks, timeouts, and
//! reconnection with backoff. Used to `dets:sync/1` a table just before it is
//! copied, so that the copy is a closed, complete file.
//!
//! One task owns the connection; [`NodeClient`] handles send it calls. Every
//! connect and every call has a timeout (a frozen node must not hang a run),
//! and any unexpected message is ignored rather than ending the connection.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use eetf::{Atom, FixInteger, Pid, Reference, Term, Tuple};
use erl_dist::message::Message;
use erl_dist::node::{Creation, LocalNode, NodeName};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::compat::TokioAsyncReadCompatExt;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::catalog::{OpenFiles, TableEntry};
use crate::pipeline::{Quiesce, QuiesceError};

/// How to reach the application's node.
#[derive(Clone)]
pub struct NodeConfig {
    /// `name@host` of the node that holds the tables open.
    pub node: String,
    /// The node's cookie (a secret: it allows running any code there).
    pub cookie: String,
    /// Longest wait for a connection or a call.
    pub timeout: Duration,
}

impl std::fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeConfig")
            .field("node", &self.node)
            .field("cookie", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Whether the node can be used now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeStatus {
    /// Not tried yet.
    Connecting,
    /// Connected to the node.
    Connected,
    /// The last attempt failed, and why.
    Unreachable(String),
}

/// Why a call to the node failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// No connection: EPMD, TCP, handshake (a wrong cookie shows here) or a drop.
    #[error("node unreachable: {0}")]
    Unreachable(String),
    /// No answer in time.
    #[error("no answer from the node within {0:?}")]
    Timeout(Duration),
    /// The call ran and failed on the node (`{badrpc, R}` or `{error, R}`).
    #[error("the node answered with an error: {0}")]
    Failed(String),
    /// An answer of an unexpected shape.
    #[error("unexpected answer from the node: {0}")]
    Unexpected(String),
}

type Reply = oneshot::Sender<Result<Term, NodeError>>;

struct Call {
    module: &'static str,
    function: &'static str,
    args: Vec<Term>,
    reply: Reply,
}

/// A cheap handle to the node connection.
#[derive(Clone)]
pub struct NodeClient {
    name: Arc<str>,
    calls: mpsc::Sender<Call>,
    status: watch::Receiver<NodeStatus>,
    timeout: Duration,
}

/// Ticks keep an idle connection alive (the node's net_ticktime is 60 s).
const TICK: Duration = Duration::from_secs(15);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Longest wait for the node to open and fold a drill's restored copy.
const FOLD_TIMEOUT: Duration = Duration::from_secs(600);

impl NodeClient {
    /// Starts the connection task on `tasks`; it connects at once and
    /// reconnects by itself until `shutdown`.
    pub fn start(
        config: NodeConfig,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
    ) -> Result<Self, NodeError> {
        let peer: NodeName = config.node.parse().map_err(|e| {
            NodeError::Unreachable(format!("invalid node name {:?}: {e}", config.node))
        })?;
        let (calls, call_rx) = mpsc::channel(64);
        let (status_tx, status) = watch::channel(NodeStatus::Connecting);
        let client = Self {
            name: config.node.clone().into(),
            calls,
            status,
            timeout: config.timeout,
        };
        tasks.spawn(async move {
            let span = tracing::info_span!("erlang", node = %config.node);
            let _ = tracing::Instrument::instrument(
                connection_loop(config, peer, call_rx, status_tx, shutdown),
                span,
            )
            .await;
        });
        Ok(client)
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The connection's state now.
    pub fn status(&self) -> NodeStatus {
        self.status.borrow().clone()
    }

    /// `rpc:call(Node, Module, Function, Args)` with the configured timeout.
    pub async fn call(
        &self,
        module: &'static str,
        function: &'static str,
        args: Vec<Term>,
    ) -> Result<Term, NodeError> {
        self.call_within(module, function, args, self.timeout).await
    }

    /// [`NodeClient::call`] with its own timeout (for work that takes long,
    /// like folding a large table).
    async fn call_within(
        &self,
        module: &'static str,
        function: &'static str,
        args: Vec<Term>,
        timeout: Duration,
    ) -> Result<Term, NodeError> {
        let (reply, answer) = oneshot::channel();
        let call = Call {
            module,
            function,
            args,
            reply,
        };
        let sent = async {
            self.calls
                .send(call)
                .await
                .map_err(|_| NodeError::Unreachable("the client stopped".into()))?;
            answer.await.map_err(|_| {
                NodeError::Unreachable("the connection closed during the call".into())
            })?
        };
        let result = tokio::time::timeout(timeout, sent)
            .await
            .map_err(|_| NodeError::Timeout(timeout))??;
        match &result {
            Term::Tuple(t) if t.elements.len() == 2 && is_atom(&t.elements[0], "badrpc") => {
                Err(NodeError::Failed(t.elements[1].to_string()))
            }
            _ => Ok(result),
        }
    }

    /// The DETS tables the node has open, with their files.
    pub async fn open_tables(&self) -> Result<Vec<(Term, PathBuf)>, NodeError> {
        let all = self.call("dets", "all", Vec::new()).await?;
        let names = list_elements(&all)
            .ok_or_else(|| NodeError::Unexpected(format!("dets:all() = {all}")))?;
        let mut tables = Vec::with_capacity(names.len());
        for name in names {
            let file = self
                .call(
                    "dets",
                    "info",
                    vec![name.clone(), Atom::from("filename").into()],
                )
                .await?;
            // A table closed between the two calls answers `undefined`.
            if let Some(path) = charlist(&file) {
                tables.push((name, PathBuf::from(path)));
            }
        }
        Ok(tables)
    }

    /// Opens the DETS file at `path` on the node with `{access, read}` and
    /// `{repair, false}` under a fresh table name, folds every object, closes
    /// it, and returns the object count and the sum mod 2^64 of
    /// `erlang:phash2(Object, 4294967296)`: what real Erlang reads in the
    /// file, to compare with the reader's digest. The node must be able to
    /// read the file (same host, a user that may read it).
    pub async fn fold_file(&self, path: &std::path::Path) -> Result<(u64, u64), NodeError> {
        let path = path
            .display()
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\"");
        let source = format!(
            "Name = {{tablesafe_drill, make_ref()}}, \
             case dets:open_file(Name, [{{file, \"{path}\"}}, {{access, read}}, {{repair, false}}]) of \
               {{ok, T}} -> \
                 try dets:foldl(fun(O, {{N, S}}) -> {{N + 1, (S + erlang:phash2(O, 4294967296)) band 18446744073709551615}} end, {{0, 0}}, T) \
                 after dets:close(T) end; \
               {{error, Reason}} -> {{error, Reason}} \
             end."
        );
        let value = self.eval(&source).await?;
        let unexpected = || NodeError::Unexpected(format!("fold of {path}: {value}"));
        let Term::Tuple(pair) = &value else {
            return Err(unexpected());
        };
        match &pair.elements[..] {
            [Term::Atom(a), reason] if a.name == "error" => Err(NodeError::Failed(format!(
                "dets:open_file of {path} with {{repair, false}}: {reason}"
            ))),
            [count, sum] => Ok((
                integer(count).ok_or_else(unexpected)?,
                integer(sum).ok_or_else(unexpected)?,
            )),
            _ => Err(unexpected()),
        }
    }

    /// Evaluates Erlang `source` (expressions ending in `.`) on the node with
    /// `erl_scan`, `erl_parse` and `erl_eval`: plain terms over the wire, no
    /// module of ours loaded there.
    async fn eval(&self, source: &str) -> Result<Term, NodeError> {
        let text = Term::from(eetf::ByteList {
            bytes: source.as_bytes().to_vec(),
        });
        let scanned = self.call("erl_scan", "string", vec![text]).await?;
        let tokens = ok_element(&scanned, 3, 1)
            .ok_or_else(|| NodeError::Unexpected(format!("erl_scan: {scanned}")))?;
        let parsed = self.call("erl_parse", "parse_exprs", vec![tokens]).await?;
        let exprs = ok_element(&parsed, 2, 1)
            .ok_or_else(|| NodeError::Unexpected(format!("erl_parse: {parsed}")))?;
        // Folding a large table takes as long as reading it.
        let evaluated = self
            .call_within(
                "erl_eval",
                "exprs",
                vec![exprs, Term::from(eetf::List::nil())],
                self.timeout.max(FOLD_TIMEOUT),
            )
            .await?;
        match evaluated {
            Term::Tuple(t) if t.elements.len() == 3 && is_atom(&t.elements[0], "value") => {
                Ok(t.elements[1].clone())
            }
            other => Err(NodeError::Unexpected(format!("erl_eval: {other}"))),
        }
    }

    /// `dets:sync(Table)`: flushes the table and writes it as a closed file.
    pub async fn sync(&self, table: Term) -> Result<(), NodeError> {
        match self.call("dets", "sync", vec![table]).await? {
            Term::Atom(a) if a.name == "ok" => Ok(()),
            other => Err(NodeError::Failed(other.to_string())),
        }
    }
}

/// Element `at` of a tuple of `len` elements whose first is `ok`.
fn ok_element(term: &Term, len: usize, at: usize) -> Option<Term> {
    match term {
        Term::Tuple(t) if t.elements.len() == len && is_atom(&t.elements[0], "ok") => {
            t.elements.get(at).cloned()
        }
        _ => None,
    }
}

/// A non-negative integer term.
fn integer(term: &Term) -> Option<u64> {
    match term {
        Term::FixInteger(i) => u64::try_from(i.value).ok(),
        Term::BigInteger(b) => b.value.to_string().parse().ok(),
        _ => None,
    }
}

fn is_atom(term: &Term, name: &str) -> bool {
    matches!(term, Term::Atom(a) if a.name == name)
}

fn list_elements(term: &Term) -> Option<Vec<Term>> {
    match term {
        Term::List(l) => Some(l.elements.clone()),
        Term::ByteList(b) => Some(
            b.bytes
                .iter()
                .map(|&b| Term::from(FixInteger::from(b)))
                .collect(),
        ),
        _ => None,
    }
}

/// A charlist as a string: a byte string for byte-range paths, a list of
/// integers otherwise.
fn charlist(term: &Term) -> Option<String> {
    match term {
        Term::ByteList(b) => Some(String::from_utf8_lossy(&b.bytes).into_owned()),
        Term::List(l) if l.elements.is_empty() => Some(String::new()),
        Term::List(l) => l
            .elements
            .iter()
            .map(|e| match e {
                Term::FixInteger(i) => char::from_u32(i.value as u32),
                _ => None,
            })
            .collect(),
        Term::Binary(b) => Some(String::from_utf8_lossy(&b.bytes).into_owned()),
        _ => None,
    }
}

/// Connects, serves, and reconnects with backoff, until shutdown.
async fn connection_loop(
    config: NodeConfig,
    peer: NodeName,
    mut calls: mpsc::Receiver<Call>,
    status: watch::Sender<NodeStatus>,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let attempt = tokio::time::timeout(config.timeout, connect(&config, &peer)).await;
        let connected = match attempt {
            Ok(Ok(c)) => c,
            failed => {
                let why = match failed {
                    Ok(Err(why)) => why,
                    _ => format!("no connection within {:?}", config.timeout),
                };
                fail_until(&mut calls, &status, why, backoff, &shutdown).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                if shutdown.is_cancelled() {
                    return;
                }
                continue;
            }
        };
        backoff = Duration::from_millis(200);
        status.send_replace(NodeStatus::Connected);
        tracing::info!("connected to the Erlang node");
        let why = serve(connected, &mut calls, &shutdown).await;
        if shutdown.is_cancelled() {
            return;
        }
        tracing::warn!(reason = %why, "lost the Erlang node");
        status.send_replace(NodeStatus::Unreachable(why));
    }
}

/// While unreachable: every call fails at once, for `wait` (or until shutdown).
async fn fail_until(
    calls: &mut mpsc::Receiver<Call>,
    status: &watch::Sender<NodeStatus>,
    why: String,
    wait: Duration,
    shutdown: &CancellationToken,
) {
    if status.borrow().clone() != NodeStatus::Unreachable(why.clone()) {
        tracing::warn!(reason = %why, "Erlang node unreachable");
    }
    status.send_replace(NodeStatus::Unreachable(why.clone()));
    let deadline = tokio::time::sleep(wait);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => return,
            () = shutdown.cancelled() => return,
            Some(call) = calls.recv() => {
                let _ = call.reply.send(Err(NodeError::Unreachable(why.clone())));
            }
        }
    }
}

/// One TCP connection shared by the sending and receiving halves of the
/// channel (erl_dist wants a cloneable stream, as smol's is).
#[derive(Clone)]
struct Connection(Arc<TcpStream>);

impl futures_io::AsyncRead for Connection {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        loop {
            std::task::ready!(self.0.poll_read_ready(cx))?;
            match self.0.try_read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                done => return std::task::Poll::Ready(done),
            }
        }
    }
}

impl futures_io::AsyncWrite for Connection {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        loop {
            std::task::ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                done => return std::task::Poll::Ready(done),
            }
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_close(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

struct Connected {
    tx: erl_dist::message::Sender<Connection>,
    rx: erl_dist::message::Receiver<Connection>,
    pid: Pid,
    local: String,
    creation: u32,
}

async fn connect(config: &NodeConfig, peer: &NodeName) -> Result<Connected, String> {
    let epmd = TcpStream::connect((peer.host(), erl_dist::epmd::DEFAULT_EPMD_PORT))
        .await
        .map_err(|e| format!("EPMD on {} is not reachable: {e}", peer.host()))?;
    let entry = erl_dist::epmd::EpmdClient::new(epmd.compat())
        .get_node(peer.name())
        .await
        .map_err(|e| format!("EPMD lookup failed: {e}"))?
        .ok_or_else(|| {
            format!(
                "node {} is not registered with EPMD on {}",
                peer.name(),
                peer.host()
            )
        })?;
    let stream = TcpStream::connect((peer.host(), entry.port))
        .await
        .map_err(|e| format!("cannot connect to the node's port {}: {e}", entry.port))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let local_name: NodeName = format!("tablesafe_{:08x}@{}", fastrand::u32(..), peer.host())
        .parse()
        .map_err(|e| format!("local node name: {e}"))?;
    let creation = Creation::random();
    let local = LocalNode::new(local_name, creation);
    let mut handshake = erl_dist::handshake::ClientSideHandshake::new(
        Connection(Arc::new(stream)),
        local.clone(),
        &config.cookie,
    );
    handshake
        .execute_send_name(erl_dist::LOWEST_DISTRIBUTION_PROTOCOL_VERSION)
        .await
        .map_err(|e| format!("handshake refused: {e}"))?;
    // A wrong cookie makes the node close the connection here.
    let (connection, peer_node) = handshake
        .execute_rest(true)
        .await
        .map_err(|e| format!("handshake failed (wrong cookie?): {e}"))?;
    let (tx, rx) = erl_dist::message::channel(connection, local.flags & peer_node.flags);
    let name = local.name.to_string();
    let pid = Pid::new(name.clone(), 1, 0, creation.get());
    Ok(Connected {
        tx,
        rx,
        pid,
        local: name,
        creation: creation.get(),
    })
}

/// Serves calls over one connection until it breaks; returns why.
async fn serve(
    connection: Connected,
    calls: &mut mpsc::Receiver<Call>,
    shutdown: &CancellationToken,
) -> String {
    let Connected {
        mut tx,
        rx,
        pid,
        local,
        creation,
    } = connection;
    let mut pending: HashMap<u32, Reply> = HashMap::new();
    let mut next_ref = 1u32;
    let mut receiving = Box::pin(rx.recv_owned());
    let mut tick = tokio::time::interval(TICK);
    let why = loop {
        tokio::select! {
            () = shutdown.cancelled() => break "shutting down".to_owned(),
            _ = tick.tick() => {
                if let Err(e) = tx.send(Message::Tick).await {
                    break format!("send failed: {e}");
                }
            }
            Some(call) = calls.recv() => {
                let id = next_ref;
                next_ref = next_ref.wrapping_add(1);
                let reference = Reference { node: Atom::from(local.as_str()), id: vec![id, 0, 0], creation };
                let request = Tuple::from(vec![
                    Atom::from("$gen_call").into(),
                    Tuple::from(vec![pid.clone().into(), reference.into()]).into(),
                    Tuple::from(vec![
                        Atom::from("call").into(),
                        Atom::from(call.module).into(),
                        Atom::from(call.function).into(),
                        eetf::List::from(call.args).into(),
                        Atom::from("user").into(),
                    ])
                    .into(),
                ]);
                if let Err(e) = tx.send(Message::reg_send(pid.clone(), Atom::from("rex"), request.into())).await {
                    let _ = call.reply.send(Err(NodeError::Unreachable(format!("send failed: {e}"))));
                    break format!("send failed: {e}");
                }
                pending.insert(id, call.reply);
            }
            received = &mut receiving => match received {
                Ok((message, rx)) => {
                    receiving = Box::pin(rx.recv_owned());
                    if let Some((id, result)) = reply_of(message) {
                        if let Some(reply) = pending.remove(&id) {
                            let _ = reply.send(Ok(result));
                        }
                    }
                }
                Err(e) => break format!("connection closed: {e}"),
            },
        }
    };
    for (_, reply) in pending {
        let _ = reply.send(Err(NodeError::Unreachable(why.clone())));
    }
    why
}

/// `{Ref, Result}` sent to our pid: the answer to the call with that Ref.
fn reply_of(message: Message) -> Option<(u32, Term)> {
    let term = match message {
        Message::Send(send) => send.message,
        Message::AliasSend(send) => send.message,
        _ => return None,
    };
    let Term::Tuple(mut tuple) = term else {
        return None;
    };
    if tuple.elements.len() != 2 {
        return None;
    }
    let result = tuple.elements.pop()?;
    match tuple.elements.pop()? {
        Term::Reference(r) => Some((*r.id.first()?, result)),
        _ => None,
    }
}

/// The quiesce stage over a node: `dets:sync` on the table whose file is the
/// one about to be copied (the name comes from the node, not from us).
pub struct NodeQuiesce {
    /// The node.
    pub client: NodeClient,
    /// The runtime the pipeline's blocking threads call into.
    pub runtime: tokio::runtime::Handle,
}

impl Quiesce for NodeQuiesce {
    fn quiesce(&self, table: &TableEntry) -> Result<(), QuiesceError> {
        let want = canonical(&table.path);
        let owner = |e: NodeError| QuiesceError::Owner(Box::new(e));
        self.runtime.block_on(async {
            let open = self.client.open_tables().await.map_err(owner)?;
            let (name, _) = open
                .into_iter()
                .find(|(_, file)| canonical(file) == want)
                .ok_or_else(|| QuiesceError::NotOpen(table.path.clone()))?;
            // The first sync flushes the cache and fsyncs, which can take longer
            // than the application's write interval: a write that queued
            // behind it lands at once and reopens the file. The second sync is
            // short and usually falls in a quiet moment, so the copy that
            // follows sees a closed file.
            self.client.sync(name.clone()).await.map_err(owner)?;
            self.client.sync(name).await.map_err(owner)
        })
    }
}

/// The node says which files it has open; a node it cannot ask says nothing
/// (roles then stay as the files alone show them).
impl OpenFiles for NodeClient {
    fn open_files(
        &self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<HashSet<PathBuf>>> + Send + '_>>
    {
        Box::pin(async move {
            match self.open_tables().await {
                Ok(tables) => Some(tables.iter().map(|(_, path)| canonical(path)).collect()),
                Err(e) => {
                    tracing::debug!(error = %e, "cannot ask the node which tables it has open");
                    None
                }
            }
        })
    }
}

use crate::catalog::canonical;
