//! Offsite copies against a real three-node Garage cluster on loopback
//! (replication factor 3): two tablesafe hosts share one bucket, each writes
//! and prunes only its own copies, what is stored downloads as the very copy
//! (Erlang opens it with `{repair,false}` and its digest is the manifest's),
//! uploads go on with one node down, and an unreachable store or refused
//! credentials leave local backups alone and show in health until uploads
//! resume.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{backed_up, sha256, Dirs, Holder, ServerProcess, SmallFs, TestServer, ADMIN};
use tablesafe::config::{Config, FileConfig, OffsiteSection};
use tablesafe_client::proto::{event, Event, EventKind, IssueCode, WatchEventsRequest};
use tablesafe_client::Client;
use tablesafe_engine::offsite::{
    Destination, DestinationConfig, Identity, Remote, RemoteCopy, RemoteStore,
};
use tablesafe_engine::store::{BackupName, Manifest};
use testkit::garage::GarageCluster;

const PREFIX: &str = "tablesafe";

/// A server config over `dirs` with one destination at `endpoint`.
fn config(
    dirs: &Dirs,
    host: &str,
    endpoint: &str,
    (key_id, secret): (&str, &str),
    bucket: &str,
    tune: impl FnOnce(&mut OffsiteSection),
) -> Config {
    let mut offsite = OffsiteSection {
        name: Some("garage".into()),
        endpoint: endpoint.into(),
        region: Some("garage".into()),
        bucket: bucket.into(),
        prefix: Some(PREFIX.into()),
        path_style: true,
        allow_http: true,
        host: Some(host.into()),
        keep: Some(2),
        retry_interval: Some("300ms".into()),
        part_size_bytes: Some(5 << 20),
        ..Default::default()
    };
    tune(&mut offsite);
    let file = FileConfig {
        offsite: vec![offsite],
        ..dirs.file_config()
    };
    common::resolve(file, &move |name| match name {
        "AWS_ACCESS_KEY_ID" => Some(key_id.to_owned()),
        "AWS_SECRET_ACCESS_KEY" => Some(secret.to_owned()),
        _ => None,
    })
}

/// `[[offsite]]` for a config file at `endpoint`, its credentials in a file
/// under `dir`, then `extra` lines.
fn offsite_toml(
    dir: &std::path::Path,
    garage: &GarageCluster,
    endpoint: &str,
    host: &str,
    extra: &str,
) -> String {
    let credentials = dir.join(format!("credentials-{host}.toml"));
    std::fs::write(
        &credentials,
        format!(
            "access_key_id = {:?}\nsecret_access_key = {:?}\n",
            garage.key_id(),
            garage.secret()
        ),
    )
    .unwrap();
    format!(
        "[[offsite]]\nname = \"garage\"\nendpoint = {endpoint:?}\nregion = \"garage\"\nbucket = {:?}\nprefix = {PREFIX:?}\npath_style = true\nallow_http = true\nhost = {host:?}\ncredentials_file = {:?}\nretry_interval = \"300ms\"\npart_size_bytes = {}\n{extra}\n",
        garage.bucket(),
        credentials.display().to_string(),
        5 << 20
    )
}

/// `tablesafe restore TABLE --from-offsite --config CONFIG ARGS...` as an
/// operator runs it, the store's credentials only in the config's file:
/// (whether it succeeded, stdout, stderr).
fn offsite_restore_cli(
    config: &std::path::Path,
    table: &str,
    args: &[&std::ffi::OsStr],
) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .args(["restore", table, "--from-offsite", "--config"])
        .arg(config)
        .args(args)
        .env("TABLESAFE_TOKEN", ADMIN)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `tablesafe restore TABLE --from-offsite --config CONFIG --to TO ARGS...`.
fn restore_from_offsite(
    config: &std::path::Path,
    table: &str,
    to: &std::path::Path,
    args: &[&str],
) -> (bool, String, String) {
    let mut all = vec!["--to".as_ref(), to.as_os_str()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    offsite_restore_cli(config, table, &all)
}

/// Writes `identity` (its secret key) to `path`, as `--identity` reads it.
fn write_identity(path: &std::path::Path, identity: &Identity) {
    let secret = age::secrecy::ExposeSecret::expose_secret(&identity.to_string()).to_owned();
    std::fs::write(path, format!("{secret}\n")).unwrap();
}

/// Real Erlang's digest of the one file in `dir` (opened with `{repair,false}`).
fn erlang_digest(dir: &std::path::Path) -> Option<(u64, u64)> {
    let tool = testkit::DetsTool::find()?;
    let digests = tool.digests(dir);
    assert_eq!(
        digests.len(),
        1,
        "one file in {}: {digests:?}",
        dir.display()
    );
    let d = &digests[0];
    assert!(d.accepted, "Erlang refused {}: {:?}", d.file, d.error);
    Some((d.objects.unwrap(), d.sum.unwrap()))
}

/// The bucket as the tests read it, with the cluster's key.
fn remote(garage: &GarageCluster) -> Remote {
    Remote::new(Destination {
        config: DestinationConfig::new("check", PREFIX, "unused"),
        store: bucket(garage),
    })
}

/// The bucket's client, with the cluster's key.
fn bucket(garage: &GarageCluster) -> std::sync::Arc<dyn RemoteStore> {
    common::garage_bucket(garage)
}

/// Offsite events from now on.
async fn offsite_events(client: &Client) -> tonic::Streaming<Event> {
    client
        .watch_events(WatchEventsRequest {
            kinds: vec![
                EventKind::OffsiteCopied as i32,
                EventKind::OffsiteFailed as i32,
            ],
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The next offsite event (heartbeats skipped), within two minutes.
async fn next_offsite(stream: &mut tonic::Streaming<Event>) -> event::Payload {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let event = tokio::time::timeout_at(deadline, stream.message())
            .await
            .expect("an offsite event within 2 minutes")
            .unwrap()
            .expect("the stream goes on");
        if let Some(p @ (event::Payload::OffsiteCopied(_) | event::Payload::OffsiteFailed(_))) =
            event.payload
        {
            return p;
        }
    }
}

/// The next `n` offsite-copied events (file names), failing on a failed one
/// unless `failures_allowed`.
async fn copied(
    stream: &mut tonic::Streaming<Event>,
    n: usize,
    failures_allowed: bool,
) -> Vec<String> {
    let mut files = Vec::new();
    while files.len() < n {
        let payload = next_offsite(stream).await;
        match payload {
            event::Payload::OffsiteCopied(c) => files.push(c.file_name),
            event::Payload::OffsiteFailed(f) if failures_allowed => {
                eprintln!("(allowed) {:?} failed: {}", f.file_name, f.message)
            }
            event::Payload::OffsiteFailed(f) => {
                panic!("{:?} not stored: {}", f.file_name, f.message)
            }
            _ => {}
        }
    }
    files
}

/// The next offsite-failed event's message.
async fn failed(stream: &mut tonic::Streaming<Event>) -> String {
    match next_offsite(stream).await {
        event::Payload::OffsiteFailed(f) => f.message,
        other => panic!("stored: {other:?}"),
    }
}

/// Server logs in the test's output.
fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("tablesafe_engine=info")
        .with_test_writer()
        .try_init();
}

/// A host's remote copies with manifests, by table, newest first.
async fn stored(remote: &Remote, host: &str) -> BTreeMap<String, Vec<String>> {
    remote
        .list(host)
        .await
        .unwrap()
        .into_iter()
        .map(|(table, copies)| {
            let files = copies
                .iter()
                .filter(|c: &&RemoteCopy| c.has_manifest)
                .map(|c| c.name.file_name())
                .collect();
            (table, files)
        })
        .collect()
}

/// The newest local backup of `table`.
fn newest_file(dirs: &Dirs, table: &str) -> String {
    dirs.backup_files()
        .iter()
        .filter_map(|f| BackupName::parse(f))
        .filter(|n| n.table == table)
        .max_by(|a, b| (&a.at, a.seq).cmp(&(&b.at, b.seq)))
        .unwrap()
        .file_name()
}

fn local_manifest(dirs: &Dirs, file: &str) -> Manifest {
    serde_json::from_slice(&std::fs::read(dirs.backups.join(format!("{file}.json"))).unwrap())
        .unwrap()
}

/// Downloads every copy `host` has, checks each against its local manifest,
/// and has real Erlang open every one with `{repair,false}`: its digest must
/// be the manifest's.
async fn check_downloads(remote: &Remote, host: &str, dirs: &Dirs) -> usize {
    let out = tempfile::tempdir().unwrap();
    let mut manifests = BTreeMap::new();
    for files in stored(remote, host).await.values() {
        for file in files {
            let name = BackupName::parse(file).unwrap();
            let manifest = remote
                .download_to(host, &name, &[], &out.path().join(file))
                .await
                .unwrap();
            assert_eq!(manifest.host, host);
            let local = local_manifest(dirs, file);
            assert_eq!(
                manifest.local, local,
                "{file}: the remote manifest carries the local one"
            );
            manifests.insert(file.clone(), local);
        }
    }
    if let Some(tool) = testkit::DetsTool::find() {
        for digest in tool.digests(out.path()) {
            let manifest = &manifests[&digest.file];
            let want = manifest.digest.unwrap();
            assert!(
                digest.accepted,
                "Erlang refused {}: {:?}",
                digest.file, digest.error
            );
            assert_eq!(
                (digest.objects, digest.sum),
                (Some(want.objects), Some(want.sum)),
                "{}: Erlang's digest of the downloaded copy",
                digest.file
            );
        }
    }
    manifests.len()
}

/// The `offsite` component of a health report.
fn offsite_component(
    health: &tablesafe_client::proto::GetHealthResponse,
) -> &tablesafe_client::proto::ComponentHealth {
    health
        .components
        .iter()
        .find(|c| c.name == "offsite")
        .expect("an offsite component")
}

async fn health_of(client: &Client, table: &str) -> tablesafe_client::proto::TableHealth {
    let health = client.get_health(true).await.unwrap();
    health.tables.into_iter().find(|t| t.name == table).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_share_a_replicated_bucket_and_keep_uploading_with_a_node_down() {
    logs();
    let Some(mut garage) = GarageCluster::start(3, 3) else {
        return;
    };
    let key = (garage.key_id().to_owned(), garage.secret().to_owned());
    let key = (key.0.as_str(), key.1.as_str());
    let (a_dirs, b_dirs) = (Dirs::new(), Dirs::new());
    a_dirs.add_fixtures(&[("users", "set_10.dets"), ("orders", "bag_100.dets")]);
    b_dirs.add_fixtures(&[("users", "dup_bag_50.dets")]);
    let a = TestServer::start(config(
        &a_dirs,
        "host-a",
        &garage.endpoint(),
        key,
        garage.bucket(),
        |_| {},
    ))
    .await;
    let b = TestServer::start(config(
        &b_dirs,
        "host-b",
        &garage.endpoint_of(1),
        key,
        garage.bucket(),
        |_| {},
    ))
    .await;
    let (a_client, b_client) = (a.client(Some(ADMIN)).await, b.client(Some(ADMIN)).await);
    let (mut a_events, mut b_events) = (
        offsite_events(&a_client).await,
        offsite_events(&b_client).await,
    );

    backed_up(&a_client, vec![], "first").await;
    backed_up(&b_client, vec![], "first").await;
    let mut a_files = copied(&mut a_events, 2, false).await;
    a_files.sort();
    assert_eq!(a_files, {
        let mut local = a_dirs.backup_files();
        local.sort();
        local
    });
    copied(&mut b_events, 1, false).await;

    let remote = remote(&garage);
    // Each host's copies under its own name: the same table name of two hosts
    // is two tables.
    let a_stored = stored(&remote, "host-a").await;
    let b_stored = stored(&remote, "host-b").await;
    assert_eq!(a_stored.keys().collect::<Vec<_>>(), ["orders", "users"]);
    assert_eq!(b_stored.keys().collect::<Vec<_>>(), ["users"]);
    assert_eq!(check_downloads(&remote, "host-a", &a_dirs).await, 2);
    assert_eq!(check_downloads(&remote, "host-b", &b_dirs).await, 1);

    // Health shows the copy, current, nothing pending.
    let users = health_of(&a_client, "users").await;
    let offsite = &users.offsite[0];
    assert_eq!(
        (
            offsite.destination.as_str(),
            offsite.copies,
            offsite.pending
        ),
        ("garage", 1, 0)
    );
    assert!(offsite.last_copy_at.is_some() && offsite.last_error.is_empty());

    // Listed once now, so that the manifests read are kept: what retention
    // deletes next must not be listed again from them.
    let before = a_client
        .list_backups_with_offsite(Some("users"))
        .await
        .unwrap();
    assert_eq!(
        before.iter().filter(|b| b.destination == "garage").count(),
        1,
        "{before:?}"
    );

    // Remote retention: host a keeps its 2 newest of each table, host b's
    // copy is not touched by host a's pruning.
    for reason in ["second", "third"] {
        backed_up(&a_client, vec!["users".into()], reason).await;
        copied(&mut a_events, 1, false).await;
    }
    until_stored(&a_client, "users", 2).await;
    let a_stored = stored(&remote, "host-a").await;
    let mut local_users: Vec<BackupName> = a_dirs
        .backup_files()
        .iter()
        .filter_map(|f| BackupName::parse(f))
        .filter(|n| n.table == "users")
        .collect();
    local_users.sort_by(|a, b| (&b.at, b.seq).cmp(&(&a.at, a.seq)));
    let local_users: Vec<String> = local_users.iter().map(BackupName::file_name).collect();
    assert_eq!(
        a_stored["users"],
        local_users[..2].to_vec(),
        "the 2 newest of host a's users copies"
    );
    assert_eq!(a_stored["orders"].len(), 1);
    assert_eq!(
        stored(&remote, "host-b").await,
        b_stored,
        "host b's copies are untouched"
    );

    // ListBackups and the CLI show the local copies and the remote ones.
    let listed = a_client
        .list_backups_with_offsite(Some("users"))
        .await
        .unwrap();
    let local: Vec<&str> = listed
        .iter()
        .filter(|b| b.destination.is_empty())
        .map(|b| b.file_name.as_str())
        .collect();
    let remote_listed: Vec<&str> = listed
        .iter()
        .filter(|b| b.destination == "garage")
        .map(|b| b.file_name.as_str())
        .collect();
    assert_eq!(local.len(), 3);
    assert_eq!(
        remote_listed,
        a_stored["users"]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    assert!(listed
        .iter()
        .filter(|b| !b.destination.is_empty())
        .all(|b| b.verified
            && b.digest.is_some()
            && b.object.starts_with("tablesafe/host-a/users/")));
    // A crowd of callers gets the same answer (they take turns at the store).
    let crowd = (0..32).map(|_| a_client.list_backups_with_offsite(Some("users")));
    for answer in futures_util::future::join_all(crowd).await {
        assert_eq!(answer.unwrap(), listed);
    }
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .args([
            "backups",
            "--offsite",
            "--table",
            "users",
            "--server",
            &a.url(),
        ])
        .env("TABLESAFE_TOKEN", ADMIN)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&cli.stdout);
    assert!(cli.status.success(), "{text}");
    assert_eq!(
        text.lines()
            .filter(|l| l.trim_end().ends_with("garage"))
            .count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.trim_end().ends_with("local"))
            .count(),
        3,
        "{text}"
    );

    // One node of three down: uploads go on, and the copies download from the
    // other two.
    garage.stop_node(2);
    backed_up(&a_client, vec!["orders".into()], "node down").await;
    copied(&mut a_events, 1, true).await;
    until_stored(&a_client, "orders", 2).await;
    assert_eq!(stored(&remote, "host-a").await["orders"].len(), 2);
    assert_eq!(check_downloads(&remote, "host-a", &a_dirs).await, 4);

    // A third, empty machine restores host a's newest users copy from the
    // two nodes left; Erlang opens it and its digest is the backup's.
    let third = tempfile::tempdir().unwrap();
    let config = third.path().join("tablesafe.toml");
    std::fs::write(
        &config,
        offsite_toml(third.path(), &garage, &garage.endpoint_of(1), "host-c", ""),
    )
    .unwrap();
    let restored = tempfile::tempdir().unwrap();
    let target = restored.path().join("users.dets");
    // Restores killed midway left their staging beside the target: this one
    // removes that of a process that is gone, not that of a running one.
    let gone = restored
        .path()
        .join(".tablesafe-offsite-4294967295-0badc0de");
    let running = restored.path().join(format!(
        ".tablesafe-offsite-{}-0badc0de",
        std::process::id()
    ));
    for staging in [&gone, &running] {
        std::fs::create_dir(staging).unwrap();
        std::fs::write(staging.join("users.dets"), b"half a download").unwrap();
    }
    let (ok, stdout, stderr) =
        restore_from_offsite(&config, "users", &target, &["--host", "host-a"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("restored"), "{stdout}");
    assert!(!gone.exists(), "the staging of a process that is gone");
    assert!(running.exists(), "the staging of a running process");
    std::fs::remove_dir_all(&running).unwrap();
    let newest = &stored(&remote, "host-a").await["users"][0];
    let want = local_manifest(&a_dirs, newest).digest.unwrap();
    if let Some(digest) = erlang_digest(restored.path()) {
        assert_eq!(
            digest,
            (want.objects, want.sum),
            "Erlang's digest of the restored file"
        );
    }
    assert_eq!(
        std::fs::read_dir(restored.path()).unwrap().count(),
        1,
        "only the restored file is left"
    );
    // The target is never replaced without --force.
    let (ok, _, stderr) = restore_from_offsite(&config, "users", &target, &["--host", "host-a"]);
    assert!(!ok && stderr.contains("--force"), "{stderr}");
    garage.start_node(2);

    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_leaves_local_backups_alone_and_uploads_resume_when_it_returns() {
    logs();
    let Some(mut garage) = GarageCluster::start(1, 1) else {
        return;
    };
    let key = (garage.key_id().to_owned(), garage.secret().to_owned());
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let endpoint = garage.endpoint();
    garage.stop_node(0);
    let server = TestServer::start(config(
        &dirs,
        "host-a",
        &endpoint,
        (&key.0, &key.1),
        garage.bucket(),
        |o| {
            o.stale_after = Some("30m".into());
        },
    ))
    .await;
    let client = server.client(Some(ADMIN)).await;
    let mut events = offsite_events(&client).await;

    let run = backed_up(&client, vec![], "store down").await;
    assert_eq!(
        run.succeeded, 1,
        "the local backup does not wait for the store"
    );
    let message = failed(&mut events).await;
    assert!(!message.is_empty());
    // The copy waits in the local directory; once it has waited longer than
    // stale_after (its capture moved an hour back), health says so, and why.
    dirs.shift_backups("users", -chrono::Duration::hours(1));
    // A pass may have listed the directory while the copy was moved; the
    // one after the next started after it.
    failed(&mut events).await;
    failed(&mut events).await;
    let users = health_of(&client, "users").await;
    let codes: Vec<i32> = users.issues.iter().map(|i| i.code).collect();
    assert!(
        codes.contains(&(IssueCode::OffsiteFailed as i32)),
        "{:?}",
        users.issues
    );
    assert!(
        codes.contains(&(IssueCode::OffsiteLagging as i32)),
        "{:?}",
        users.issues
    );
    assert_eq!(users.offsite[0].pending, 1);
    assert_eq!(dirs.backup_files().len(), 1, "the local copy is kept");

    // The store comes back at that address: the queued copy goes up. The
    // newest copy there is an hour old: still lagging, no longer failing.
    garage.start_node(0);
    let files = copied(&mut events, 1, true).await;
    assert_eq!(files, dirs.backup_files());
    let users = health_of(&client, "users").await;
    let codes: Vec<i32> = users.issues.iter().map(|i| i.code).collect();
    assert_eq!(
        codes,
        [IssueCode::OffsiteLagging as i32],
        "{:?}",
        users.issues
    );
    assert_eq!((users.offsite[0].copies, users.offsite[0].pending), (1, 0));
    // A fresh backup goes up at once: the table is current there.
    backed_up(&client, vec![], "store back").await;
    copied(&mut events, 1, false).await;
    let users = health_of(&client, "users").await;
    assert!(
        users
            .issues
            .iter()
            .all(|i| i.code != IssueCode::OffsiteFailed as i32
                && i.code != IssueCode::OffsiteLagging as i32),
        "{:?}",
        users.issues
    );
    assert_eq!((users.offsite[0].copies, users.offsite[0].pending), (2, 0));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_are_a_clear_error_in_health() {
    logs();
    let Some(garage) = GarageCluster::start(1, 1) else {
        return;
    };
    let (stranger, secret) = garage.create_key("stranger");
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let server = TestServer::start(config(
        &dirs,
        "host-a",
        &garage.endpoint(),
        (&stranger, &secret),
        garage.bucket(),
        |_| {},
    ))
    .await;
    let client = server.client(Some(ADMIN)).await;
    let mut events = offsite_events(&client).await;
    backed_up(&client, vec![], "no grant").await;
    let message = failed(&mut events).await;
    assert!(
        message.contains("403")
            || message.to_lowercase().contains("denied")
            || message.to_lowercase().contains("forbidden"),
        "the store's refusal is named: {message}"
    );
    let health = client.get_health(true).await.unwrap();
    let offsite = offsite_component(&health);
    assert!(
        offsite
            .issues
            .iter()
            .any(|i| i.code == IssueCode::OffsiteFailed as i32)
            || health.tables[0]
                .issues
                .iter()
                .any(|i| i.code == IssueCode::OffsiteFailed as i32),
        "{health:?}"
    );
    server.stop().await;
}

/// Every object in the bucket, with its bytes.
async fn every_object(store: &dyn RemoteStore) -> Vec<(String, Vec<u8>)> {
    use futures_util::StreamExt as _;
    use object_store::ObjectStoreExt as _;
    let mut objects = Vec::new();
    let mut listing = store.list(None);
    while let Some(meta) = listing.next().await {
        let meta = meta.unwrap();
        let bytes = store
            .get(&meta.location)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        objects.push((meta.location.to_string(), bytes.to_vec()));
    }
    objects
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_copies_leave_no_plaintext_in_the_store_and_restore_only_with_the_identity() {
    logs();
    let Some(garage) = GarageCluster::start(1, 1) else {
        return;
    };
    let identity = Identity::generate();
    let recipient = identity.to_public().to_string();
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("orders", "bag_100.dets")]);
    let keys = dirs.root.path().join("recipients.txt");
    std::fs::write(
        &keys,
        format!("# the restore key's public half\n{recipient}\n"),
    )
    .unwrap();
    let key = (garage.key_id().to_owned(), garage.secret().to_owned());
    let server = TestServer::start(config(
        &dirs,
        "host-a",
        &garage.endpoint(),
        (&key.0, &key.1),
        garage.bucket(),
        |o| {
            o.compression = Some("zstd".into());
            o.recipients_file = Some(keys.clone());
        },
    ))
    .await;
    let client = server.client(Some(ADMIN)).await;
    let mut events = offsite_events(&client).await;
    backed_up(&client, vec![], "sealed").await;
    copied(&mut events, 1, false).await;

    // No 24-byte run of the table's file is in any object the store holds
    // (artifacts and manifests alike).
    let table = std::fs::read(dirs.data.join("orders.dets")).unwrap();
    let runs: std::collections::HashSet<&[u8]> = table
        .windows(24)
        .filter(|w| w.iter().any(|&b| b != 0))
        .collect();
    let objects: Vec<(String, Vec<u8>)> = every_object(&*bucket(&garage))
        .await
        .into_iter()
        .filter(|o| !o.0.ends_with("/.tablesafe-host.json"))
        .collect();
    assert_eq!(
        objects.len(),
        2,
        "an artifact and its manifest: {:?}",
        objects.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    for (key, bytes) in &objects {
        let leaked = bytes.windows(24).filter(|w| runs.contains(w)).count();
        assert_eq!(
            leaked, 0,
            "{key} holds {leaked} runs of the table's plaintext"
        );
    }
    let artifact = objects.iter().find(|o| o.0.ends_with(".tsa")).unwrap();
    assert!(artifact.1.starts_with(b"tablesafe artifact\n"));
    let header = String::from_utf8_lossy(&artifact.1[..200]).into_owned();
    assert!(
        header.contains(r#""compression":"zstd","encryption":"age""#)
            && header.contains(&recipient),
        "{header}"
    );
    server.stop().await;

    // Restoring needs the identity: without it, or with another, the command
    // says so and writes nothing; with it, Erlang opens the file.
    let config = dirs.root.path().join("restore.toml");
    std::fs::write(
        &config,
        offsite_toml(dirs.root.path(), &garage, &garage.endpoint(), "host-a", ""),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("orders.dets");
    let (ok, _, stderr) = restore_from_offsite(&config, "orders", &target, &[]);
    assert!(
        !ok && stderr.contains("encrypted to") && stderr.contains(&recipient),
        "{stderr}"
    );
    let stranger = dirs.root.path().join("stranger.key");
    write_identity(&stranger, &Identity::generate());
    let (ok, _, stderr) = restore_from_offsite(
        &config,
        "orders",
        &target,
        &["--identity", stranger.to_str().unwrap()],
    );
    assert!(!ok && stderr.contains("no identity given"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "nothing written"
    );
    let secret = dirs.root.path().join("restore.key");
    write_identity(&secret, &identity);
    let (ok, stdout, stderr) = restore_from_offsite(
        &config,
        "orders",
        &target,
        &["--identity", secret.to_str().unwrap()],
    );
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(dirs.backups.join(&dirs.backup_files()[0])).unwrap()
    );
    let want = local_manifest(&dirs, &dirs.backup_files()[0])
        .digest
        .unwrap();
    if let Some(digest) = erlang_digest(out.path()) {
        assert_eq!(digest, (want.objects, want.sum));
    }
}

/// `tablesafe restore TABLE --from-offsite --config CONFIG --in-place ARGS...`
/// against the server at `server`.
fn restore_in_place_from_offsite(
    config: &std::path::Path,
    table: &str,
    server: std::net::SocketAddr,
    args: &[&str],
) -> (bool, String, String) {
    let url = format!("http://{server}");
    let all: Vec<&std::ffi::OsStr> = ["--in-place", "--server", url.as_str()]
        .into_iter()
        .chain(args.iter().copied())
        .map(std::ffi::OsStr::new)
        .collect();
    offsite_restore_cli(config, table, &all)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_encrypted_remote_copy_restores_in_place_through_the_server_after_the_local_copies_are_lost(
) {
    logs();
    let Some(garage) = GarageCluster::start(1, 1) else {
        return;
    };
    let identity = Identity::generate();
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("orders", "bag_100.dets")]);
    let live = dirs.data.join("orders.dets");
    let original = std::fs::read(&live).unwrap();
    let key = (garage.key_id().to_owned(), garage.secret().to_owned());
    let recipient = identity.to_public().to_string();
    let server = TestServer::start(config(
        &dirs,
        "host-a",
        &garage.endpoint(),
        (&key.0, &key.1),
        garage.bucket(),
        |o| o.recipients = vec![recipient.clone()],
    ))
    .await;
    let client = server.client(Some(ADMIN)).await;
    let mut events = offsite_events(&client).await;
    backed_up(&client, vec![], "before the disk is lost").await;
    let file = copied(&mut events, 1, false).await.remove(0);
    let want = local_manifest(&dirs, &file).digest.unwrap();

    // The backup volume's copies are gone, and the table's file is damaged.
    for name in std::fs::read_dir(&dirs.backups).unwrap() {
        let path = name.unwrap().path();
        if path.is_file()
            && path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("orders_")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    assert!(dirs.backup_files().is_empty());
    let mut damaged = original.clone();
    damaged.truncate(damaged.len() / 2);
    std::fs::write(&live, &damaged).unwrap();

    let config = dirs.root.path().join("restore.toml");
    dirs.config_file(&offsite_toml(
        dirs.root.path(),
        &garage,
        &garage.endpoint(),
        "host-a",
        &format!("recipients = [{recipient:?}]"),
    ));
    std::fs::rename(dirs.root.path().join("tablesafe.toml"), &config).unwrap();
    let secret = dirs.root.path().join("restore.key");
    write_identity(&secret, &identity);
    let with_key = ["--identity", secret.to_str().unwrap()];

    // A dry run downloads, checks and asks the server for its plan, and
    // leaves everything as it was.
    let dry: Vec<&str> = with_key.iter().copied().chain(["--dry-run"]).collect();
    let (ok, stdout, stderr) = restore_in_place_from_offsite(&config, "orders", server.addr, &dry);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("garage:host-a/orders/{file}")),
        "{stdout}"
    );
    assert_eq!(std::fs::read(&live).unwrap(), damaged);
    assert!(dirs.backup_files().is_empty(), "{:?}", dirs.backup_files());

    // Without the identity: refused before anything reaches the server,
    // nothing imported.
    let (ok, _, stderr) = restore_in_place_from_offsite(&config, "orders", server.addr, &[]);
    assert!(!ok && stderr.contains("encrypted to"), "{stderr}");
    assert!(dirs.backup_files().is_empty(), "{:?}", dirs.backup_files());

    // A process holding the file: the server refuses and the file stays as
    // it was; the proved copy stays imported, for the next attempt.
    let holder = Holder::open(&live);
    let (ok, _, stderr) = restore_in_place_from_offsite(&config, "orders", server.addr, &with_key);
    drop(holder);
    assert!(!ok && stderr.contains("open in process"), "{stderr}");
    assert!(stderr.contains("stays in the backup directory"), "{stderr}");
    assert_eq!(std::fs::read(&live).unwrap(), damaged);
    assert_eq!(dirs.backup_files(), std::slice::from_ref(&file));

    // Another file under the copy's name is never replaced.
    let imported = dirs.backups.join(&file);
    let good = std::fs::read(&imported).unwrap();
    let mut other = good.clone();
    other[100] ^= 1;
    std::fs::write(&imported, &other).unwrap();
    let (ok, _, stderr) = restore_in_place_from_offsite(&config, "orders", server.addr, &with_key);
    assert!(!ok && stderr.contains("is not the remote copy"), "{stderr}");
    assert_eq!(std::fs::read(&imported).unwrap(), other);
    std::fs::write(&imported, &good).unwrap();

    // Restored: the table's file is the copy again, the damaged file kept as
    // a safety copy, the imported copy a local backup once more, and Erlang
    // opens the file without repair with the manifest's digest.
    let (ok, stdout, stderr) =
        restore_in_place_from_offsite(&config, "orders", server.addr, &with_key);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(std::fs::read(&live).unwrap(), original);
    let safety: Vec<_> = std::fs::read_dir(dirs.backups.join("safety"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dets"))
        .collect();
    assert_eq!(safety.len(), 1, "{safety:?}");
    assert_eq!(std::fs::read(&safety[0]).unwrap(), damaged);
    assert_eq!(dirs.backup_files(), std::slice::from_ref(&file));
    let listed = client.list_backups(Some("orders")).await.unwrap();
    assert!(
        listed.iter().any(|b| b.file_name == file && b.verified),
        "{listed:?}"
    );
    if let Some(digest) = erlang_digest(&dirs.data) {
        assert_eq!(digest, (want.objects, want.sum));
    }
    server.stop().await;
}

#[test]
fn a_destination_that_cannot_encrypt_stops_the_server_from_starting() {
    let dirs = Dirs::new();
    for (extra, says) in [
        (
            "recipients = [\"age1notakey\"]",
            "not an age X25519 recipient",
        ),
        (
            "recipients_file = \"no-such-file.txt\"",
            "cannot read recipients_file",
        ),
        (
            "recipients = [\"ssh-ed25519 AAAAC3Nza\"]",
            "not an age X25519 recipient",
        ),
    ] {
        let args = dirs.config_file(&format!(
            "[[offsite]]\nendpoint = \"https://s3.example.com\"\nbucket = \"b\"\nhost = \"h\"\naccess_key_id_env = \"TS_TEST_KEY\"\nsecret_access_key_env = \"TS_TEST_KEY\"\n{extra}\n"
        ));
        let message = common::refused_start_with(
            &args,
            &[("TABLESAFE_ADMIN_TOKEN", ADMIN), ("TS_TEST_KEY", "k")],
        );
        assert!(
            message.contains(says) && message.contains("not sent unencrypted"),
            "{extra}: {message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_remote_copy_is_refused_on_restore_and_found_and_replaced_by_verify() {
    logs();
    let Some(garage) = GarageCluster::start(1, 1) else {
        return;
    };
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let key = (garage.key_id().to_owned(), garage.secret().to_owned());
    let server = TestServer::start(config(
        &dirs,
        "host-a",
        &garage.endpoint(),
        (&key.0, &key.1),
        garage.bucket(),
        |o| {
            o.verify_sample = Some(10);
            o.verify_interval = Some("300ms".into());
        },
    ))
    .await;
    let client = server.client(Some(ADMIN)).await;
    let mut events = offsite_events(&client).await;
    backed_up(&client, vec![], "to tamper with").await;
    let file = copied(&mut events, 1, false).await.remove(0);

    // One byte of the stored copy changed behind tablesafe's back.
    let name = BackupName::parse(&file).unwrap();
    let store = bucket(&garage);
    let artifact = remote(&garage).artifact("host-a", &name);
    let mut bytes = object_store::ObjectStoreExt::get(&*store, &artifact)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let at = bytes.len() - 100;
    bytes[at] ^= 0x01;
    object_store::ObjectStoreExt::put(&*store, &artifact, bytes.into())
        .await
        .unwrap();

    // A restore refuses it and writes nothing.
    let config = dirs.root.path().join("restore.toml");
    std::fs::write(
        &config,
        offsite_toml(dirs.root.path(), &garage, &garage.endpoint(), "host-a", ""),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let (ok, _, stderr) =
        restore_from_offsite(&config, "users", &out.path().join("users.dets"), &[]);
    assert!(!ok && stderr.contains("damaged"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "nothing written"
    );

    // The verify round finds it, and as the local copy is here it is stored
    // again.
    let message = failed(&mut events).await;
    assert!(
        message.contains("damaged") && message.contains("uploaded again"),
        "{message}"
    );
    assert_eq!(
        copied(&mut events, 1, false).await,
        std::slice::from_ref(&file)
    );
    let restored = out.path().join("users.dets");
    let (ok, stdout, stderr) = restore_from_offsite(&config, "users", &restored, &[]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        std::fs::read(&restored).unwrap(),
        std::fs::read(dirs.backups.join(&file)).unwrap()
    );
    server.stop().await;
}

/// Polls health until `table` has `copies` remote copies and none pending
/// (a restarted server's first pass runs before a client can watch it).
async fn until_stored(client: &Client, table: &str, copies: u32) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let health = client.get_health(true).await.unwrap();
        let offsite = health
            .tables
            .iter()
            .find(|t| t.name == table)
            .and_then(|t| t.offsite.first().cloned());
        if offsite
            .as_ref()
            .is_some_and(|o| o.copies == copies && o.pending == 0)
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{table}: {offsite:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_killed_midway_resumes_from_its_stored_parts_and_leaves_no_partial_copy() {
    killed_midway(None, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_upload_killed_midway_resumes_by_compressing_again() {
    killed_midway(None, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_upload_killed_midway_resumes_with_the_same_sealed_bytes() {
    killed_midway(Some(Identity::generate()), false).await;
}

/// A one-node store and a 12 MiB table `big.dets` written by Erlang (of
/// random values when `random`: several parts even compressed); `None` when
/// Garage or Erlang is missing outside CI.
fn one_node_and_a_big_table(random: bool) -> Option<(GarageCluster, Dirs)> {
    logs();
    let garage = GarageCluster::start(1, 1)?;
    let tool = testkit::DetsTool::find()?;
    let dirs = Dirs::new();
    tool.big_table(&dirs.data.join("big.dets"), 12, random);
    Some((garage, dirs))
}

/// Kills the server after an upload's first part, then after its object but
/// before its manifest; each time a restart stores the copy once, whole.
/// With `identity`, copies are encrypted to it: the resumed upload sends the
/// spool sealed before the kill. With `compress`, copies (of random values,
/// several parts even compressed) are compressed as they are sent, with no
/// spool: the resumed upload compresses again and keeps the parts stored.
async fn killed_midway(identity: Option<Identity>, compress: bool) {
    let Some((garage, dirs)) = one_node_and_a_big_table(compress) else {
        return;
    };
    let sealing = match (&identity, compress) {
        (Some(i), _) => format!("recipients = [{:?}]", i.to_public().to_string()),
        (None, true) => "compression = \"zstd\"".into(),
        (None, false) => String::new(),
    };
    let args = dirs.config_file(&format!(
        "[backup]\nschedule = \"off\"\n{}",
        offsite_toml(
            dirs.root.path(),
            &garage,
            &garage.endpoint(),
            "host-a",
            &sealing
        )
    ));
    let identities: Vec<Identity> = identity.into_iter().collect();
    let remote = remote(&garage);
    let objects = || async {
        every_object(&*bucket(&garage))
            .await
            .into_iter()
            .map(|o| o.0)
            .collect::<Vec<_>>()
    };

    let sealed = !identities.is_empty();
    // (where it is killed, objects left of the copy, whether the restart goes
    // on from the stored parts).
    let mut points = vec![
        // After its first part: no object, no copy. A plain upload goes on
        // from there; a sealed one may still have been sealing, and then
        // starts over (the earlier upload is aborted).
        ("offsite-part-stored", 0, !sealed),
        // After the object, before its manifest: an object, no copy.
        ("offsite-before-manifest", 1, false),
    ];
    if sealed {
        // After a part stored once sealing ended: it goes on from there.
        points.insert(1, ("offsite-sealed-part-stored", 0, true));
    }
    for (point, left, resumes) in points {
        let before = dirs.backup_files().len();
        let mut server = ServerProcess::spawn(
            dirs.root.path(),
            &format!("export TABLESAFE_CRASH_AT={point}"),
            &args,
        );
        let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
        // The upload starts once the copy is committed, and may kill the
        // server before its answer is sent.
        let _ = client.trigger_backup(vec![], point).await;
        let status = tokio::task::spawn_blocking(move || {
            let status = server.child.wait().unwrap();
            (server, status)
        });
        let (server, status) = status.await.unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "{point}: SIGKILL midway"
        );
        drop(server);
        let file = newest_file(&dirs, "big");
        assert_eq!(dirs.backup_files().len(), before + 1);
        let mine: Vec<String> = objects()
            .await
            .into_iter()
            .filter(|k| k.contains(&file))
            .collect();
        assert_eq!(mine.len(), left, "{point}: {mine:?}");
        if compress {
            let spools = files_under(&dirs.backups, ".tsa");
            assert!(spools.is_empty(), "{point}: compressed as sent: {spools:?}");
        }
        assert!(
            stored(&remote, "host-a")
                .await
                .get("big")
                .is_none_or(|c| !c.contains(&file)),
            "{point}: no copy without its manifest"
        );

        // Restarted, it goes on: the copy is stored once, whole.
        let server = ServerProcess::spawn(dirs.root.path(), "", &args);
        let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
        until_stored(&client, "big", dirs.backup_files().len() as u32).await;
        let log = std::fs::read_to_string(&server.log).unwrap();
        let resumed: Vec<u32> = log
            .split("parts_resumed=")
            .skip(1)
            .filter_map(|rest| rest.split(' ').next()?.parse().ok())
            .collect();
        if resumes {
            assert!(
                resumed.iter().any(|&n| n >= 1),
                "{point}: the stored parts were kept:\n{log}"
            );
        }
        let mine: Vec<String> = objects()
            .await
            .into_iter()
            .filter(|k| k.contains(&file))
            .collect();
        assert_eq!(
            mine.len(),
            2,
            "{point}: one artifact, one manifest: {mine:?}"
        );
        let got = tempfile::tempdir().unwrap();
        remote
            .download_to(
                "host-a",
                &BackupName::parse(&file).unwrap(),
                &identities,
                &got.path().join(&file),
            )
            .await
            .unwrap();
        assert_eq!(
            std::fs::read(got.path().join(&file)).unwrap(),
            std::fs::read(dirs.backups.join(&file)).unwrap(),
            "{point}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_volume_too_full_to_seal_fails_the_upload_clearly_and_keeps_the_local_copy() {
    let Some((garage, dirs)) = one_node_and_a_big_table(true) else {
        return;
    };
    let size = dirs.data.join("big.dets").metadata().unwrap().len();
    // Room for the local copy and a little more, not for its encrypted
    // artifact beside it.
    let Some(backup_fs) = SmallFs::mount(&dirs.backups, size + (4 << 20)) else {
        return;
    };
    let recipient = Identity::generate().to_public().to_string();
    let key = (garage.key_id().to_owned(), garage.secret().to_owned());
    let mut config = config(
        &dirs,
        "host-a",
        &garage.endpoint(),
        (&key.0, &key.1),
        garage.bucket(),
        |o| o.recipients = vec![recipient],
    );
    config.engine.pipeline.free_space_margin = 1 << 20;
    config.health.free_space_margin = 1 << 20;
    let server = TestServer::start(config).await;
    let client = server.client(Some(ADMIN)).await;
    let mut events = offsite_events(&client).await;

    let run = backed_up(&client, vec![], "full volume").await;
    assert_eq!(run.succeeded, 1, "{run:?}");
    let message = failed(&mut events).await;
    assert!(
        message.contains("cannot seal the copy") && message.contains("No space left"),
        "{message}"
    );
    // The local copy is whole and kept; no spool is left filling the
    // volume; nothing of the copy is in the store.
    let file = newest_file(&dirs, "big");
    let manifest = local_manifest(&dirs, &file);
    assert_eq!(sha256(&dirs.backups.join(&file)), manifest.sha256);
    assert!(files_under(&dirs.backups, ".tsa").is_empty());
    assert!(every_object(&*bucket(&garage))
        .await
        .iter()
        .all(|(key, _)| !key.contains(&file)));
    let big = health_of(&client, "big").await;
    assert!(
        big.issues
            .iter()
            .any(|i| i.code == IssueCode::OffsiteFailed as i32 && i.message.contains("No space")),
        "{:?}",
        big.issues
    );
    assert_eq!(big.offsite[0].pending, 1);

    // With room, the queued copy goes up.
    backup_fs.grow(4 * size);
    copied(&mut events, 1, true).await;
    until_stored(&client, "big", 1).await;
    server.stop().await;
}

/// The files under `dir`, at any depth, whose names end with `suffix`.
fn files_under(dir: &std::path::Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_under_the_same_host_name_touches_nothing() {
    logs();
    let Some(garage) = GarageCluster::start(1, 1) else {
        return;
    };
    let key = (garage.key_id().to_owned(), garage.secret().to_owned());
    let (a_dirs, b_dirs) = (Dirs::new(), Dirs::new());
    a_dirs.add_fixtures(&[("users", "set_10.dets")]);
    b_dirs.add_fixtures(&[("users", "bag_100.dets")]);
    let endpoint = garage.endpoint();
    let start = |dirs: &Dirs| {
        TestServer::start(config(
            dirs,
            "db-1",
            &endpoint,
            (&key.0, &key.1),
            garage.bucket(),
            |o| {
                o.keep = Some(1);
            },
        ))
    };
    let a = start(&a_dirs).await;
    let a_client = a.client(Some(ADMIN)).await;
    let mut a_events = offsite_events(&a_client).await;
    backed_up(&a_client, vec![], "first").await;
    copied(&mut a_events, 1, false).await;
    let remote = remote(&garage);
    let before = stored(&remote, "db-1").await;

    // A second instance configured with the same host name: its copies
    // would prune the first one's. It uploads and deletes nothing, and says why.
    let b = start(&b_dirs).await;
    let b_client = b.client(Some(ADMIN)).await;
    let mut b_events = offsite_events(&b_client).await;
    backed_up(&b_client, vec![], "second").await;
    let message = failed(&mut b_events).await;
    assert!(
        message.contains("claimed by another tablesafe") && message.contains("db-1"),
        "{message}"
    );
    assert_eq!(
        stored(&remote, "db-1").await,
        before,
        "the first instance's copies are untouched"
    );
    let health = b_client.get_health(true).await.unwrap();
    let offsite = offsite_component(&health);
    assert!(
        offsite
            .issues
            .iter()
            .any(|i| i.code == IssueCode::OffsiteFailed as i32 && i.message.contains("claimed")),
        "{offsite:?}"
    );
    // The first instance goes on as before.
    backed_up(&a_client, vec![], "again").await;
    copied(&mut a_events, 1, false).await;
    a.stop().await;
    b.stop().await;
}
