//! Compiles `proto/` into the server side of the tablesafe API with protox (no
//! system protoc), and writes the descriptor set that reflection serves.
//!
//! The message types are the client crate's (`tablesafe_client::proto`), so
//! the server, the CLI and the tests share one set of types.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler
        .include_source_info(true)
        .include_imports(true)
        .open_file("tablesafe/v1/storage_admin.proto")?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("tablesafe_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(true)
        .compile_well_known_types(true)
        // Malformed requests are INVALID_ARGUMENT (src/codec.rs).
        .codec_path("crate::codec::StrictCodec")
        .extern_path(
            ".google.protobuf.Timestamp",
            "::tablesafe_client::wkt::Timestamp",
        )
        .extern_path(
            ".google.protobuf.Duration",
            "::tablesafe_client::wkt::Duration",
        )
        // GetHealth sends a response encoded once per snapshot (src/wire.rs).
        .extern_path(
            ".tablesafe.v1.GetHealthResponse",
            "crate::wire::EncodedHealth",
        )
        .extern_path(".tablesafe.v1", "::tablesafe_client::proto")
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
