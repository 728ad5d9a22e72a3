//! Responses encoded once and sent many times.
//!
//! Every `GetHealth` caller between two snapshots gets the same answer, and
//! for a thousand tables that answer is over 100 KB of protobuf: converting
//! and encoding it per call would cost more than the call itself. So the
//! latest snapshot is kept in its wire forms (protobuf for gRPC, the proto3
//! JSON mapping for `GET /v1/health`), each made once per snapshot, and
//! [`Encoded`] lets tonic send the protobuf bytes as they are.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use bytes::{Buf, BufMut, Bytes};
use prost::encoding::{skip_field, DecodeContext, WireType};
use prost::{DecodeError, Message};
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

/// One health snapshot in both wire forms.
#[derive(Clone)]
pub struct HealthWireForms {
    /// The snapshot they were made from.
    snapshot: Arc<HealthReport>,
    /// For `GetHealth`.
    pub protobuf: EncodedHealth,
    /// For `GET /v1/health`: the proto3 JSON mapping, as grpcurl prints it.
    pub json: Bytes,
}

impl HealthWireForms {
    fn new(snapshot: Arc<HealthReport>) -> Self {
        let message = snapshot.to_proto();
        let json = serde_json::to_vec(&message).expect("health report serializes to JSON");
        Self {
            snapshot,
            protobuf: Encoded::new(&message),
            json: json.into(),
        }
    }
}

/// The wire forms of the latest snapshot, shared by gRPC and HTTP callers.
#[derive(Clone, Default)]
pub struct HealthWire(Arc<Mutex<Option<HealthWireForms>>>);

impl HealthWire {
    /// `report`'s wire forms, made only if `report` is not the snapshot
    /// already held. Callers that arrive while they are made wait for them
    /// instead of making their own.
    pub fn forms(&self, report: Arc<HealthReport>) -> HealthWireForms {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match &*held {
            Some(forms) if Arc::ptr_eq(&forms.snapshot, &report) => forms.clone(),
            _ => held.insert(HealthWireForms::new(report)).clone(),
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
}
