//! The tablesafe engine: everything tablesafe knows about tables, backups and
//! health, with no knowledge of the wire.
#![forbid(unsafe_code)]

/// The DETS reader, its own crate so that it can depend on nothing of the engine.
pub use tablesafe_dets as dets;

pub mod catalog;
pub mod clock;
pub mod compact;
pub mod control;
pub mod drill;
pub mod erlang;
pub mod events;
pub mod group_sync;
pub mod health;
pub mod ledger;
pub mod model;
pub mod monitor;
pub mod offsite;
pub mod pipeline;
pub mod restore;
pub mod retention;
pub mod scheduler;
pub mod scrub;
pub mod store;

/// Kills the process with `SIGKILL` here when `TABLESAFE_CRASH_AT` names
/// this point: how tests show what a `kill -9` (or a power cut, for what
/// reached the disk) at that exact moment leaves behind. Nothing runs after
/// it: no destructor, no flush, no handler.
pub(crate) fn crash_point(name: &str) {
    if std::env::var_os("TABLESAFE_CRASH_AT").is_some_and(|at| at == name) {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
        std::process::abort();
    }
}
