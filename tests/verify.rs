//! "Verified" means Erlang can read every object, end to end through the
//! server: a copy with one flipped bit inside an object is never committed
//! and never costs the older good copy its place; every committed copy
//! carries the content digest real Erlang computes; the scrub finds a copy
//! that rotted after it was committed, and health names it.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::{Dirs, TestServer, ADMIN};
use sha2::{Digest as _, Sha256};
use tablesafe_client::proto::{HealthStatus, IssueCode, ScrubOutcome, TableOutcome};
use tablesafe_engine::store::{BackupName, Manifest};
use testkit::DetsTool;

/// A byte inside an object of `bag_100.dets`: flipping its top bit leaves the
/// file's framing intact, and real Erlang's `dets:foldl` fails on it.
const OBJECT_BYTE: usize = 5604;

fn flipped_fixture() -> Vec<u8> {
    let mut bytes = std::fs::read(testkit::fixture("bag_100.dets")).unwrap();
    bytes[OBJECT_BYTE] ^= 0x80;
    bytes
}

fn manifest(dirs: &Dirs, file_name: &str) -> Manifest {
    let name = BackupName::parse(file_name).unwrap();
    serde_json::from_slice(&std::fs::read(dirs.backups.join(name.manifest_name())).unwrap())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_with_a_flipped_object_bit_is_refused_and_the_good_copy_survives_three_runs() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("sessions", "bag_100.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;

    let good = common::backed_up(&client, vec![], "good").await;
    let good = &good.tables[0];
    assert_eq!(good.outcome(), TableOutcome::Succeeded, "{good:?}");
    let digest = good.digest.unwrap();
    assert_eq!(digest.objects, 100);

    // Erlang's own fold over the committed copy gives the digest we recorded.
    if let Some(erlang) = DetsTool::find() {
        let view = erlang.digests(&dirs.backups);
        assert_eq!(view.len(), 1, "{view:?}");
        assert!(view[0].accepted, "{view:?}");
        assert_eq!(view[0].objects, Some(digest.objects));
        assert_eq!(view[0].sum, Some(digest.phash2_sum));
    }
    assert_eq!(
        manifest(&dirs, &good.file_name).digest.unwrap().sum,
        digest.phash2_sum
    );

    std::fs::write(dirs.data.join("sessions.dets"), flipped_fixture()).unwrap();
    for attempt in 0..3 {
        let run = common::backed_up(&client, vec![], "damaged").await;
        let result = &run.tables[0];
        assert_eq!(
            result.outcome(),
            TableOutcome::Failed,
            "run {attempt}: {result:?}"
        );
        assert_eq!(result.error_code, "TABLE_CORRUPT");
        assert!(
            result.error_message.contains("does not decode"),
            "{}",
            result.error_message
        );
        assert!(result.pruned.is_empty());
    }
    assert_eq!(dirs.backup_files(), std::slice::from_ref(&good.file_name));
    let listed = client.list_backups(None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].verified);

    let health = client.get_health(true).await.unwrap();
    let table = health.tables.iter().find(|t| t.name == "sessions").unwrap();
    assert_ne!(table.status(), HealthStatus::Healthy);
    assert!(
        table
            .issues
            .iter()
            .any(|i| i.code() == IssueCode::LastBackupFailed && i.table == "sessions"),
        "{table:?}"
    );
    assert_eq!(
        table.last_backup_at.unwrap().seconds,
        name_second(&good.file_name)
    );
    server.stop().await;
}

/// The capture second a backup's name carries.
fn name_second(file_name: &str) -> i64 {
    BackupName::parse(file_name).unwrap().at.timestamp()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scrub_finds_a_backup_that_rotted_after_commit_and_health_names_it() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("sessions", "bag_100.dets"), ("settings", "set_10.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;
    let run = common::backed_up(&client, vec![], "first").await;
    let file_of = |table: &str| {
        run.tables
            .iter()
            .find(|t| t.table == table)
            .unwrap()
            .file_name
            .clone()
    };
    let (sessions, settings) = (file_of("sessions"), file_of("settings"));

    // Nothing has changed yet: every copy is intact.
    let report = client.scrub_backups().await.unwrap();
    assert_eq!(report.backups.len(), 2);
    assert!(
        report
            .backups
            .iter()
            .all(|b| b.outcome() == ScrubOutcome::Intact),
        "{report:?}"
    );

    // One bit of one object flips on disk.
    let path = dirs.backups.join(&sessions);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[OBJECT_BYTE] ^= 0x80;
    std::fs::write(&path, &bytes).unwrap();

    let report = client.scrub_backups().await.unwrap();
    let found = |report: &tablesafe_client::proto::ScrubBackupsResponse, file: &str| {
        report
            .backups
            .iter()
            .find(|b| b.file_name == file)
            .cloned()
            .unwrap()
    };
    let rotted = found(&report, &sessions);
    assert_eq!(rotted.outcome(), ScrubOutcome::Corrupt, "{rotted:?}");
    assert!(rotted.message.contains("sha256"), "{}", rotted.message);
    assert_eq!(found(&report, &settings).outcome(), ScrubOutcome::Intact);
    assert!(manifest(&dirs, &sessions).corrupt.is_some());

    let health = client.get_health(false).await.unwrap();
    let table = health.tables.iter().find(|t| t.name == "sessions").unwrap();
    let corrupt = table
        .issues
        .iter()
        .find(|i| i.code() == IssueCode::BackupCorrupt)
        .unwrap_or_else(|| panic!("{table:?}"));
    assert!(corrupt.message.contains(&sessions), "{}", corrupt.message);
    // A corrupt copy is no backup at all.
    assert!(table
        .issues
        .iter()
        .any(|i| i.code() == IssueCode::NeverBackedUp));
    assert_eq!(table.last_backup_at, None);
    let listed = client.list_backups(Some("sessions")).await.unwrap();
    assert!(!listed[0].verified);
    assert!(!listed[0].corrupt_reason.is_empty());

    // Scrubbed again, it stays corrupt; a new run makes a good copy and the
    // corrupt one is kept (it cost no good copy its place).
    let report = client.scrub_backups().await.unwrap();
    assert_eq!(
        found(&report, &sessions).outcome(),
        ScrubOutcome::AlreadyCorrupt
    );
    let run = common::backed_up(&client, vec!["sessions".into()], "again").await;
    assert_eq!(run.tables[0].outcome(), TableOutcome::Succeeded);
    assert!(run.tables[0].pruned.is_empty());
    let health = client.get_health(true).await.unwrap();
    let table = health.tables.iter().find(|t| t.name == "sessions").unwrap();
    assert_eq!(
        table.last_backup_at.unwrap().seconds,
        name_second(&run.tables[0].file_name)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scrub_sees_through_a_manifest_rewritten_to_the_new_hash() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("sessions", "bag_100.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;
    let run = common::backed_up(&client, vec![], "first").await;
    let file = run.tables[0].file_name.clone();

    // The copy is damaged and its manifest's sha256 "fixed" to match: only
    // the objects themselves tell.
    let path = dirs.backups.join(&file);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[OBJECT_BYTE] ^= 0x80;
    std::fs::write(&path, &bytes).unwrap();
    let name = BackupName::parse(&file).unwrap();
    let mut m = manifest(&dirs, &file);
    m.sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(
        dirs.backups.join(name.manifest_name()),
        serde_json::to_vec(&m).unwrap(),
    )
    .unwrap();

    let report = client.scrub_backups().await.unwrap();
    assert_eq!(
        report.backups[0].outcome(),
        ScrubOutcome::Corrupt,
        "{report:?}"
    );
    assert!(
        report.backups[0].message.contains("does not decode"),
        "{}",
        report.backups[0].message
    );
    server.stop().await;
}
