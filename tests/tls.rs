//! TLS: the server on rustls with a real certificate chain; the Rust SDK and
//! the CLI trust the CA; plaintext and untrusted clients are refused; with a
//! client CA configured, only clients with a signed certificate get in.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::{Dirs, TestServer, ADMIN};
use tablesafe::config::TlsFiles;
use tablesafe_client::proto::RunOutcome;
use tablesafe_client::{Client, TlsOptions};
use testkit::tls::Ca;
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn tls_and_client_certificates() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let ca = Ca::new().unwrap();
    let ca_pem = ca.pem.clone();
    let server_cert = ca.sign(&["localhost"]).unwrap();
    let mut config = dirs.config();
    config.tls = Some(TlsFiles {
        cert: server_cert.cert_pem.into(),
        key: server_cert.key_pem.into(),
        client_ca: None,
    });
    let server = TestServer::start(config).await;
    let url = format!("https://localhost:{}", server.addr.port());

    let trusted = TlsOptions {
        ca_pem: ca_pem.clone().into(),
        ..Default::default()
    };
    let client = Client::connect_tls(&url, Some(ADMIN), &trusted)
        .await
        .unwrap();
    let run = common::backed_up(&client, vec![], "over tls").await;
    assert_eq!(run.outcome(), RunOutcome::Succeeded);

    // Plaintext, or a CA that did not sign the server's certificate: no connection.
    let plain = Client::connect(&format!("http://{}", server.addr), Some(ADMIN)).await;
    assert!(plain.is_err() || plain.unwrap().list_runs(0).await.is_err());
    let untrusted = TlsOptions {
        ca_pem: Ca::new().unwrap().pem.into(),
        ..Default::default()
    };
    assert!(Client::connect_tls(&url, Some(ADMIN), &untrusted)
        .await
        .is_err());

    // The CLI trusts the CA given with --ca-cert.
    let ca_file = dirs.root.path().join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .args(["runs", "--json", "--server", &url, "--ca-cert"])
        .arg(&ca_file)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&run.run_id));
    server.stop().await;

    // Mutual TLS: a client certificate signed by the client CA is required.
    let client_ca = Ca::new().unwrap();
    let operator = client_ca.sign(&["operator"]).unwrap();
    let server_cert = ca.sign(&["localhost"]).unwrap();
    let mut config = dirs.config();
    config.tls = Some(TlsFiles {
        cert: server_cert.cert_pem.into(),
        key: server_cert.key_pem.into(),
        client_ca: Some(client_ca.pem.into()),
    });
    let server = TestServer::start(config).await;
    let url = format!("https://localhost:{}", server.addr.port());
    let anonymous = Client::connect_tls(&url, None, &trusted).await;
    assert!(
        anonymous.is_err() || anonymous.unwrap().list_runs(0).await.is_err(),
        "no client certificate, no access"
    );
    let with_identity = TlsOptions {
        identity: Some((operator.cert_pem.into(), operator.key_pem.into())),
        ..trusted
    };
    let client = Client::connect_tls(&url, None, &with_identity)
        .await
        .unwrap();
    assert_eq!(client.list_runs(0).await.unwrap().len(), 1);
    server.stop().await;
}
