//! The event bus: numbered events in a bounded ring, read by any number of
//! watchers at their own pace.
//!
//! Publishing never waits for a watcher: it appends to the ring (dropping the
//! oldest event when full) and bumps a `watch` with the latest sequence.
//! Each [`Subscription`] is a cursor into the ring; one that falls behind the
//! oldest event still held is told to resync instead of silently missing
//! events. A watcher costs a cursor and a `watch` receiver, whatever it does.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::health::Status;
use crate::model::{Consistency, RunOutcome, Trigger};

/// Events kept for replay by default.
pub const DEFAULT_RING_SIZE: usize = 1024;

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum EventPayload {
    /// A run began.
    RunStarted {
        /// Run id.
        run_id: String,
        /// What started it.
        trigger: Trigger,
        /// Tables in the run.
        tables: Vec<String>,
        /// Free text of the trigger.
        reason: String,
    },
    /// A table's backup was committed.
    TableBackedUp {
        /// Run id.
        run_id: String,
        /// Table.
        table: String,
        /// Backup file name.
        file_name: String,
        /// Bytes.
        bytes: u64,
        /// Objects.
        records: u64,
        /// Clean or dirty.
        consistency: Consistency,
        /// Time spent on the table.
        duration: Duration,
        /// When the copy was captured.
        captured_at: DateTime<Utc>,
    },
    /// A table's backup failed.
    TableBackupFailed {
        /// Run id.
        run_id: String,
        /// Table.
        table: String,
        /// Error code.
        code: crate::model::ErrorCode,
        /// Error message.
        message: String,
    },
    /// A run ended.
    RunFinished {
        /// Run id.
        run_id: String,
        /// How it ended.
        outcome: RunOutcome,
        /// Tables backed up.
        succeeded: u32,
        /// Tables that failed.
        failed: u32,
        /// Tables not attempted.
        skipped: u32,
        /// Wall time of the run.
        duration: Duration,
    },
    /// A restore began (after its plan was checked).
    RestoreStarted {
        /// The restore's id in the ledger.
        run_id: String,
        /// Table.
        table: String,
        /// The copy restored.
        backup: String,
        /// The file written.
        target: String,
    },
    /// A restore ended.
    RestoreFinished {
        /// The restore's id in the ledger.
        run_id: String,
        /// Table.
        table: String,
        /// The copy restored.
        backup: String,
        /// The file written.
        target: String,
        /// Why it failed (the target is as it was); `None` when restored.
        error: Option<crate::model::TableError>,
        /// Where the replaced file was kept, when in place.
        safety_copy: Option<String>,
    },
    /// A compaction ended.
    TableCompacted {
        /// The compaction's id in the ledger.
        run_id: String,
        /// Table.
        table: String,
        /// The file's size before.
        bytes_before: u64,
        /// Its size after (equal to before when it failed).
        bytes_after: u64,
        /// Why it failed (the file is as it was); `None` when compacted.
        error: Option<crate::model::TableError>,
        /// Where the file as it was is kept.
        safety_copy: Option<String>,
    },
    /// A copy was stored at an offsite destination and checked there.
    OffsiteCopied {
        /// The destination.
        destination: String,
        /// Table.
        table: String,
        /// The local backup's file name.
        file_name: String,
        /// Bytes stored (the artifact).
        bytes: u64,
        /// Time the upload took.
        duration: Duration,
        /// When the copy was captured.
        captured_at: DateTime<Utc>,
    },
    /// A copy could not be stored at an offsite destination, or (table and
    /// file name empty) the destination could not be used at all; the
    /// upload is tried again.
    OffsiteFailed {
        /// The destination.
        destination: String,
        /// Table (empty when the whole destination failed).
        table: String,
        /// The local backup's file name (empty when the whole destination failed).
        file_name: String,
        /// Why.
        message: String,
    },
    /// A table's restore drill ended.
    TableDrilled {
        /// The drill's id in the ledger.
        run_id: String,
        /// Table.
        table: String,
        /// What it found.
        facts: crate::drill::DrillFacts,
    },
    /// A status changed (a table's, or the system's when `table` is `None`).
    HealthChanged {
        /// The table, or `None` for the overall status.
        table: Option<String>,
        /// Before.
        old: Status,
        /// After.
        new: Status,
    },
    /// The stream is alive; not part of the history.
    Heartbeat {
        /// The newest sequence published.
        latest_sequence: u64,
    },
    /// Events were missed; not part of the history.
    ResyncRequired {
        /// The oldest sequence still held.
        oldest_sequence: u64,
        /// The stream goes on after this sequence.
        resume_after: u64,
        /// Why.
        reason: String,
    },
}

impl EventPayload {
    /// The table an event is about, if it is about one table.
    pub fn table(&self) -> Option<&str> {
        match self {
            Self::TableBackedUp { table, .. }
            | Self::TableBackupFailed { table, .. }
            | Self::RestoreStarted { table, .. }
            | Self::RestoreFinished { table, .. }
            | Self::TableCompacted { table, .. }
            | Self::OffsiteCopied { table, .. }
            | Self::TableDrilled { table, .. } => Some(table),
            Self::HealthChanged { table, .. } => table.as_deref(),
            Self::OffsiteFailed { table, .. } => Some(table.as_str()).filter(|t| !t.is_empty()),
            _ => None,
        }
    }
}

/// A numbered event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Strictly increasing within an epoch, from 1; 0 for heartbeats and
    /// resync notices, which are not part of the history.
    pub sequence: u64,
    /// The history this sequence belongs to (one per server process).
    pub epoch: Arc<str>,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub payload: EventPayload,
}

struct Ring {
    events: VecDeque<Arc<Event>>,
    capacity: usize,
    latest: u64,
}

struct Shared {
    epoch: Arc<str>,
    ring: Mutex<Ring>,
    latest_tx: watch::Sender<u64>,
}

/// The bus; clones share it.
#[derive(Clone)]
pub struct EventBus {
    shared: Arc<Shared>,
}

impl EventBus {
    /// A bus holding the last `capacity` events, with a fresh random epoch.
    pub fn new(capacity: usize) -> Self {
        let epoch: String = (0..16)
            .map(|_| format!("{:x}", fastrand::u8(..16)))
            .collect();
        let (latest_tx, _) = watch::channel(0);
        Self {
            shared: Arc::new(Shared {
                epoch: epoch.into(),
                ring: Mutex::new(Ring {
                    events: VecDeque::with_capacity(capacity.max(1)),
                    capacity: capacity.max(1),
                    latest: 0,
                }),
                latest_tx,
            }),
        }
    }

    /// This history's epoch.
    pub fn epoch(&self) -> &str {
        &self.shared.epoch
    }

    /// Appends an event and wakes the watchers; returns its sequence.
    pub fn publish(&self, payload: EventPayload) -> u64 {
        let sequence = {
            let mut ring = self.ring();
            ring.latest += 1;
            let event = Arc::new(Event {
                sequence: ring.latest,
                epoch: self.shared.epoch.clone(),
                at: Utc::now(),
                payload,
            });
            if ring.events.len() == ring.capacity {
                ring.events.pop_front();
            }
            ring.events.push_back(event);
            ring.latest
        };
        self.shared.latest_tx.send_replace(sequence);
        sequence
    }

    /// The newest sequence published (0 before the first).
    pub fn latest(&self) -> u64 {
        self.ring().latest
    }

    /// The oldest sequence still held (latest + 1 when empty).
    pub fn oldest(&self) -> u64 {
        let ring = self.ring();
        ring.events.front().map_or(ring.latest + 1, |e| e.sequence)
    }

    /// A watcher. `resume` is the last sequence a client saw and its epoch:
    /// events after it are replayed when the ring still holds them; anything
    /// else starts with a resync notice. `None` starts with the next event.
    pub fn subscribe(&self, resume: Option<(u64, &str)>) -> Subscription {
        let latest_rx = self.shared.latest_tx.subscribe();
        let (latest, oldest) = (self.latest(), self.oldest());
        let mut sub = Subscription {
            bus: self.clone(),
            cursor: latest,
            latest_rx,
            resync: None,
        };
        if let Some((after, epoch)) = resume {
            if epoch != &*self.shared.epoch {
                sub.resync = Some(format!(
                    "epoch {epoch:?} is not the current epoch; the server restarted"
                ));
            } else if after > latest {
                sub.resync = Some(format!(
                    "sequence {after} was never published (latest is {latest})"
                ));
            } else if after + 1 < oldest {
                sub.resync = Some(format!(
                    "events after {after} are no longer held (oldest is {oldest})"
                ));
            } else {
                sub.cursor = after;
            }
        }
        sub
    }

    fn ring(&self) -> MutexGuard<'_, Ring> {
        // A panic while holding the lock cannot leave the ring inconsistent:
        // every mutation is a push or a pop.
        self.shared
            .ring
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn notice(&self, payload: EventPayload) -> Arc<Event> {
        Arc::new(Event {
            sequence: 0,
            epoch: self.shared.epoch.clone(),
            at: Utc::now(),
            payload,
        })
    }
}

/// One watcher's position in the history.
pub struct Subscription {
    bus: EventBus,
    cursor: u64,
    latest_rx: watch::Receiver<u64>,
    resync: Option<String>,
}

impl Subscription {
    /// The next event: replayed or live, or a resync notice when events were
    /// lost to this watcher (after which it goes on from the newest event).
    pub async fn next(&mut self) -> Arc<Event> {
        loop {
            if let Some(reason) = self.resync.take() {
                let oldest_sequence = self.bus.oldest();
                return self.bus.notice(EventPayload::ResyncRequired {
                    oldest_sequence,
                    resume_after: self.cursor,
                    reason,
                });
            }
            {
                let ring = self.bus.ring();
                let oldest = ring.events.front().map_or(ring.latest + 1, |e| e.sequence);
                if self.cursor + 1 < oldest {
                    let missed = format!("this watcher fell behind: events after {} were dropped (oldest is {oldest})", self.cursor);
                    self.cursor = ring.latest;
                    self.resync = Some(missed);
                    continue;
                }
                if self.cursor < ring.latest {
                    let index = (self.cursor + 1 - oldest) as usize;
                    if let Some(event) = ring.events.get(index) {
                        self.cursor = event.sequence;
                        return event.clone();
                    }
                }
            }
            // Nothing new: wait for the next publish (never misses one, since
            // the ring is checked again after every change).
            if self.latest_rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// The last sequence this watcher was given (or skipped to).
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// A heartbeat for this watcher.
    pub fn heartbeat(&self) -> Arc<Event> {
        self.bus.notice(EventPayload::Heartbeat {
            latest_sequence: self.bus.latest(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(table: &str) -> EventPayload {
        EventPayload::TableBackupFailed {
            run_id: "r".into(),
            table: table.into(),
            code: crate::model::ErrorCode::BackupIo,
            message: String::new(),
        }
    }

    async fn take(sub: &mut Subscription, n: usize) -> Vec<Arc<Event>> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(
                tokio::time::timeout(Duration::from_secs(5), sub.next())
                    .await
                    .expect("an event"),
            );
        }
        out
    }

    #[tokio::test]
    async fn resuming_replays_exactly_the_missed_events() {
        let bus = EventBus::new(8);
        let mut live = bus.subscribe(None);
        for t in ["a", "b", "c"] {
            bus.publish(failed(t));
        }
        let seen: Vec<u64> = take(&mut live, 3)
            .await
            .iter()
            .map(|e| e.sequence)
            .collect();
        assert_eq!(seen, [1, 2, 3]);
        let epoch = bus.epoch().to_owned();
        let mut resumed = bus.subscribe(Some((1, &epoch)));
        let again: Vec<u64> = take(&mut resumed, 2)
            .await
            .iter()
            .map(|e| e.sequence)
            .collect();
        assert_eq!(again, [2, 3]);
        bus.publish(failed("d"));
        assert_eq!(take(&mut resumed, 1).await[0].sequence, 4);
    }

    #[tokio::test]
    async fn evicted_sequences_and_other_epochs_get_resync_first() {
        let bus = EventBus::new(4);
        for i in 0..10 {
            bus.publish(failed(&i.to_string()));
        }
        let epoch = bus.epoch().to_owned();
        for resume in [(2, epoch.as_str()), (0, "old-epoch"), (99, epoch.as_str())] {
            let oldest = bus.oldest();
            let mut sub = bus.subscribe(Some(resume));
            let first = take(&mut sub, 1).await.remove(0);
            assert!(
                matches!(first.payload, EventPayload::ResyncRequired { oldest_sequence, .. } if oldest_sequence == oldest),
                "{resume:?}: {first:?}"
            );
            bus.publish(failed("next"));
            assert!(matches!(
                take(&mut sub, 1).await[0].payload,
                EventPayload::TableBackupFailed { .. }
            ));
        }
        // The oldest held sequence itself can be resumed from the one before it.
        let mut sub = bus.subscribe(Some((bus.oldest() - 1, &epoch)));
        assert_eq!(take(&mut sub, 1).await[0].sequence, bus.oldest());
    }

    #[tokio::test]
    async fn a_watcher_that_falls_behind_is_told_and_never_blocks_the_publisher() {
        let bus = EventBus::new(16);
        let mut slow = bus.subscribe(None);
        for i in 0..10_000 {
            bus.publish(failed(&i.to_string()));
        }
        let first = take(&mut slow, 1).await.remove(0);
        assert!(matches!(
            first.payload,
            EventPayload::ResyncRequired {
                oldest_sequence: 9985,
                ..
            }
        ));
        bus.publish(failed("after"));
        assert_eq!(take(&mut slow, 1).await[0].sequence, 10_001);
    }
}
