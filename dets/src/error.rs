//! Typed errors of the DETS reader.

use std::io;

/// Why a DETS file could not be read, or what is wrong inside it.
///
/// Every variant says what was wrong and, where there is one, the file offset.
/// `Truncated` (the file ends before something it points at) is kept apart from
/// `Corrupt` (the bytes are there but make no sense).
#[derive(Debug, thiserror::Error)]
pub enum DetsError {
    /// The file is not a DETS file at all (wrong cookie, too short, empty).
    #[error("not a DETS file: {reason}")]
    NotDets {
        /// What gave it away.
        reason: String,
    },
    /// A DETS file of a version other than 9.
    #[error("unsupported DETS version {version} (only version 9 is read)")]
    UnsupportedVersion {
        /// The version word at offset 16.
        version: u32,
    },
    /// The header's MD5 does not match its bytes.
    #[error("header checksum mismatch: the MD5 at offset 168 does not match bytes 12..168")]
    HeaderChecksum,
    /// The file ends before a structure it refers to.
    #[error("truncated at offset {offset}: {what}")]
    Truncated {
        /// The first offset that is missing.
        offset: u64,
        /// What was being read there.
        what: String,
    },
    /// A structure holds values that cannot be right.
    #[error("corrupt {what} at offset {offset}")]
    Corrupt {
        /// What is wrong.
        what: String,
        /// Where the bad structure starts.
        offset: u64,
    },
    /// The operating system could not read the file.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

impl DetsError {
    pub(crate) fn corrupt(offset: u64, what: impl Into<String>) -> Self {
        Self::Corrupt {
            what: what.into(),
            offset,
        }
    }

    pub(crate) fn truncated(offset: u64, what: impl Into<String>) -> Self {
        Self::Truncated {
            offset,
            what: what.into(),
        }
    }

    /// The status a file has when reading it fails with this error.
    pub fn status(&self) -> FileStatus {
        match self {
            Self::NotDets { .. } | Self::UnsupportedVersion { .. } => FileStatus::NotDets,
            Self::HeaderChecksum | Self::Corrupt { .. } => FileStatus::Corrupt,
            Self::Truncated { .. } => FileStatus::Truncated,
            Self::Io(_) => FileStatus::Unreadable,
        }
    }
}

/// The verdict on one file, worst first in [`FileStatus::severity`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileStatus {
    /// Closed properly and every check passed: Erlang opens it with `{repair, false}`.
    Ok,
    /// Structurally sound but not closed properly: Erlang repairs it on open.
    NeedsRepair,
    /// Structures are damaged.
    Corrupt,
    /// The file ends before structures it refers to.
    Truncated,
    /// Not a DETS version 9 file.
    NotDets,
    /// The file could not be read at all.
    Unreadable,
}

impl FileStatus {
    /// The name used in JSON output and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NeedsRepair => "needs_repair",
            Self::Corrupt => "corrupt",
            Self::Truncated => "truncated",
            Self::NotDets => "not_dets",
            Self::Unreadable => "unreadable",
        }
    }
}

impl std::fmt::Display for FileStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
