//! Security promises through the real binary: private tables stay private,
//! metrics need the read token, paths cannot trick tablesafe into reading or
//! writing where it should not, and hostile clients get bounded answers.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::{http_get, Dirs, ServerProcess, ADMIN, READER};
use tablesafe_client::proto::{RunOutcome, TriggerBackupResponse};
use tablesafe_client::Client;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[tokio::test(flavor = "multi_thread")]
async fn copies_keep_the_tables_mode_and_tablesafes_directories_are_private() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[
        ("private", "set_10.dets"),
        ("shared", "set_10.dets"),
        ("read_only", "set_10.dets"),
    ]);
    let set_mode = |table: &str, mode: u32| {
        let path = dirs.data.join(format!("{table}.dets"));
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    set_mode("private", 0o600);
    set_mode("shared", 0o640);
    set_mode("read_only", 0o444);
    let backups = dirs.root.path().join("new/backups");
    let mut args = dirs.serve_args();
    args[3] = backups.display().to_string();
    let server = ServerProcess::spawn(dirs.root.path(), "", &args);
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let run = common::backed_up(&client, vec![], "modes").await;
    assert_eq!(run.outcome(), RunOutcome::Succeeded);
    for result in &run.tables {
        let want = match result.table.as_str() {
            "private" => 0o600,
            "read_only" => 0o444,
            _ => 0o640,
        };
        let copy = backups.join(&result.file_name);
        assert_eq!(mode(&copy), want, "{}", copy.display());
        let manifest = backups.join(format!("{}.json", result.file_name));
        assert_eq!(mode(&manifest), want, "{}", manifest.display());
    }
    for dir in [
        dirs.root.path().join("new"),
        backups.clone(),
        backups.join(".tablesafe"),
    ] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    for file in ["ledger.jsonl", "lock"] {
        assert_eq!(
            mode(&backups.join(".tablesafe").join(file)),
            0o600,
            "{file}"
        );
    }
}

/// `serve` flags for a config over `dirs` with `extra`, schedule off.
fn config_args(dirs: &Dirs, extra: &str) -> Vec<String> {
    let mut args = dirs.config_file(extra);
    args.extend(["--schedule".into(), "off".into()]);
    args
}

const WITH_READ_TOKEN: &str = "export TABLESAFE_READ_TOKEN=read-token-for-tests";

#[tokio::test(flavor = "multi_thread")]
async fn metrics_need_the_read_token_unless_made_public() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("secret_table", "set_10.dets")]);
    let server = ServerProcess::spawn(dirs.root.path(), WITH_READ_TOKEN, &config_args(&dirs, ""));
    let (status, body) = http_get(server.addr, "/metrics", None).await;
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("secret_table"), "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"], "UNAUTHENTICATED");
    let (status, body) = http_get(server.addr, "/metrics", Some(READER)).await;
    assert_eq!(status, 200);
    assert!(body.contains("secret_table"), "{body}");
    drop(server);

    let public = config_args(&dirs, "[metrics]\npublic = true");
    let server = ServerProcess::spawn(dirs.root.path(), WITH_READ_TOKEN, &public);
    let (status, body) = http_get(server.addr, "/metrics", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("secret_table"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_paths_are_404_and_malformed_or_huge_requests_are_invalid_argument() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let (status, body) = http_get(server.addr, "/no/such/path", None).await;
    assert_eq!(status, 404, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"], "NOT_FOUND");
    let (status, body) = http_get(server.addr, "/v1/health?refresh=yes", None).await;
    assert_eq!(status, 400, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"], "INVALID_ARGUMENT");

    // 16 KB of table names: a bounded error, not the names echoed back.
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let names: Vec<String> = (0..1000).map(|i| format!("no_such_table_{i:04}")).collect();
    let error = client.trigger_backup(names, "hostile").await.unwrap_err();
    assert_eq!(error.code(), Some(tonic::Code::InvalidArgument), "{error}");
    let message = error.to_string();
    assert!(message.len() < 1024, "{} bytes: {message}", message.len());
    assert!(
        message.contains("995 more") && message.contains("users"),
        "{message}"
    );
    let error = client
        .trigger_backup(vec![], "x".repeat(5000))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(tonic::Code::InvalidArgument), "{error}");

    // Bytes that are no protobuf message: the client's fault.
    let channel = tonic::transport::Endpoint::new(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let mut request = tonic::Request::new(NotATriggerRequest { tables: 7 });
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {ADMIN}").parse().unwrap());
    let status = grpc
        .unary::<_, TriggerBackupResponse, _>(
            request,
            "/tablesafe.v1.StorageAdmin/TriggerBackup".parse().unwrap(),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
}

/// Field 1 of `TriggerBackupRequest` is a repeated string; this sends a varint.
#[derive(Clone, PartialEq, prost::Message)]
struct NotATriggerRequest {
    #[prost(uint64, tag = "1")]
    tables: u64,
}

/// Reads until the server closes the connection; what it sent. Fails after
/// `within` (the bound of the test, not a measurement).
async fn read_until_closed(stream: &mut tokio::net::TcpStream, within: Duration) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("the server keeps a silent connection open");
    received
}

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The values of the first SETTINGS frame in `bytes` (HTTP/2 frames).
fn first_settings(bytes: &[u8]) -> Vec<(u16, u32)> {
    let mut at = 0;
    while at + 9 <= bytes.len() {
        let len = usize::from(bytes[at]) << 16
            | usize::from(bytes[at + 1]) << 8
            | usize::from(bytes[at + 2]);
        let (kind, flags) = (bytes[at + 3], bytes[at + 4]);
        let payload = &bytes[at + 9..(at + 9 + len).min(bytes.len())];
        if kind == 4 && flags & 1 == 0 {
            return payload
                .chunks_exact(6)
                .map(|c| {
                    (
                        u16::from_be_bytes([c[0], c[1]]),
                        u32::from_be_bytes([c[2], c[3], c[4], c[5]]),
                    )
                })
                .collect();
        }
        at += 9 + len;
    }
    Vec::new()
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_and_preface_only_connections_are_closed_and_connections_are_capped() {
    use tokio::io::AsyncWriteExt;
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let args = config_args(
        &dirs,
        "[server]\nmax_connections = 3\nfirst_byte_timeout = \"1s\"\nkeepalive_interval = \"1s\"",
    );
    let server = ServerProcess::spawn(dirs.root.path(), "", &args);
    let bound = Duration::from_secs(20);

    // Sends nothing at all.
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // Sends the HTTP/2 preface, then nothing: not even the SETTINGS ack.
    let mut preface = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    preface.write_all(PREFACE).await.unwrap();
    preface
        .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
        .await
        .unwrap();
    // A third takes the last place; a fourth is closed at once.
    let mut third = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut fourth = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let refused = read_until_closed(&mut fourth, bound).await;
    assert!(refused.is_empty());

    let from_server = read_until_closed(&mut preface, bound).await;
    let settings = first_settings(&from_server);
    // SETTINGS_MAX_CONCURRENT_STREAMS is advertised, and bounded.
    assert!(
        settings.contains(&(3, tablesafe::server::MAX_CONCURRENT_STREAMS)),
        "{settings:?}"
    );
    assert!(read_until_closed(&mut silent, bound).await.is_empty());
    assert!(read_until_closed(&mut third, bound).await.is_empty());

    // Places free again: a real client gets in and is served.
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let run = common::backed_up(&client, vec![], "after").await;
    assert_eq!(run.outcome(), RunOutcome::Succeeded);
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.contains("connection limit reached"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn running_out_of_file_descriptors_is_logged_with_the_os_error_and_survived() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let server = ServerProcess::spawn(dirs.root.path(), "ulimit -n 64", &dirs.serve_args());
    let mut held = Vec::new();
    for _ in 0..80 {
        if let Ok(stream) = tokio::net::TcpStream::connect(server.addr).await {
            held.push(stream);
        }
    }
    // The accept loop reports EMFILE in its log; wait for that line.
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let log = std::fs::read_to_string(&server.log).unwrap();
            if log.contains("cannot accept connections") {
                assert!(log.contains("Too many open files"), "{log}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the accept failure is logged");
    drop(held);
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let run = common::backed_up(&client, vec![], "after").await;
    assert_eq!(run.outcome(), RunOutcome::Succeeded);
}

#[tokio::test(flavor = "multi_thread")]
async fn symlinks_leading_out_of_a_data_directory_are_not_followed_unless_configured() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let elsewhere = dirs.root.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::copy(
        testkit::fixture("set_10.dets"),
        elsewhere.join("secret.dets"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        elsewhere.join("secret.dets"),
        dirs.data.join("planted.dets"),
    )
    .unwrap();
    std::os::unix::fs::symlink(dirs.data.join("users.dets"), dirs.data.join("alias.dets")).unwrap();

    let tables = |run: tablesafe_client::proto::BackupRun| -> Vec<String> {
        let mut t: Vec<_> = run.tables.into_iter().map(|r| r.table).collect();
        t.sort();
        t
    };
    let server = ServerProcess::spawn(dirs.root.path(), "", &config_args(&dirs, ""));
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let run = common::backed_up(&client, vec![], "links").await;
    assert_eq!(tables(run), ["alias", "users"], "a link inside is a table");
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.contains("leads out of the data directory") && log.contains("planted.dets"),
        "{log}"
    );
    drop(server);

    let follow = config_args(&dirs, "follow_symlinks = true");
    let server = ServerProcess::spawn(dirs.root.path(), "", &follow);
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let run = common::backed_up(&client, vec![], "links").await;
    assert_eq!(tables(run), ["alias", "planted", "users"]);
}
