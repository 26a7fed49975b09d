//! `appreg log verify` checks everything the pages trust, on a data directory filled through the
//! same domain functions as the server and then altered by hand: stored statuses recomputed from
//! the signed decisions, decisions bound to their records, decision rows against their signed
//! entries, records' versions, revoked keys (before and after their revocation), and a walk that
//! goes on after a problem and says what to do.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use crate::common::{delegated_request, local_admin_of};
use registration::RegistrationRequest;
use serde_json::{Value, json};
use server::identity::{Identity, Role, require_reviewer};
use server::registrations::{self, Desk};
use server::review::{self, Decision};
use server::signing::{self, PrivateKey, jws};
use server::store::log;
use sqlx::AnyPool;
use time::OffsetDateTime;

/// A desk's data directory (`<dir>/data`) with its database open, as the server would have it.
pub struct DataDir {
    pub dir: tempfile::TempDir,
    pub pool: AnyPool,
    directory: Arc<server::store::directory::ServerDirectory>,
    limits: server::limits::Limits,
    keys: signing::KeyRing,
    mailer: Arc<server::notify::Mailer>,
    pub writer: server::store::WriteLock,
}

impl DataDir {
    pub async fn new() -> DataDir {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let url = format!("sqlite://{}", data.join("appreg.sqlite").display());
        let pool = server::store::open(&url).await.unwrap();
        let directory = Arc::new(
            server::store::directory::ServerDirectory::load(&pool)
                .await
                .unwrap(),
        );
        let keys = signing::KeyRing::open(&pool, &data.join("keys"), "http://127.0.0.1:3000")
            .await
            .unwrap();
        let mailer = Arc::new(
            server::notify::Mailer::outbox(dir.path().join("outbox"), "appreg@localhost").unwrap(),
        );
        DataDir {
            dir,
            pool,
            directory,
            limits: server::limits::Limits::default(),
            keys,
            mailer,
            writer: server::store::WriteLock::new(),
        }
    }

    pub fn desk(&self) -> Desk<'_> {
        Desk {
            pool: &self.pool,
            directory: &self.directory,
            limits: &self.limits,
            keys: &self.keys,
            mailer: &self.mailer,
            writer: &self.writer,
        }
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.dir.path().join("data/keys")
    }

    pub async fn submit(&self) -> String {
        let request = RegistrationRequest::from_json(&delegated_request().to_string()).unwrap();
        registrations::submit(
            self.desk(),
            &local_admin_of("RX1"),
            &request,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap()
        .reference
    }

    pub async fn decide(
        &self,
        reviewer: &str,
        reference: &str,
        decision: Decision,
        reason: Option<&str>,
    ) {
        let reviewer = require_reviewer(&Identity {
            user_id: reviewer.into(),
            email: format!("{reviewer}@nhs.net"),
            role: Role::Reviewer,
            ods_code: None,
        })
        .unwrap();
        // What the reviewer read: the latest version and the hash of its signed record.
        let latest = server::store::registrations::latest(&self.pool, reference)
            .await
            .unwrap()
            .unwrap();
        let record = log::latest_record(&self.pool, reference)
            .await
            .unwrap()
            .unwrap();
        let seen = review::Seen {
            version: latest.version,
            record_sha256: Some(log::sha256_hex(record.as_bytes())),
        };
        review::decide(
            self.desk(),
            &reviewer,
            reference,
            seen,
            decision,
            reason,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    }

    pub async fn sql(&self, statement: &str) {
        sqlx::query(statement).execute(&self.pool).await.unwrap();
    }

    /// The current key, read from its file (as someone holding the desk's key would).
    pub async fn current_key(&self) -> PrivateKey {
        let mut connection = self.pool.acquire().await.unwrap();
        let kid = server::store::keys::current_kid(&mut connection)
            .await
            .unwrap()
            .unwrap();
        PrivateKey::read(&self.keys_dir(), &kid).unwrap()
    }

    /// Appends an entry signed with `key` after the log's tail, at `at`.
    pub async fn append_signed(
        &self,
        key: &PrivateKey,
        kind: log::Kind,
        reference: &str,
        version: i64,
        claims: &Value,
        at: OffsetDateTime,
    ) -> log::LogEntry {
        let typ = kind.typ();
        let signed = jws::sign_as(key, &registration::record::to_canonical_json(claims), typ);
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        let mut tail = log::tail(&mut transaction).await.unwrap();
        let entry = log::append_after(
            &mut transaction,
            &mut tail,
            kind,
            reference,
            version,
            &signed,
            at,
        )
        .await
        .unwrap();
        transaction.commit().await.unwrap();
        entry
    }

    /// `appreg log verify` (plus `args`) on this data directory: exit status and stdout + stderr.
    pub fn verify(&self, args: &[&str]) -> (i32, String) {
        let output = appreg(self.dir.path())
            .args(["log", "verify"])
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    }
}

pub fn appreg(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_appreg"));
    command
        .current_dir(dir)
        .env_remove("APPREG_CONFIG")
        .env_remove("APPREG_DATABASE_URL")
        .env("APPREG_DATA_DIR", dir.join("data"));
    command
}

#[tokio::test]
async fn a_whole_log_says_ok_and_what_was_checked() {
    let data = DataDir::new().await;
    let first = data.submit().await;
    data.submit().await;
    data.decide("r1", &first, Decision::Approve, None).await;
    let (code, out) = data.verify(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok: 3 entries\n"), "{out}");
    assert!(
        out.contains("(2 records, 1 decisions), 2 requests (2 versions)"),
        "{out}"
    );
}

#[tokio::test]
async fn a_status_changed_by_hand_to_approved_is_reported() {
    let data = DataDir::new().await;
    let reference = data.submit().await;
    let other = data.submit().await;
    data.decide(
        "r1",
        &other,
        Decision::RequestChanges,
        Some("Add a contact"),
    )
    .await;
    data.sql(&format!(
        "UPDATE registration_request SET status = 'approved' WHERE reference = '{reference}'"
    ))
    .await;
    let (code, out) = data.verify(&[]);
    assert_eq!(code, 1, "{out}");
    let line = out
        .lines()
        .find(|line| line.contains(&reference))
        .unwrap_or_else(|| panic!("{reference} is not named:\n{out}"));
    assert!(line.contains("v1"), "{line}");
    assert!(
        line.contains("stored status is approved")
            && line.contains("signed decisions give submitted"),
        "{line}"
    );
    assert!(
        !out.lines().any(|line| line.contains(&other)),
        "the other request is fine:\n{out}"
    );
}

#[tokio::test]
async fn an_older_versions_status_is_recomputed_too() {
    let data = DataDir::new().await;
    let reference = data.submit().await;
    data.decide(
        "r1",
        &reference,
        Decision::RequestChanges,
        Some("Add a contact"),
    )
    .await;
    let request = RegistrationRequest::from_json(&delegated_request().to_string()).unwrap();
    registrations::resubmit(
        data.desk(),
        &local_admin_of("RX1"),
        &reference,
        &request,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let (code, out) = data.verify(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 requests (2 versions)"), "{out}");
    data.sql(&format!(
        "UPDATE registration_request SET status = 'approved' WHERE reference = '{reference}' AND version = 1"
    ))
    .await;
    let (code, out) = data.verify(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|line| line.contains(&format!("{reference} v1"))
                && line.contains("stored status is approved")
                && line.contains("signed decisions give changes_requested")),
        "{out}"
    );
}

#[tokio::test]
async fn a_decision_row_that_differs_from_its_signed_entry_is_reported() {
    let data = DataDir::new().await;
    let reference = data.submit().await;
    data.decide("r1", &reference, Decision::Reject, Some("No contact"))
        .await;
    data.sql("UPDATE decision SET decision = 'approve', status_after = 'approved', reason = NULL")
        .await;
    data.sql("UPDATE registration_request SET status = 'approved'")
        .await;
    let (code, out) = data.verify(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines().any(|line| line.contains(&reference)
            && line.contains("decision row 1")
            && line.contains("decision")
            && line.contains("status_after")
            && line.contains("reason")),
        "{out}"
    );
    assert!(
        out.contains("stored status is approved, but its signed decisions give rejected"),
        "{out}"
    );
}

#[tokio::test]
async fn a_decision_bound_to_another_record_and_a_record_with_another_version_are_reported() {
    let data = DataDir::new().await;
    let reference = data.submit().await;
    let key = data.current_key().await;
    // A validly signed decision whose record_sha256 is not the hash of the record it names.
    let claims = json!({
        "iss": "http://127.0.0.1:3000",
        "iat": OffsetDateTime::now_utc().unix_timestamp(),
        "jti": format!("{reference}/v1/decision/1"),
        "reference": reference,
        "version": 1,
        "decision": "reject",
        "reason": "made up",
        "reviewer": "r1@nhs.net",
        "status": "rejected",
        "record_sha256": log::sha256_hex(b"another record"),
    });
    let decision = data
        .append_signed(
            &key,
            log::Kind::Decision,
            &reference,
            1,
            &claims,
            OffsetDateTime::now_utc(),
        )
        .await;
    // A validly signed record whose version claim is not its entry's version.
    let record = log::latest_record(&data.pool, &reference)
        .await
        .unwrap()
        .unwrap();
    let mut record_claims = payload(&record);
    record_claims["version"] = json!(7);
    let forged = data
        .append_signed(
            &key,
            log::Kind::RegistrationRecord,
            &reference,
            2,
            &record_claims,
            OffsetDateTime::now_utc(),
        )
        .await;
    let (code, out) = data.verify(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines().any(
            |line| line.starts_with(&format!("broken at entry {}: ", decision.seq))
                && line.contains("record_sha256")
        ),
        "{out}"
    );
    assert!(
        out.lines().any(
            |line| line.starts_with(&format!("broken at entry {}: ", forged.seq))
                && line.contains("version 7")
        ),
        "{out}"
    );
    // The decision has no row, and the forged version has no stored version.
    assert!(out.contains("no decision row"), "{out}");
    assert!(out.contains("no stored version"), "{out}");
}

#[tokio::test]
async fn the_walk_goes_on_after_a_problem_and_reports_each_with_what_to_do() {
    let data = DataDir::new().await;
    for _ in 0..4 {
        data.submit().await;
    }
    // Entry 2 altered in place, entry 4's signature broken and re-hashed.
    data.sql("UPDATE log_entry SET created_at = '2020-01-01T00:00:00Z' WHERE seq = 2")
        .await;
    let mut entry = log::entries(&data.pool).await.unwrap().pop().unwrap();
    let signature_start = entry.jws.rfind('.').unwrap() + 1;
    let middle = signature_start + 20;
    let replacement = if &entry.jws[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    entry.jws.replace_range(middle..=middle, replacement);
    entry.entry_hash = entry.computed_hash();
    sqlx::query("UPDATE log_entry SET jws = $1, entry_hash = $2 WHERE seq = 4")
        .bind(&entry.jws)
        .bind(&entry.entry_hash)
        .execute(&data.pool)
        .await
        .unwrap();
    let (code, out) = data.verify(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("broken at entry 2: its contents do not match its entry_hash"),
        "{out}"
    );
    assert!(out.contains("broken at entry 4: the signature"), "{out}");
    assert!(out.contains("what to do:"), "{out}");
    let summary = out.lines().last().unwrap();
    assert!(
        summary.starts_with("not ok: 2 problems")
            && summary.contains("4 entries")
            && summary.contains("4 records"),
        "{summary}"
    );
}

#[tokio::test]
async fn records_signed_before_their_keys_revocation_are_a_notice_and_the_walk_goes_on() {
    let data = DataDir::new().await;
    data.submit().await;
    data.submit().await;
    let old = data.current_key().await;
    let revoked_at = OffsetDateTime::now_utc();
    signing::keys::revoke(&data.pool, &data.keys_dir(), old.kid(), revoked_at)
        .await
        .unwrap();
    let later = data.submit().await;
    let (code, out) = data.verify(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok: 3 entries\n"), "{out}");
    let notice = out
        .lines()
        .find(|line| line.starts_with("notice:"))
        .unwrap_or_else(|| panic!("no notice:\n{out}"));
    assert!(
        notice.contains(old.kid()) && notice.contains("entries 1-2") && notice.contains("revoked"),
        "{notice}"
    );

    // Later tampering is still found: the walk did not stop at the revoked key.
    data.sql(&format!(
        "UPDATE registration_request SET status = 'approved' WHERE reference = '{later}'"
    ))
    .await;
    let (code, out) = data.verify(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|line| line.contains(&later) && line.contains("stored status is approved")),
        "{out}"
    );
}

#[tokio::test]
async fn an_entry_signed_by_a_revoked_key_after_its_revocation_is_an_error() {
    let data = DataDir::new().await;
    let reference = data.submit().await;
    // Someone kept a copy of the key; it is revoked; they sign with it afterwards.
    let stolen = data.current_key().await;
    let revoked_at = OffsetDateTime::now_utc();
    signing::keys::revoke(&data.pool, &data.keys_dir(), stolen.kid(), revoked_at)
        .await
        .unwrap();
    let record = log::latest_record(&data.pool, &reference)
        .await
        .unwrap()
        .unwrap();
    let forged = data
        .append_signed(
            &stolen,
            log::Kind::RegistrationRecord,
            &reference,
            1,
            &payload(&record),
            revoked_at + time::Duration::seconds(5),
        )
        .await;
    let (code, out) = data.verify(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines().any(
            |line| line.starts_with(&format!("broken at entry {}: ", forged.seq))
                && line.contains(stolen.kid())
                && line.contains("after its revocation")
        ),
        "{out}"
    );
}

fn payload(jws: &str) -> Value {
    use base64::Engine as _;
    let part = jws.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}
