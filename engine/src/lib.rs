//! The tablesafe engine: everything tablesafe knows about tables, backups and
//! health, with no knowledge of the wire.
#![forbid(unsafe_code)]

pub mod dets;
