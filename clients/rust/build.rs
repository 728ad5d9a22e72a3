//! Compiles the tablesafe proto with protox (no system protoc): message types
//! with proto3 JSON (serde, via pbjson) and the client stubs.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler
        .include_source_info(true)
        .include_imports(true)
        .open_file("tablesafe/v1/storage_admin.proto")?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        .compile_well_known_types(true)
        .extern_path(".google.protobuf.Timestamp", "crate::wkt::Timestamp")
        .extern_path(".google.protobuf.Duration", "crate::wkt::Duration")
        .compile_fds(compiler.file_descriptor_set())?;
    pbjson_build::Builder::new()
        .out_dir(&out_dir)
        .register_descriptors(&compiler.encode_file_descriptor_set())?
        .extern_path(".google.protobuf.Timestamp", "crate::wkt::Timestamp")
        .extern_path(".google.protobuf.Duration", "crate::wkt::Duration")
        .build(&[".tablesafe"])?;
    Ok(())
}
