//! Signed checkpoints of the log's head: made by the writer every N entries and on demand
//! (`appreg log checkpoint`), published at `/.well-known/appreg-checkpoint`, and checked by
//! `appreg log verify --checkpoint FILE|URL` (truncation, a fork, a forged signature). Receipts
//! and decision notices carry the entry's sequence number and hash.

use std::time::Duration;

use crate::common::TestApp;
use crate::log_audit::{DataDir, appreg};
use axum::http::StatusCode;
use serde_json::Value;
use server::review::Decision;
use server::signing::{PrivateKey, jws};
use server::store::{checkpoints, log};
use time::OffsetDateTime;

fn header_of(jws: &str) -> Value {
    use base64::Engine as _;
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jws.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn the_writer_signs_the_log_head_every_n_entries() {
    let mut data = DataDir::new().await;
    data.writer = server::store::WriteLock::with_checkpoint_every(3);
    for _ in 0..7 {
        data.submit().await;
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_checkpoint")
        .fetch_one(&data.pool)
        .await
        .unwrap();
    assert_eq!(count, 2, "checkpoints at 3 and 6");
    let latest = checkpoints::latest(&data.pool).await.unwrap().unwrap();
    let entries = log::entries(&data.pool).await.unwrap();
    assert_eq!(latest.size, 6);
    assert_eq!(latest.root, entries[5].entry_hash);
    let header = header_of(&latest.jws);
    assert_eq!(header["typ"], jws::CHECKPOINT_TYP);
    assert_eq!(header["typ"], "appreg-checkpoint+jwt");
    let keys = log::key_set(&data.pool).await.unwrap();
    let verified = jws::verify_as(&latest.jws, &keys, jws::CHECKPOINT_TYP).unwrap();
    assert_eq!(verified.claims["size"], 6);
    assert_eq!(verified.claims["root"], entries[5].entry_hash.as_str());
    assert_eq!(verified.claims["iss"], "http://127.0.0.1:3000");
    assert!(verified.claims["iat"].is_i64());
    // A checkpoint is not a record: it does not verify as one.
    assert!(server::signing::verify(&latest.jws, &keys).is_err());
}

#[tokio::test]
async fn the_latest_checkpoint_is_published_at_a_well_known_url_without_sign_in() {
    let app = TestApp::new().await;
    let (response, body) = app.get("/.well-known/appreg-checkpoint").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"], "no_checkpoint");

    checkpoints::make(&app.state.pool, &app.state.keys, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let (response, body) = app.get("/.well-known/appreg-checkpoint").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["size"], 0);
    assert_eq!(body["root"], log::GENESIS);
    assert!(body["jws"].as_str().unwrap().split('.').count() == 3);
    assert!(body["kid"].is_string() && body["issued_at"].is_string());
}

#[tokio::test]
async fn log_verify_against_a_checkpoint_detects_truncation_and_a_fork() {
    let data = DataDir::new().await;
    for _ in 0..3 {
        data.submit().await;
    }
    let output = appreg(data.dir.path())
        .args(["log", "checkpoint"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["size"], 3);
    let file = data.dir.path().join("checkpoint.json");
    std::fs::write(&file, &output.stdout).unwrap();
    let raw = data.dir.path().join("checkpoint.jws");
    std::fs::write(&raw, document["jws"].as_str().unwrap()).unwrap();

    for source in [&file, &raw] {
        let (code, out) = data.verify(&["--checkpoint", source.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("ok: 3 entries\n"), "{out}");
        assert!(out.contains("checkpoint: size 3"), "{out}");
    }
    // The log grew since: still consistent with the checkpoint.
    data.submit().await;
    let (code, out) = data.verify(&["--checkpoint", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");

    // A fork: entry 3 rewritten (its time changed, the hash recomputed, entry 4 re-linked).
    let mut entries = log::entries(&data.pool).await.unwrap();
    entries[2].created_at = "2020-01-01T00:00:00Z".into();
    entries[2].entry_hash = entries[2].computed_hash();
    entries[3].prev_hash = entries[2].entry_hash.clone();
    entries[3].entry_hash = entries[3].computed_hash();
    for entry in &entries[2..4] {
        sqlx::query(
            "UPDATE log_entry SET created_at = $1, prev_hash = $2, entry_hash = $3 WHERE seq = $4",
        )
        .bind(&entry.created_at)
        .bind(&entry.prev_hash)
        .bind(&entry.entry_hash)
        .bind(entry.seq)
        .execute(&data.pool)
        .await
        .unwrap();
    }
    // The desk's own checkpoints see it too; whoever rewrote the log removes them.
    let (code, out) = data.verify(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("fork"), "{out}");
    data.sql("DELETE FROM log_checkpoint").await;
    let (code, out) = data.verify(&[]);
    assert_eq!(
        code, 0,
        "the chain alone cannot see a consistent rewrite: {out}"
    );
    let (code, out) = data.verify(&["--checkpoint", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines().any(|line| line.contains("checkpoint")
            && line.contains("entry 3")
            && line.contains("fork")),
        "{out}"
    );

    // Truncation: the log is now shorter than the checkpoint.
    data.sql("DELETE FROM log_entry WHERE seq >= 3").await;
    let (code, out) = data.verify(&["--checkpoint", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|line| line.contains("checkpoint") && line.contains("truncated")),
        "{out}"
    );
}

#[tokio::test]
async fn a_checkpoint_not_signed_by_the_desk_is_refused() {
    let data = DataDir::new().await;
    data.submit().await;
    let stranger = PrivateKey::generate();
    let entries = log::entries(&data.pool).await.unwrap();
    let claims = serde_json::json!({
        "iss": "http://127.0.0.1:3000",
        "iat": OffsetDateTime::now_utc().unix_timestamp(),
        "size": 1,
        "root": entries[0].entry_hash,
    });
    let forged = jws::sign_as(
        &stranger,
        &registration::record::to_canonical_json(&claims),
        jws::CHECKPOINT_TYP,
    );
    let file = data.dir.path().join("forged.jws");
    std::fs::write(&file, forged).unwrap();
    let (code, out) = data.verify(&["--checkpoint", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("checkpoint") && out.contains("not in the key set"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_verify_reads_the_checkpoint_from_the_well_known_url() {
    let app = TestApp::as_local_admin_of("RX1").await;
    server::registrations::submit(
        app.state.desk(),
        &crate::common::local_admin_of("RX1"),
        &registration::RegistrationRequest::from_json(
            &crate::common::delegated_request().to_string(),
        )
        .unwrap(),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    checkpoints::make(&app.state.pool, &app.state.keys, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let (address, _stop, _server) = app.serve().await;
    let url = format!("http://{address}/.well-known/appreg-checkpoint");
    let dir = app.dir.path().to_path_buf();
    let database_url = app.database_url.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_appreg"))
            .env_remove("APPREG_CONFIG")
            .env("APPREG_DATA_DIR", &dir)
            .env("APPREG_DATABASE_URL", database_url)
            .args(["log", "verify", "--checkpoint", &url])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("checkpoint: size 1"), "{out}");
}

/// The outbox's messages once `count` are there (they are written by background tasks).
async fn outbox(data: &DataDir, count: usize) -> Vec<String> {
    let dir = data.dir.path().join("outbox");
    for _ in 0..300 {
        let messages: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
            .map(|entry| std::fs::read_to_string(entry.path()).unwrap())
            .collect();
        if messages.len() >= count {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("fewer than {count} emails");
}

/// The plain-text body of a message (quoted-printable soft line breaks undone).
fn body(message: &str) -> String {
    let parsed = mail_parser::MessageParser::default()
        .parse(message.as_bytes())
        .unwrap();
    parsed.body_text(0).unwrap().replace("\r\n", "\n")
}

#[tokio::test]
async fn receipts_and_decision_notices_carry_the_entrys_sequence_number_and_hash() {
    let data = DataDir::new().await;
    let reference = data.submit().await;
    let receipt = body(&outbox(&data, 1).await[0]);
    let entries = log::entries(&data.pool).await.unwrap();
    assert!(receipt.contains("Log entry: 1\n"), "{receipt}");
    assert!(
        receipt.contains(&format!("Entry hash: {}\n", entries[0].entry_hash)),
        "{receipt}"
    );
    data.decide("r1", &reference, Decision::Approve, None).await;
    let messages = outbox(&data, 2).await;
    let entries = log::entries(&data.pool).await.unwrap();
    let notice = messages
        .iter()
        .map(|message| body(message))
        .find(|text| text.contains("approved"))
        .unwrap();
    assert!(notice.contains("Log entry: 2\n"), "{notice}");
    assert!(
        notice.contains(&format!("Entry hash: {}\n", entries[1].entry_hash)),
        "{notice}"
    );
}
