//! Writes a fresh CA and a server certificate it signed for `localhost` and
//! `127.0.0.1` into DIR, for the SDK suites' TLS tests:
//! `ca.pem`, `server.pem`, `server.key`.
//!
//! usage: cargo run -p testkit --bin make-test-certs -- DIR

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: make-test-certs DIR")?,
    );
    std::fs::create_dir_all(&dir)?;
    let ca = testkit::tls::Ca::new()?;
    let server = ca.sign(&["localhost", "127.0.0.1"])?;
    std::fs::write(dir.join("ca.pem"), &ca.pem)?;
    std::fs::write(dir.join("server.pem"), &server.cert_pem)?;
    std::fs::write(dir.join("server.key"), &server.key_pem)?;
    Ok(())
}
