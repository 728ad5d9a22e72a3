//! A watcher that survives reconnects: it resumes from the last event it
//! delivered, and tells its caller when the server says events were lost.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;

use crate::proto::{event::Payload, Event, EventKind, WatchEventsRequest};
use crate::{Client, Error};

/// What to watch and how to reconnect.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Resume after this sequence (0 with an empty epoch: from now on).
    pub after_sequence: u64,
    /// The epoch `after_sequence` belongs to.
    pub epoch: String,
    /// Only these kinds (heartbeats and resync notices always come).
    pub kinds: Vec<EventKind>,
    /// Only events about these tables (run events always come).
    pub tables: Vec<String>,
    /// First delay before reconnecting; doubled up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Longest delay between reconnects.
    pub max_backoff: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            after_sequence: 0,
            epoch: String::new(),
            kinds: Vec::new(),
            tables: Vec::new(),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// A break in a watch, and what the watcher does next.
#[derive(Debug, Clone)]
pub struct Retry {
    /// What broke the stream.
    pub error: String,
    /// The pause before the next attempt.
    pub backoff: Duration,
    /// The watcher resumes after this sequence...
    pub after_sequence: u64,
    /// ... of this epoch.
    pub epoch: String,
}

/// Errors that reconnecting cannot fix: the stream ends with them.
fn is_permanent(code: Code) -> bool {
    matches!(
        code,
        Code::Unauthenticated
            | Code::PermissionDenied
            | Code::InvalidArgument
            | Code::Unimplemented
    )
}

impl Client {
    /// Events, forever: reconnects with backoff after any break and resumes
    /// from the last event delivered, so nothing is missed or repeated. When
    /// the server cannot replay what was missed (it restarted, or the gap is
    /// too old) the stream yields its `ResyncRequired` event: reload state,
    /// then carry on reading. Ends only on an error reconnecting cannot fix
    /// (such as UNAUTHENTICATED), which it yields last, or when dropped.
    pub fn watch(&self, options: WatchOptions) -> ReceiverStream<Result<Event, Error>> {
        self.watch_with(options, |_| {})
    }

    /// [`Client::watch`], telling `on_retry` about every break before the
    /// pause that follows it (to show a user that the watcher is waiting,
    /// not stuck).
    pub fn watch_with(
        &self,
        options: WatchOptions,
        on_retry: impl Fn(&Retry) + Send + 'static,
    ) -> ReceiverStream<Result<Event, Error>> {
        let (tx, rx) = mpsc::channel(64);
        let client = self.clone();
        tokio::spawn(async move {
            let mut cursor = (options.after_sequence, options.epoch.clone());
            let mut backoff = options.initial_backoff;
            loop {
                let request = WatchEventsRequest {
                    after_sequence: cursor.0,
                    epoch: cursor.1.clone(),
                    kinds: options.kinds.iter().map(|k| *k as i32).collect(),
                    tables: options.tables.clone(),
                };
                let why = match client.watch_events(request).await {
                    Ok(mut stream) => loop {
                        match stream.message().await {
                            Ok(Some(event)) => {
                                backoff = options.initial_backoff;
                                match &event.payload {
                                    Some(Payload::ResyncRequired(r)) => {
                                        cursor = (r.resume_after, r.epoch.clone())
                                    }
                                    _ if event.sequence > 0 => {
                                        cursor = (event.sequence, event.epoch.clone())
                                    }
                                    _ => {}
                                }
                                if tx.send(Ok(event)).await.is_err() {
                                    return;
                                }
                            }
                            Ok(None) => break "the server ended the stream".to_owned(),
                            Err(status) if is_permanent(status.code()) => {
                                let _ = tx.send(Err(Error::Status(status))).await;
                                return;
                            }
                            Err(status) => break Error::Status(status).to_string(),
                        }
                    },
                    Err(Error::Status(status)) if is_permanent(status.code()) => {
                        let _ = tx.send(Err(Error::Status(status))).await;
                        return;
                    }
                    Err(e) => e.to_string(),
                };
                on_retry(&Retry {
                    error: why,
                    backoff,
                    after_sequence: cursor.0,
                    epoch: cursor.1.clone(),
                });
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = tx.closed() => return,
                }
                backoff = (backoff * 2).min(options.max_backoff);
            }
        });
        ReceiverStream::new(rx)
    }
}
