//! The server side of the generated API and the descriptor set reflection serves.

pub use tablesafe_client::proto::*;

/// Server stubs; message types are `tablesafe_client::proto`'s.
#[allow(missing_docs, clippy::all, clippy::pedantic)] // generated code
pub mod server {
    tonic::include_proto!("tablesafe.v1");
}

pub use server::storage_admin_server::{StorageAdmin, StorageAdminServer};

/// Encoded `FileDescriptorSet` of `proto/`, imports included.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/tablesafe_descriptor.bin"));
