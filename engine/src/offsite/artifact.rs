//! The artifact: what is stored for one copy. A versioned header, then the
//! payload (the copy's bytes, compressed and encrypted as the header says).
//!
//! ```text
//! tablesafe artifact\n
//! {"format":1,"compression":"none","encryption":"none"}\n
//! <payload>
//! ```
//!
//! The header is read before anything else is trusted: an unknown format,
//! compression or encryption is refused, never guessed.

use serde::{Deserialize, Serialize};

/// The first line of every artifact.
const MAGIC: &[u8] = b"tablesafe artifact\n";
/// The format this version writes and reads.
pub const FORMAT: u32 = 1;
/// The longest header line read before giving up on a file.
const MAX_HEADER: usize = 4096;

/// How the payload is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// The copy's bytes as they are.
    #[default]
    None,
    /// A zstd frame.
    Zstd,
}

/// How the payload is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Encryption {
    /// Not encrypted.
    #[default]
    None,
    /// An age file (X25519 recipients), after compression.
    Age,
}

/// The header of an artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactHeader {
    /// [`FORMAT`].
    pub format: u32,
    /// The payload's compression.
    pub compression: Compression,
    /// The payload's encryption.
    pub encryption: Encryption,
    /// The age recipients (public keys) the payload is encrypted to, comma
    /// separated, when it is: which identity opens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// Why bytes are not an artifact this version can read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HeaderError {
    /// The bytes do not start as an artifact does.
    #[error("not a tablesafe artifact: the object does not start with its header")]
    NotAnArtifact,
    /// The header line is not valid.
    #[error("artifact header is not valid: {0}")]
    Invalid(String),
    /// Written by a later version.
    #[error("artifact format {0} is newer than this tablesafe reads ({FORMAT})")]
    NewerFormat(u32),
}

impl ArtifactHeader {
    /// The header of a plain copy.
    pub fn plain() -> Self {
        Self {
            format: FORMAT,
            compression: Compression::None,
            encryption: Encryption::None,
            key_id: None,
        }
    }

    /// The header's bytes, payload not included.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        // A struct of plain fields always serializes.
        out.extend(serde_json::to_vec(self).unwrap_or_default());
        out.push(b'\n');
        out
    }

    /// Reads the header at the start of `bytes`; returns it and the offset
    /// of the payload.
    pub fn decode(bytes: &[u8]) -> Result<(Self, usize), HeaderError> {
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or(HeaderError::NotAnArtifact)?;
        let window = &rest[..rest.len().min(MAX_HEADER)];
        let end = window
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| HeaderError::Invalid("no end of header line".into()))?;
        let value: serde_json::Value = serde_json::from_slice(&window[..end])
            .map_err(|e| HeaderError::Invalid(e.to_string()))?;
        let format = value.get("format").and_then(serde_json::Value::as_u64);
        match format {
            Some(f) if f > u64::from(FORMAT) => {
                return Err(HeaderError::NewerFormat(
                    u32::try_from(f).unwrap_or(u32::MAX),
                ))
            }
            Some(_) => {}
            None => return Err(HeaderError::Invalid("no format".into())),
        }
        let header: Self =
            serde_json::from_value(value).map_err(|e| HeaderError::Invalid(e.to_string()))?;
        Ok((header, MAGIC.len() + end + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_reads_back_and_names_where_the_payload_starts() {
        let mut bytes = ArtifactHeader::plain().encode();
        let len = bytes.len();
        bytes.extend_from_slice(b"payload");
        let (header, at) = ArtifactHeader::decode(&bytes).expect("decodes");
        assert_eq!(header, ArtifactHeader::plain());
        assert_eq!(at, len);
        assert_eq!(&bytes[at..], b"payload");
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        assert_eq!(
            ArtifactHeader::decode(b"\0\0\0\x09DETS"),
            Err(HeaderError::NotAnArtifact)
        );
        let newer = [
            MAGIC,
            br#"{"format":2,"compression":"none","encryption":"none"}"#,
            b"\n",
        ]
        .concat();
        assert_eq!(
            ArtifactHeader::decode(&newer),
            Err(HeaderError::NewerFormat(2))
        );
        let unknown = [
            MAGIC,
            br#"{"format":1,"compression":"lz4","encryption":"none"}"#,
            b"\n",
        ]
        .concat();
        assert!(matches!(
            ArtifactHeader::decode(&unknown),
            Err(HeaderError::Invalid(_))
        ));
        let cut = [MAGIC, br#"{"format":1"#].concat();
        assert!(matches!(
            ArtifactHeader::decode(&cut),
            Err(HeaderError::Invalid(_))
        ));
    }
}
