//! Responses encoded once and sent many times.
//!
//! Every `GetHealth` caller between two snapshots gets the same answer, and
//! for a thousand tables that answer is over 100 KB of protobuf: converting
//! and encoding it per call would cost more than the call itself. So the
//! latest snapshot is kept in its wire forms (protobuf for gRPC, the proto3
//! JSON mapping for `GET /v1/health`; FULL, SUMMARY and unchanged), each made
//! once per snapshot, and [`Encoded`] lets tonic send the protobuf bytes as
//! they are. Pages of FULL are cut per call from the converted message.

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::{Buf, BufMut, Bytes};
use prost::encoding::{skip_field, DecodeContext, WireType};
use prost::{DecodeError, Message};
use sha2::{Digest, Sha256};
use tablesafe_engine::health::HealthReport;

use crate::convert::ToProto;
use crate::proto;

/// The protobuf encoding of an `M`, made once. It encodes to exactly those
/// bytes, so the generated server code sends it as it would send the `M`.
///
/// Only the server sends one; decoding into it keeps nothing (nothing ever
/// does: tonic decodes only requests).
pub struct Encoded<M> {
    bytes: Bytes,
    message: PhantomData<fn() -> M>,
}

impl<M: Message> Encoded<M> {
    /// Encodes `message`.
    pub fn new(message: &M) -> Self {
        Self {
            bytes: message.encode_to_vec().into(),
            message: PhantomData,
        }
    }
}

impl<M> Clone for Encoded<M> {
    fn clone(&self) -> Self {
        Self {
            bytes: self.bytes.clone(),
            message: PhantomData,
        }
    }
}

impl<M> Default for Encoded<M> {
    fn default() -> Self {
        Self {
            bytes: Bytes::new(),
            message: PhantomData,
        }
    }
}

impl<M> fmt::Debug for Encoded<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Encoded<{}>({} bytes)",
            std::any::type_name::<M>(),
            self.bytes.len()
        )
    }
}

impl<M: Send + Sync> Message for Encoded<M> {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.bytes);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    fn clear(&mut self) {
        self.bytes = Bytes::new();
    }
}

/// `GetHealth`'s response as the server stubs send it.
pub type EncodedHealth = Encoded<proto::GetHealthResponse>;

/// Tables one page may hold at most.
pub const MAX_PAGE_SIZE: u32 = 5000;

/// What a caller asks of a snapshot: the request's fields past `refresh`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthQuery {
    /// Only the tables with issues.
    pub summary: bool,
    /// The snapshot id the caller holds.
    pub if_none_match: String,
    /// Tables per page (0: all).
    pub page_size: u32,
    /// Where the page starts.
    pub page_token: String,
}

impl HealthQuery {
    /// The query of a gRPC request.
    pub fn of(request: &proto::GetHealthRequest) -> Self {
        Self {
            summary: request.view() == proto::HealthView::Summary,
            if_none_match: request.if_none_match.clone(),
            page_size: request.page_size,
            page_token: request.page_token.clone(),
        }
    }

    fn paged(&self) -> bool {
        !self.summary && (self.page_size > 0 || !self.page_token.is_empty())
    }
}

/// A query that cannot be answered, and why (INVALID_ARGUMENT).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadQuery {
    /// `page_size` over [`MAX_PAGE_SIZE`].
    #[error("page_size {0} is over the most a page holds, {MAX_PAGE_SIZE}")]
    PageTooLarge(u32),
    /// `page_token` is not one this server gave.
    #[error("page_token is not a next_page_token of GetHealth")]
    BadToken,
}

/// One health snapshot in its wire forms: the whole-snapshot answers (FULL,
/// SUMMARY, unchanged) are made once, when first asked for; pages are cut
/// from the FULL message per call.
pub struct HealthWireForms {
    /// The snapshot they are made from.
    snapshot: Arc<HealthReport>,
    /// FULL, with the snapshot id.
    full: proto::GetHealthResponse,
    /// Indexes of `full.tables` in name order, for pages.
    by_name: Vec<usize>,
    cached: [OnceLock<(EncodedHealth, Bytes)>; 3],
}

/// The answers made once per snapshot, by their place in `cached`.
#[derive(Clone, Copy)]
enum Whole {
    Full = 0,
    Summary = 1,
    Unchanged = 2,
}

/// An answer in both encodings.
pub struct HealthAnswer {
    /// For `GetHealth`.
    pub protobuf: EncodedHealth,
    /// For `GET /v1/health`: the proto3 JSON mapping, as grpcurl prints it.
    pub json: Bytes,
    /// The snapshot's id (the ETag).
    pub snapshot_id: String,
    /// The caller's snapshot is still the one.
    pub unchanged: bool,
}

impl HealthWireForms {
    fn new(snapshot: Arc<HealthReport>, data_dir: Option<&str>) -> Self {
        let mut full = snapshot.to_proto();
        if let Some(dir) = data_dir {
            full.data_dir = dir.to_owned();
            for table in &mut full.tables {
                if table.path == format!("{}/{}.dets", full.data_dir, table.name) {
                    table.path.clear();
                }
            }
        }
        full.snapshot_id = snapshot_id(&full);
        let mut by_name: Vec<usize> = (0..full.tables.len()).collect();
        by_name.sort_by(|&a, &b| full.tables[a].name.cmp(&full.tables[b].name));
        Self {
            snapshot,
            full,
            by_name,
            cached: Default::default(),
        }
    }

    /// The answer to `query`.
    pub fn answer(&self, query: &HealthQuery) -> Result<HealthAnswer, BadQuery> {
        if query.page_size > MAX_PAGE_SIZE {
            return Err(BadQuery::PageTooLarge(query.page_size));
        }
        let unchanged =
            !query.if_none_match.is_empty() && query.if_none_match == self.full.snapshot_id;
        let (protobuf, json) = if unchanged {
            self.whole(Whole::Unchanged)
        } else if query.summary {
            self.whole(Whole::Summary)
        } else if query.paged() {
            let page = self.page(query)?;
            let json = serde_json::to_vec(&page).expect("health pages serialize to JSON");
            (Encoded::new(&page), json.into())
        } else {
            self.whole(Whole::Full)
        };
        Ok(HealthAnswer {
            protobuf,
            json,
            snapshot_id: self.full.snapshot_id.clone(),
            unchanged,
        })
    }

    fn whole(&self, which: Whole) -> (EncodedHealth, Bytes) {
        self.cached[which as usize]
            .get_or_init(|| {
                let message = match which {
                    Whole::Full => self.full.clone(),
                    Whole::Summary => proto::GetHealthResponse {
                        tables: self
                            .full
                            .tables
                            .iter()
                            .filter(|t| !t.issues.is_empty())
                            .cloned()
                            .collect(),
                        ..self.shell()
                    },
                    Whole::Unchanged => proto::GetHealthResponse {
                        unchanged: true,
                        components: Vec::new(),
                        ..self.shell()
                    },
                };
                let json = serde_json::to_vec(&message).expect("health reports serialize to JSON");
                (Encoded::new(&message), json.into())
            })
            .clone()
    }

    /// The FULL answer without its tables.
    fn shell(&self) -> proto::GetHealthResponse {
        proto::GetHealthResponse {
            status: self.full.status,
            computed_at: self.full.computed_at,
            components: self.full.components.clone(),
            tables: Vec::new(),
            snapshot_id: self.full.snapshot_id.clone(),
            unchanged: false,
            next_page_token: String::new(),
            total_tables: self.full.total_tables,
            data_dir: self.full.data_dir.clone(),
        }
    }

    /// The tables after the token's name, in name order, `page_size` at most.
    fn page(&self, query: &HealthQuery) -> Result<proto::GetHealthResponse, BadQuery> {
        let after = if query.page_token.is_empty() {
            None
        } else {
            Some(decode_token(&query.page_token).ok_or(BadQuery::BadToken)?)
        };
        let name = |i: usize| self.full.tables[i].name.as_str();
        let start = match &after {
            None => 0,
            Some(after) => self.by_name.partition_point(|&i| name(i) <= after.as_str()),
        };
        let size = if query.page_size == 0 {
            usize::MAX
        } else {
            query.page_size as usize
        };
        let end = start.saturating_add(size).min(self.by_name.len());
        let tables: Vec<proto::TableHealth> = self.by_name[start..end]
            .iter()
            .map(|&i| self.full.tables[i].clone())
            .collect();
        let next_page_token = match tables.last() {
            Some(last) if end < self.by_name.len() => encode_token(&last.name),
            _ => String::new(),
        };
        Ok(proto::GetHealthResponse {
            tables,
            next_page_token,
            ..self.shell()
        })
    }
}

/// The id of a report's content: a SHA-256 over its encoding without the
/// time it was computed and the ages that follow from it (so that a
/// snapshot that changed only by the clock keeps its id).
fn snapshot_id(report: &proto::GetHealthResponse) -> String {
    let mut timeless = report.clone();
    timeless.computed_at = None;
    for table in &mut timeless.tables {
        table.since_last_backup = None;
        for offsite in &mut table.offsite {
            offsite.since_last_copy = None;
        }
    }
    let digest = Sha256::digest(timeless.encode_to_vec());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// A page token: the last name sent, hex-encoded (opaque to callers).
fn encode_token(name: &str) -> String {
    name.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Option<String> {
    if token.len() % 2 != 0 || token.len() > 2 * 1024 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// The wire forms of the latest snapshot, shared by gRPC and HTTP callers.
#[derive(Clone)]
pub struct HealthWire {
    held: Arc<Mutex<Option<Arc<HealthWireForms>>>>,
    /// The first data directory as answers name it (no trailing `/`):
    /// tables whose file is `<it>/<name>.dets` are sent without their path.
    data_dir: Option<Arc<str>>,
}

impl HealthWire {
    /// Forms that name `data_dir` once and leave out the paths it implies.
    pub fn new(data_dir: Option<&Path>) -> Self {
        // The rule is textual, so that a client gets back the very path.
        let data_dir =
            data_dir.map(|dir| Arc::from(dir.display().to_string().trim_end_matches('/')));
        Self {
            held: Arc::default(),
            data_dir,
        }
    }

    /// `report`'s wire forms, made only if `report` is not the snapshot
    /// already held. Callers that arrive while they are made wait for them
    /// instead of making their own.
    pub fn forms(&self, report: Arc<HealthReport>) -> Arc<HealthWireForms> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        match &*held {
            Some(forms) if Arc::ptr_eq(&forms.snapshot, &report) => forms.clone(),
            _ => {
                let forms = HealthWireForms::new(report, self.data_dir.as_deref());
                held.insert(Arc::new(forms)).clone()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn encoded_message_is_the_message_bytes() {
        let message = proto::GetHealthResponse {
            status: proto::HealthStatus::Warning as i32,
            ..Default::default()
        };
        let encoded = Encoded::new(&message);
        assert_eq!(encoded.encoded_len(), message.encoded_len());
        assert_eq!(encoded.encode_to_vec(), message.encode_to_vec());
        let back = proto::GetHealthResponse::decode(encoded.encode_to_vec().as_slice()).unwrap();
        assert_eq!(back, message);
    }

    #[test]
    fn page_tokens_round_trip_and_strangers_are_refused() {
        for name in ["users", "a.b-c_9", ""] {
            assert_eq!(decode_token(&encode_token(name)).as_deref(), Some(name));
        }
        for bad in ["zz", "abc", "ff"] {
            assert_eq!(decode_token(bad), None, "{bad}");
        }
    }
}
