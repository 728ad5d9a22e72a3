//! Any byte string fed to the DETS reader yields a result, never a panic, and
//! an `ok` verdict always comes with figures that add up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tablesafe_dets::{self as dets, FileStatus};

fuzz_target!(|data: &[u8]| {
    if let Ok(insp) = dets::inspect_bytes(data) {
        if insp.status() == FileStatus::Ok {
            assert!(insp.walk.keys <= insp.walk.records);
            assert!(insp.free_bytes.is_some_and(|free| free <= insp.file_size));
        }
    }
});
