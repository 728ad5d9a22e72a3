//! One directory fsync for every caller waiting at once (group commit).
//!
//! A run commits many copies into one directory, two at a time, and each
//! commit must make its rename durable before it reports the copy. A caller
//! that arrives while another's fsync is under way cannot count on it (its
//! rename may have come after that fsync began), so it waits for the next
//! one, which then covers every caller that arrived meanwhile:
//!
//! ```text
//! caller A: rename ─ sync ──[fsync 1]──────────────► ok
//! caller B:   rename ─ sync ─ waits ─[fsync 2]──────► ok   (covers B and C)
//! caller C:     rename ─ sync ─ waits ─┘            ► ok
//! ```
//!
//! A failed fsync fails every caller it was to cover; none of them is told
//! its rename is durable on the strength of a later attempt.

use std::io;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// Shared by every handle on one directory.
#[derive(Debug, Default, Clone)]
pub struct GroupSync {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Tickets handed out: the callers that asked so far.
    asked: u64,
    /// Every ticket up to this one is covered by a successful fsync.
    synced: u64,
    /// Every ticket up to this one (and above `synced`) was covered by an
    /// fsync that failed, and why.
    failed: Option<(u64, io::ErrorKind, String)>,
    /// An fsync is under way.
    running: bool,
}

impl GroupSync {
    /// Returns once an fsync of `dir` that began after this call succeeded;
    /// the error of the one that was to cover it otherwise.
    pub fn sync(&self, dir: &Path) -> io::Result<()> {
        let inner = &*self.inner;
        let lock = || inner.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut state = lock();
        state.asked += 1;
        let ticket = state.asked;
        loop {
            if state.synced >= ticket {
                return Ok(());
            }
            if let Some((through, kind, message)) = &state.failed {
                if *through >= ticket {
                    return Err(io::Error::new(*kind, message.clone()));
                }
            }
            if state.running {
                state = inner
                    .done
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.running = true;
            let covers = state.asked;
            drop(state);
            let result = std::fs::File::open(dir).and_then(|d| d.sync_all());
            state = lock();
            state.running = false;
            match &result {
                Ok(()) => state.synced = state.synced.max(covers),
                Err(e) => state.failed = Some((covers, e.kind(), e.to_string())),
            }
            inner.done.notify_all();
            // `covers` includes this caller's ticket.
            return result;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_at_once_share_fsyncs_and_all_return_synced() {
        let dir = tempfile::tempdir().unwrap();
        let sync = GroupSync::default();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..20 {
                        sync.sync(dir.path()).unwrap();
                    }
                });
            }
        });
        let state = sync.inner.state.lock().unwrap();
        assert_eq!(state.asked, 160);
        assert_eq!(state.synced, 160);
        assert!(!state.running);
    }

    #[test]
    fn a_failed_fsync_fails_its_callers_and_a_later_caller_tries_again() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let sync = GroupSync::default();
        let err = sync.sync(&gone).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        std::fs::create_dir(&gone).unwrap();
        sync.sync(&gone).unwrap();
    }
}
