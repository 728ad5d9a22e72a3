//! CompactTable end to end through the server: a fragmented table compacted
//! in place after a backup (smaller, the same objects, opened by real Erlang
//! without repair, the old file kept as a safety copy, in the ledger, the
//! metrics and the event stream), and every refusal leaving the file as it
//! was: no backup that holds what the file holds, a process holding it
//! open, a damaged or dirty file, too little free space to bother, no room
//! on a real full disk for the new file or the safety copy, a read token.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::{
    backed_up, http_get, sha256, Dirs, Holder, ServerProcess, SmallFs, TestServer, ADMIN,
};
use tablesafe_client::proto::{CompactTableRequest, Trigger};
use tablesafe_client::Client;
use tablesafe_engine::dets;
use testkit::DetsTool;

fn ask(table: &str) -> CompactTableRequest {
    CompactTableRequest {
        table: table.into(),
        ..Default::default()
    }
}

/// The plan only: a dry run.
fn ask_plan(table: &str) -> CompactTableRequest {
    CompactTableRequest {
        dry_run: true,
        ..ask(table)
    }
}

/// The fixture set_fragmented is 40% free space: the threshold is set below.
fn config(dirs: &Dirs) -> tablesafe::config::Config {
    let mut config = dirs.config();
    config.health.thresholds.fragmentation_warn = 0.3;
    config
}

/// The gRPC code and message of a refused compaction.
async fn refused(client: &Client, request: CompactTableRequest) -> (tonic::Code, String) {
    match client.compact_table(request).await {
        Ok(reply) => panic!("compacted: {reply:?}"),
        Err(tablesafe_client::Error::Status(status)) => {
            (status.code(), status.message().to_owned())
        }
        Err(e) => panic!("{e:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fragmented_table_is_compacted_in_place_and_proved() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("frag", "set_fragmented.dets")]);
    let live = dirs.data.join("frag.dets");
    let before = dets::inspect(&live).unwrap();
    let before_sha = sha256(&live);
    let server = TestServer::start(config(&dirs)).await;
    let client = server.client(Some(ADMIN)).await;

    // No backup yet: refused, nothing changed.
    let (code, message) = refused(&client, ask("frag")).await;
    assert_eq!(code, tonic::Code::FailedPrecondition, "{message}");
    assert!(message.contains("take one first"), "{message}");
    assert_eq!(sha256(&live), before_sha);

    let run = backed_up(&client, vec!["frag".into()], "").await;
    assert_eq!(run.succeeded, 1, "{run:?}");

    // A dry run says what would happen and changes nothing.
    let plan = client.compact_table(ask_plan("frag")).await.unwrap();
    assert!(!plan.compacted);
    let p = plan.plan.unwrap();
    assert_eq!(p.file_size, before.file_size);
    assert_eq!(p.free_bytes, before.free_bytes.unwrap());
    assert_eq!(p.objects, before.walk.records);
    assert!(p.expected_size < p.file_size, "{p:?}");
    assert_eq!(sha256(&live), before_sha);

    let reply = client.compact_table(ask("frag")).await.unwrap();
    assert!(reply.compacted, "{reply:?}");
    let after = dets::inspect(&live).unwrap();
    assert_eq!(
        after.status(),
        dets::FileStatus::Ok,
        "{:?}",
        after.messages()
    );
    assert_eq!(after.digest(), before.digest());
    assert_eq!(after.free_bytes, Some(0));
    assert_eq!(after.file_size, reply.file_size);
    assert!(reply.file_size <= p.expected_size);
    assert_eq!(reply.reclaimed_bytes, before.file_size - after.file_size);
    assert!(reply.reclaimed_bytes > 40_000, "{reply:?}");
    // The file as it was, kept byte for byte.
    let kept = dirs.backups.join(&reply.safety_copy);
    assert!(reply.safety_copy.starts_with("safety/"), "{reply:?}");
    assert_eq!(sha256(&kept), before_sha);
    // Real Erlang opens the compacted file with {repair, false}.
    if let Some(tool) = DetsTool::find() {
        let alone = tempfile::tempdir().unwrap();
        std::fs::copy(&live, alone.path().join("frag.dets")).unwrap();
        let verdict = &tool.digests(alone.path())[0];
        assert!(verdict.accepted && !verdict.rewritten, "{verdict:?}");
        let digest = before.digest().unwrap();
        assert_eq!(
            (verdict.objects, verdict.sum),
            (Some(digest.objects), Some(digest.sum))
        );
    } else {
        assert!(std::env::var_os("CI").is_none(), "CI must have Erlang");
    }

    // Compact now: nothing worth reclaiming unless forced.
    let (code, message) = refused(&client, ask("frag")).await;
    assert_eq!(code, tonic::Code::FailedPrecondition, "{message}");
    assert!(message.contains("threshold"), "{message}");
    let forced = client
        .compact_table(CompactTableRequest {
            force: true,
            ..ask("frag")
        })
        .await
        .unwrap();
    assert!(forced.compacted && forced.plan.unwrap().forced);
    assert_eq!(dets::inspect(&live).unwrap().digest(), before.digest());

    // In the ledger, the metrics.
    let runs = client.list_runs(10).await.unwrap();
    let compactions = runs
        .iter()
        .filter(|r| r.trigger() == Trigger::Compact)
        .count();
    assert_eq!(compactions, 2, "{runs:?}");
    let (status, metrics) = http_get(server.addr, "/metrics", Some(ADMIN)).await;
    assert_eq!(status, 200);
    assert!(
        metrics
            .lines()
            .any(|l| l == "tablesafe_compactions_total{outcome=\"succeeded\"} 2"),
        "{metrics}"
    );
    // The read token compacts nothing.
    let reader = server.client(None).await;
    assert!(reader.compact_table(ask("frag")).await.is_err());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_a_dirty_or_a_changed_file_is_refused_and_left_as_it_was() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[
        ("frag", "set_fragmented.dets"),
        ("open", "set_open_dirty.dets"),
    ]);
    let server = TestServer::start(config(&dirs)).await;
    let client = server.client(Some(ADMIN)).await;
    backed_up(&client, vec![], "").await;
    let live = dirs.data.join("frag.dets");
    let before_sha = sha256(&live);

    // A process holds the file open: refused, the holder named.
    let holder = Holder::open(&live);
    let (code, message) = refused(&client, ask("frag")).await;
    drop(holder);
    assert_eq!(code, tonic::Code::FailedPrecondition, "{message}");
    assert!(message.contains("open in process"), "{message}");
    assert_eq!(sha256(&live), before_sha);

    // A dirty file is not rewritten in place: salvage is named.
    let (code, message) = refused(&client, ask("open")).await;
    assert_eq!(code, tonic::Code::FailedPrecondition, "{message}");
    assert!(message.contains("salvage"), "{message}");

    // The file changed since its backup: a new backup first.
    std::fs::copy(testkit::fixture("set_grown.dets"), &live).unwrap();
    let (code, message) = refused(
        &client,
        CompactTableRequest {
            force: true,
            ..ask("frag")
        },
    )
    .await;
    assert_eq!(code, tonic::Code::FailedPrecondition, "{message}");
    assert!(message.contains("holds other objects"), "{message}");

    // Unknown tables and empty names.
    let (code, _) = refused(&client, ask("nope")).await;
    assert_eq!(code, tonic::Code::InvalidArgument);
    let (code, _) = refused(&client, ask("")).await;
    assert_eq!(code, tonic::Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn too_little_room_for_the_new_file_or_the_safety_copy_is_refused_on_a_real_full_disk() {
    let dirs = Dirs::new();
    // Both directories on small file systems of their own; the backup volume
    // with room for a copy and the default free-space margin of 16 MiB.
    let Some(data_fs) = SmallFs::mount(&dirs.data, 1 << 20) else {
        return;
    };
    let Some(backup_fs) = SmallFs::mount(&dirs.backups, 24 << 20) else {
        return;
    };
    dirs.add_fixtures(&[("frag", "set_fragmented.dets")]);
    let live = dirs.data.join("frag.dets");
    let before_sha = sha256(&live);
    let file_size = live.metadata().unwrap().len();
    let server = TestServer::start(config(&dirs)).await;
    let client = server.client(Some(ADMIN)).await;
    let run = backed_up(&client, vec!["frag".into()], "").await;
    assert_eq!(run.succeeded, 1, "{run:?}");
    let expected = client
        .compact_table(ask_plan("frag"))
        .await
        .unwrap()
        .plan
        .unwrap()
        .expected_size;
    assert!(expected > 8192 && expected < file_size, "{expected}");

    // The table's file system cannot take the new file.
    let filler = data_fs.fill_to(expected - 4096);
    let (code, message) = refused(&client, ask("frag")).await;
    assert_eq!(code, tonic::Code::ResourceExhausted, "{message}");
    assert!(message.contains("the new file"), "{message}");
    assert!(
        message.contains(&format!("{expected} are needed")),
        "{message}"
    );
    assert_eq!(sha256(&live), before_sha);
    std::fs::remove_file(filler).unwrap();

    // The backup volume cannot take the safety copy.
    let filler = backup_fs.fill_to(file_size - 4096);
    let (code, message) = refused(&client, ask("frag")).await;
    assert_eq!(code, tonic::Code::ResourceExhausted, "{message}");
    assert!(message.contains("the safety copy"), "{message}");
    assert_eq!(sha256(&live), before_sha);
    // Nothing half-written beside the table or in the store.
    let names = |dir: &std::path::Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&dirs.data), ["frag.dets"]);
    std::fs::remove_file(filler).unwrap();

    // With the room back, the same request compacts.
    let done = client.compact_table(ask("frag")).await.unwrap();
    assert!(done.compacted, "{done:?}");
    assert!(live.metadata().unwrap().len() <= expected);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_at_any_step_leaves_the_old_file_or_the_compacted_one() {
    for (point, compacted) in [
        ("compact-written", false),
        ("compact-before-rename", false),
        ("compact-renamed", true),
    ] {
        let dirs = Dirs::new();
        dirs.add_fixtures(&[("frag", "set_fragmented.dets")]);
        let live = dirs.data.join("frag.dets");
        let before = dets::inspect(&live).unwrap();
        let old_sha = sha256(&live);
        let mut server = ServerProcess::spawn(
            dirs.root.path(),
            &format!("export TABLESAFE_CRASH_AT={point}"),
            &dirs.serve_args(),
        );
        let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
        backed_up(&client, vec![], "").await;
        let forced = CompactTableRequest {
            force: true,
            ..ask("frag")
        };
        assert!(
            client.compact_table(forced).await.is_err(),
            "{point}: it crashed"
        );
        let _ = server.child.wait();
        let now = dets::inspect(&live).unwrap();
        assert_eq!(now.status(), dets::FileStatus::Ok, "{point}");
        assert_eq!(now.digest(), before.digest(), "{point}");
        if compacted {
            assert!(now.file_size < before.file_size, "{point}");
        } else {
            assert_eq!(
                sha256(&live),
                old_sha,
                "{point}: the old file, byte for byte"
            );
        }
        // A restart clears what the crash left beside the table.
        server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
        let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
        let hidden: Vec<_> = std::fs::read_dir(&dirs.data)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "{point}: {hidden:?}");
        let runs = client.list_runs(5).await.unwrap();
        assert_eq!(runs[0].trigger(), Trigger::Compact, "{point}");
        assert_eq!(
            runs[0].outcome(),
            tablesafe_client::proto::RunOutcome::Interrupted,
            "{point}: the ledger says it was cut short"
        );
        server.kill();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_reached_through_a_symbolic_link_keeps_its_link() {
    let dirs = Dirs::new();
    let (link, real) = dirs.add_linked_fixture("frag", "set_fragmented.dets");
    let before = dets::inspect(&real).unwrap();
    let server = TestServer::start(config(&dirs)).await;
    let client = server.client(Some(ADMIN)).await;
    backed_up(&client, vec!["frag".into()], "").await;
    let reply = client.compact_table(ask("frag")).await.unwrap();
    assert!(reply.compacted, "{reply:?}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    let after = dets::inspect(&real).unwrap();
    assert_eq!(after.digest(), before.digest());
    assert!(after.file_size < before.file_size);
    server.stop().await;
}
