//! Configurations that cannot work are refused before the port is bound, each
//! with a message that says what and where; a backup directory that cannot be
//! made is refused at start-up, naming it.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::{refused_before_binding, refused_start_with, Dirs, ADMIN, READER};

/// `tablesafe serve --config F` where F is the two directories plus `extra`;
/// it must refuse. Its stderr.
fn refused(dirs: &Dirs, extra: &str, env: &[(&str, &str)]) -> String {
    refused_before_binding(&dirs.config_file(extra), env)
}

const ADMIN_ENV: &[(&str, &str)] = &[("TABLESAFE_ADMIN_TOKEN", ADMIN)];

fn assert_says(stderr: &str, words: &[&str]) {
    for word in words {
        assert!(stderr.contains(word), "{word:?} not in: {stderr}");
    }
}

#[test]
fn sizes_out_of_range_are_refused_not_aborted_on() {
    let dirs = Dirs::new();
    for (extra, field) in [
        ("[events]\nring_size = 1000000000000", "events.ring_size"),
        ("[events]\nring_size = 0", "events.ring_size"),
        ("[backup]\nkeep = 0", "backup.keep"),
        ("[backup]\nconcurrency = 100000", "backup.concurrency"),
        ("[backup]\nsettle_attempts = 0", "backup.settle_attempts"),
    ] {
        let stderr = refused(&dirs, extra, ADMIN_ENV);
        assert_says(&stderr, &[field, "out of range"]);
    }
}

#[test]
fn a_schedule_that_never_fires_is_refused() {
    let dirs = Dirs::new();
    let stderr = refused(&dirs, "[backup]\nschedule = \"0 3 30 2 *\"", ADMIN_ENV);
    assert_says(&stderr, &["0 3 30 2 *", "never fires"]);
}

#[test]
fn a_table_listed_twice_is_refused() {
    let dirs = Dirs::new();
    let table = |path: &str| format!("[[tables]]\nname = \"users\"\npath = {path:?}\n");
    let extra = format!("{}{}", table("a.dets"), table("b.dets"));
    let stderr = refused(&dirs, &extra, ADMIN_ENV);
    assert_says(&stderr, &["\"users\" twice"]);
}

#[test]
fn tokens_that_cannot_work_are_refused() {
    let dirs = Dirs::new();
    let stderr = refused(
        &dirs,
        "",
        &[
            ("TABLESAFE_ADMIN_TOKEN", ADMIN),
            ("TABLESAFE_READ_TOKEN", ADMIN),
        ],
    );
    assert_says(&stderr, &["read token equals the admin token"]);
    let stderr = refused(&dirs, "", &[("TABLESAFE_ADMIN_TOKEN", "pässwörd-token")]);
    assert_says(&stderr, &["admin token", "visible ASCII"]);
    let stderr = refused(
        &dirs,
        "",
        &[
            ("TABLESAFE_ADMIN_TOKEN", ADMIN),
            ("TABLESAFE_READ_TOKEN", "two words"),
        ],
    );
    assert_says(&stderr, &["read token", "visible ASCII"]);
    // A distinct read token is fine: the refusal above is about equality.
    assert_ne!(ADMIN, READER);
}

#[test]
fn unreadable_or_invalid_tls_files_are_refused_naming_them() {
    let dirs = Dirs::new();
    let garbage = dirs.root.path().join("cert.pem");
    std::fs::write(&garbage, "-----BEGIN CERTIFICATE-----\nnot base64\n").unwrap();
    let missing = dirs.root.path().join("no-such-key.pem");
    let extra = format!(
        "[tls]\ncert_file = {:?}\nkey_file = {:?}\n",
        garbage.display().to_string(),
        missing.display().to_string()
    );
    let stderr = refused(&dirs, &extra, ADMIN_ENV);
    assert_says(&stderr, &["tls.key_file", &missing.display().to_string()]);

    let key = dirs.root.path().join("key.pem");
    std::fs::write(
        &key,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let extra = format!(
        "[tls]\ncert_file = {:?}\nkey_file = {:?}\n",
        garbage.display().to_string(),
        key.display().to_string()
    );
    let stderr = refused(&dirs, &extra, ADMIN_ENV);
    assert_says(
        &stderr,
        &[
            &garbage.display().to_string(),
            "not a usable certificate and key",
        ],
    );
}

#[test]
fn a_backup_directory_that_cannot_be_made_is_refused_naming_it() {
    let dirs = Dirs::new();
    let file = dirs.root.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let under_a_file = file.join("backups");
    let stderr = refused_start_with(
        &[
            "--data-dir".into(),
            dirs.data.display().to_string(),
            "--backup-dir".into(),
            under_a_file.display().to_string(),
        ],
        ADMIN_ENV,
    );
    assert_says(
        &stderr,
        &[&under_a_file.display().to_string(), "Not a directory"],
    );
}

#[test]
fn a_backup_directory_reached_through_a_symlink_or_dotdot_cannot_overlap_the_data() {
    let dirs = Dirs::new();
    let link = dirs.root.path().join("link-to-data");
    std::os::unix::fs::symlink(&dirs.data, &link).unwrap();
    let dotdot = dirs.backups.join("../data/backups");
    for backup_dir in [link.join("backups"), dotdot] {
        let stderr = refused_before_binding(
            &[
                "--data-dir".into(),
                dirs.data.display().to_string(),
                "--backup-dir".into(),
                backup_dir.display().to_string(),
            ],
            ADMIN_ENV,
        );
        assert_says(&stderr, &["overlaps data directory"]);
    }
}
