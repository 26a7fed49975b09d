//! Signed records over the real router, a real database file and the real `appreg` binary: a
//! record verifies with another JOSE implementation, the log is a whole chain after concurrent
//! submissions, a flipped byte is found at its entry, rotation keeps old records verifiable,
//! revocation makes them fail, and key material stays in 0600 files and out of the logs.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::common::{TestApp, delegated_request, local_admin_of};
use axum::http::StatusCode;
use registration::RegistrationRequest;
use serde_json::{Value, json};
use server::registrations::{self, SubmitError};
use server::signing::{self, KeySet, VerifyError};
use server::store::log::{self, Broken, ChainCheck, GENESIS};
use time::OffsetDateTime;

fn request() -> RegistrationRequest {
    RegistrationRequest::from_json(&delegated_request().to_string()).unwrap()
}

async fn submit(app: &TestApp) -> String {
    registrations::submit(
        app.state.desk(),
        &local_admin_of("RX1"),
        &request(),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap()
    .reference
}

async fn record(app: &TestApp, reference: &str) -> String {
    let (response, body) = app
        .get(&format!("/api/v1/registrations/{reference}/record"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/jose");
    String::from_utf8(body).unwrap()
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let (response, body) = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    serde_json::from_slice(&body).unwrap()
}

fn header(jws: &str) -> jsonwebtoken::Header {
    jsonwebtoken::decode_header(jws).unwrap()
}

/// Verifies `jws` with `jsonwebtoken` (ring's ECDSA), not with `server::signing`.
fn verify_elsewhere(jws: &str, jwks: &Value) -> Value {
    let header = header(jws);
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(header.typ.as_deref(), Some("appreg-request+jwt"));
    let kid = header.kid.expect("a kid");
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let jwk = set.find(&kid).expect("the kid is in the JWKS");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(jws, &key, &validation)
        .unwrap()
        .claims
}

async fn server_keys(app: &TestApp) -> KeySet {
    log::key_set(&app.state.pool).await.unwrap()
}

#[tokio::test]
async fn a_submitted_request_has_a_record_another_jose_library_verifies() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let reference = submit(&app).await;
    let jws = record(&app, &reference).await;
    let jwks = get_json(&app, "/.well-known/jwks.json").await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["use"], "sig");
    assert_eq!(keys[0]["alg"], "ES256");
    assert_eq!(keys[0]["kty"], "EC");
    assert_eq!(keys[0]["crv"], "P-256");
    assert_eq!(header(&jws).kid.as_deref(), keys[0]["kid"].as_str());
    assert!(keys[0].get("d").is_none(), "a private member was published");

    let claims = verify_elsewhere(&jws, &jwks);
    assert_eq!(claims["jti"], json!(reference));
    assert_eq!(claims["iss"], "http://127.0.0.1:3000");
    assert_eq!(claims["ods_code"], "RX1");
    // The header is canonical JSON too: exactly these bytes.
    let header_json = jws.split('.').next().unwrap();
    let header_bytes = base64_url(header_json);
    assert_eq!(
        header_bytes,
        format!(
            r#"{{"alg":"ES256","kid":"{}","typ":"appreg-request+jwt"}}"#,
            keys[0]["kid"].as_str().unwrap()
        )
    );
}

fn base64_url(text: &str) -> String {
    use base64::Engine as _;
    String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn the_record_route_answers_404_in_json_for_an_unknown_reference() {
    let app = TestApp::as_local_admin_of("RX1").await;
    for path in [
        "/api/v1/registrations/AR-7K3M-Q9XD/record",
        "/api/v1/registrations/not-a-reference/record",
    ] {
        let (response, body) = app.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "not_found");
    }
}

#[tokio::test]
async fn an_invalid_request_leaves_no_record_and_no_log_entry() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let mut invalid = request();
    invalid.mailboxes = vec!["not a mailbox".into()];
    let result = registrations::submit(
        app.state.desk(),
        &local_admin_of("RX1"),
        &invalid,
        OffsetDateTime::now_utc(),
    )
    .await;
    assert!(matches!(result, Err(SubmitError::Invalid(_))));
    assert!(log::entries(&app.state.pool).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_submissions_leave_a_whole_gap_free_chain() {
    let app = Arc::new(TestApp::as_local_admin_of("RX1").await);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { submit(&app).await })
        })
        .collect();
    let mut references = Vec::new();
    for task in tasks {
        references.push(task.await.unwrap());
    }
    let entries = log::entries(&app.state.pool).await.unwrap();
    assert_eq!(entries.len(), 50);
    let mut previous = GENESIS.to_string();
    for (index, entry) in entries.iter().enumerate() {
        assert_eq!(entry.seq, index as i64 + 1);
        assert_eq!(entry.prev_hash, previous, "entry {}", entry.seq);
        assert_eq!(entry.entry_hash, entry.computed_hash());
        previous = entry.entry_hash.clone();
    }
    let mut logged: Vec<&str> = entries.iter().map(|e| e.reference.as_str()).collect();
    logged.sort_unstable();
    references.sort_unstable();
    assert_eq!(logged, references);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM registration_request")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(stored, 50);
    assert_eq!(
        log::verify_chain(&app.state.pool, &server_keys(&app).await)
            .await
            .unwrap(),
        ChainCheck::Whole { entries: 50 }
    );
}

#[tokio::test]
async fn a_fork_at_an_existing_sequence_number_is_refused() {
    let app = TestApp::as_local_admin_of("RX1").await;
    submit(&app).await;
    let result = sqlx::query(
        "INSERT INTO log_entry (seq, kind, reference, version, jws, prev_hash, entry_hash, created_at)
         VALUES (1, 'registration_record', 'AR-7K3M-Q9XD', 1, 'x', $1, 'y', 'z')",
    )
    .bind(GENESIS)
    .execute(&app.state.pool)
    .await;
    assert!(result.is_err());
}

#[tokio::test]
async fn rotation_keeps_old_records_verifiable_and_signs_new_ones_with_the_new_key() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let before = submit(&app).await;
    let old_jws = record(&app, &before).await;
    let old_kid = header(&old_jws).kid.unwrap();
    let new_kid = signing::keys::rotate(
        &app.state.pool,
        &app.dir.path().join("keys"),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    assert_ne!(new_kid, old_kid);
    let after = submit(&app).await;
    let new_jws = record(&app, &after).await;
    assert_eq!(header(&new_jws).kid.as_deref(), Some(new_kid.as_str()));

    let jwks = get_json(&app, "/.well-known/jwks.json").await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2);
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()));
    assert_eq!(verify_elsewhere(&old_jws, &jwks)["jti"], json!(before));
    assert_eq!(verify_elsewhere(&new_jws, &jwks)["jti"], json!(after));
    let keys = server_keys(&app).await;
    assert!(signing::verify(&old_jws, &keys).is_ok());
    assert_eq!(
        log::verify_chain(&app.state.pool, &keys).await.unwrap(),
        ChainCheck::Whole { entries: 2 }
    );
}

#[tokio::test]
async fn a_revoked_key_moves_to_the_revoked_list_and_its_records_fail() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let reference = submit(&app).await;
    let jws = record(&app, &reference).await;
    let kid = header(&jws).kid.unwrap();
    let outcome = signing::keys::revoke(
        &app.state.pool,
        &app.dir.path().join("keys"),
        &kid,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let signing::keys::Revoked::Revoked {
        new_current: Some(replacement),
    } = outcome
    else {
        panic!("revoking the current key makes a new one: {outcome:?}");
    };
    // A revoked key can never sign again: its private key file is gone, the new one is there.
    let keys_dir = app.dir.path().join("keys");
    assert!(!keys_dir.join(format!("{kid}.pem")).exists());
    assert!(keys_dir.join(format!("{replacement}.pem")).exists());

    let jwks = get_json(&app, "/.well-known/jwks.json").await;
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(published, vec![replacement.as_str()]);
    let revoked = get_json(&app, "/.well-known/jwks-revoked.json").await;
    assert_eq!(revoked["keys"][0]["kid"], json!(kid));
    assert!(revoked["keys"][0]["revoked_at"].is_string());

    let keys = server_keys(&app).await;
    assert_eq!(
        signing::verify(&jws, &keys),
        Err(VerifyError::Revoked(kid.clone()))
    );
    assert_eq!(
        log::verify_chain(&app.state.pool, &keys).await.unwrap(),
        ChainCheck::BrokenAt {
            seq: 1,
            what: Broken::Signature(VerifyError::Revoked(kid))
        }
    );
    let next = submit(&app).await;
    assert_eq!(
        header(&record(&app, &next).await).kid.as_deref(),
        Some(replacement.as_str())
    );
}

#[tokio::test]
async fn key_files_are_readable_by_the_owner_only() {
    let app = TestApp::as_local_admin_of("RX1").await;
    signing::keys::rotate(
        &app.state.pool,
        &app.dir.path().join("keys"),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let dir = app.dir.path().join("keys");
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    // Two signing keys and the client secrets' key (docs/security.md), all owner-only.
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(
        files
            .iter()
            .any(|file| file.ends_with(server::secrets::KEY_FILE))
    );
    for file in files {
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600,
            "{}",
            file.display()
        );
    }
}

/// A writer that keeps everything logged, for looking for secrets in it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The secret parts of every key in `dir`: each PEM body line and the private scalar (base64url
/// as a JWK `d` would carry it, and hex).
fn secrets(dir: &Path) -> Vec<String> {
    use base64::Engine as _;
    use p256::pkcs8::DecodePrivateKey;
    let mut secrets = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.ends_with(server::secrets::KEY_FILE) {
            // The client secrets' key: raw bytes, looked for as hex and base64.
            let bytes = std::fs::read(&path).unwrap();
            secrets.push(bytes.iter().map(|b| format!("{b:02x}")).collect());
            secrets.push(base64::engine::general_purpose::STANDARD.encode(&bytes));
            continue;
        }
        let pem = std::fs::read_to_string(path).unwrap();
        secrets.extend(
            pem.lines()
                .filter(|line| !line.starts_with("-----"))
                .map(str::to_string),
        );
        let key = p256::ecdsa::SigningKey::from_pkcs8_pem(&pem).unwrap();
        let scalar = key.to_bytes();
        secrets.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(scalar));
        secrets.push(scalar.iter().map(|b| format!("{b:02x}")).collect());
    }
    secrets
}

#[tokio::test]
async fn no_log_line_holds_key_material() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Tests on other threads register the same callsites at the same time, and one may store
    // "never" for a callsite while this subscriber is being set. Once a first app has
    // registered them, recompute every callsite's interest with this subscriber in place.
    drop(TestApp::new().await);
    tracing::callsite::rebuild_interest_cache();
    let app = TestApp::as_local_admin_of("RX1").await;
    let reference = submit(&app).await;
    signing::keys::rotate(
        &app.state.pool,
        &app.dir.path().join("keys"),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    submit(&app).await;
    record(&app, &reference).await;
    get_json(&app, "/.well-known/jwks.json").await;
    tracing::info!(keys = ?app.state.keys, "the key ring");

    let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("generated the first record-signing key"),
        "the capture works: {logged}"
    );
    for secret in secrets(&app.dir.path().join("keys")) {
        assert!(!logged.contains(&secret), "key material in the log");
    }
}

// The command line, on a data directory the tests fill through the same submit function.

fn appreg(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_appreg"));
    command
        .current_dir(dir)
        .env_remove("APPREG_CONFIG")
        .env_remove("APPREG_DATABASE_URL")
        .env("APPREG_DATA_DIR", dir.join("data"));
    command
}

/// Submits `count` requests into `<dir>/data` as the server would, and closes the database.
async fn desk_with_records(dir: &Path, count: usize) -> Vec<String> {
    let data = dir.join("data");
    let url = format!("sqlite://{}", data.join("appreg.sqlite").display());
    let pool = server::store::open(&url).await.unwrap();
    let directory = Arc::new(
        server::store::directory::ServerDirectory::load(&pool)
            .await
            .unwrap(),
    );
    let limits = server::limits::Limits::default();
    let keys = signing::KeyRing::open(&pool, &data.join("keys"), "http://127.0.0.1:3000")
        .await
        .unwrap();
    let mailer =
        Arc::new(server::notify::Mailer::outbox(dir.join("outbox"), "appreg@localhost").unwrap());
    let writer = server::store::WriteLock::new();
    let mut references = Vec::new();
    for _ in 0..count {
        references.push(
            registrations::submit(
                registrations::Desk {
                    pool: &pool,
                    directory: &directory,
                    limits: &limits,
                    keys: &keys,
                    mailer: &mailer,
                    writer: &writer,
                },
                &local_admin_of("RX1"),
                &request(),
                OffsetDateTime::now_utc(),
            )
            .await
            .unwrap()
            .reference,
        );
    }
    pool.close().await;
    references
}

fn run(command: &mut Command) -> (i32, String) {
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[tokio::test]
async fn log_verify_reports_the_entry_whose_byte_was_flipped() {
    let dir = tempfile::tempdir().unwrap();
    desk_with_records(dir.path(), 3).await;
    let (code, out) = run(appreg(dir.path()).args(["log", "verify"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok: 3 entries\n"), "{out}");

    let url = format!(
        "sqlite://{}",
        dir.path().join("data/appreg.sqlite").display()
    );
    let pool = server::store::open(&url).await.unwrap();
    let jws: String = sqlx::query_scalar("SELECT jws FROM log_entry WHERE seq = 2")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut bytes = jws.into_bytes();
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    sqlx::query("UPDATE log_entry SET jws = $1 WHERE seq = 2")
        .bind(String::from_utf8(bytes).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let (code, out) = run(appreg(dir.path()).args(["log", "verify"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("broken at entry 2: "), "{out}");
}

#[tokio::test]
async fn log_verify_finds_a_re_hashed_forgery_by_its_signature_and_a_gap_by_its_number() {
    let dir = tempfile::tempdir().unwrap();
    desk_with_records(dir.path(), 3).await;
    let url = format!(
        "sqlite://{}",
        dir.path().join("data/appreg.sqlite").display()
    );
    let pool = server::store::open(&url).await.unwrap();
    // A forger who recomputes the hashes still cannot sign: entry 3 is re-hashed, links hold.
    let mut entry = log::entries(&pool).await.unwrap().pop().unwrap();
    // Change a character in the middle of the signature: the last base64url character of a
    // 64-byte signature carries padding bits, so changing it may make it undecodable instead.
    let signature_start = entry.jws.rfind('.').unwrap() + 1;
    let middle = signature_start + 20;
    let replacement = if &entry.jws[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    entry.jws.replace_range(middle..=middle, replacement);
    entry.entry_hash = entry.computed_hash();
    sqlx::query("UPDATE log_entry SET jws = $1, entry_hash = $2 WHERE seq = 3")
        .bind(&entry.jws)
        .bind(&entry.entry_hash)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (code, out) = run(appreg(dir.path()).args(["log", "verify"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("broken at entry 3: the signature"), "{out}");

    let pool = server::store::open(&url).await.unwrap();
    sqlx::query("DELETE FROM log_entry WHERE seq = 2")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (code, out) = run(appreg(dir.path()).args(["log", "verify"]));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("broken at entry 2: the entry is missing (the next entry is 3)\n"),
        "{out}"
    );
    // The walk goes on: the request whose record went with the entry is named too.
    assert!(out.contains("has no signed record in the log"), "{out}");
}

#[tokio::test]
async fn verify_checks_one_record_offline_against_a_jwks_file() {
    let dir = tempfile::tempdir().unwrap();
    let references = desk_with_records(dir.path(), 1).await;
    let url = format!(
        "sqlite://{}",
        dir.path().join("data/appreg.sqlite").display()
    );
    let pool = server::store::open(&url).await.unwrap();
    let jws = log::latest_record(&pool, &references[0])
        .await
        .unwrap()
        .unwrap();
    let jwks = server::store::keys::jwks(&pool).await.unwrap();
    pool.close().await;
    let record_file = dir.path().join("record.jws");
    std::fs::write(&record_file, &jws).unwrap();
    let jwks_file = dir.path().join("jwks.json");
    std::fs::write(&jwks_file, jwks.to_string()).unwrap();

    let (code, out) = run(appreg(dir.path())
        .arg("verify")
        .arg(&record_file)
        .arg("--jwks")
        .arg(&jwks_file));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("jti: {}", references[0])), "{out}");
    assert!(out.contains("iss: http://127.0.0.1:3000"), "{out}");
    assert!(out.ends_with("ok\n"), "{out}");

    let tampered = jws.replacen('.', ".e", 1);
    std::fs::write(&record_file, tampered).unwrap();
    let (code, out) = run(appreg(dir.path())
        .arg("verify")
        .arg(&record_file)
        .arg("--jwks")
        .arg(&jwks_file));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not verified"), "{out}");
}

#[tokio::test]
async fn keys_commands_rotate_list_and_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let references = desk_with_records(dir.path(), 1).await;
    let (code, out) = run(appreg(dir.path()).args(["keys", "list"]));
    assert_eq!(code, 0, "{out}");
    let first = out.split_whitespace().next().unwrap().to_string();
    assert!(out.contains("current"), "{out}");

    let (code, out) = run(appreg(dir.path()).args(["keys", "rotate"]));
    assert_eq!(code, 0, "{out}");
    let (_, out) = run(appreg(dir.path()).args(["keys", "list"]));
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with(&first) && l.contains("retired")),
        "{out}"
    );
    let (code, out) = run(appreg(dir.path()).args(["log", "verify"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok: 1 entries\n"), "{out}");

    let (code, out) = run(appreg(dir.path()).args(["keys", "revoke", &first]));
    assert_eq!(code, 0, "{out}");
    // Signed before the key was revoked: a notice, and the log still verifies
    // (docs/security.md, "Revoked keys and the log").
    let (code, out) = run(appreg(dir.path()).args(["log", "verify"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok: 1 entries\n"), "{out}");
    assert!(
        out.contains(&format!(
            "notice: entries 1-1 (1 of them) were signed by key {first} before it was revoked"
        )),
        "{out}"
    );

    // Without --jwks, verify uses the desk's own keys, revocations included.
    let url = format!(
        "sqlite://{}",
        dir.path().join("data/appreg.sqlite").display()
    );
    let pool = server::store::open(&url).await.unwrap();
    let jws = log::latest_record(&pool, &references[0])
        .await
        .unwrap()
        .unwrap();
    pool.close().await;
    let (code, out) = run(appreg(dir.path()).arg("verify").arg("-").stdin(
        std::fs::File::open({
            let path = dir.path().join("r.jws");
            std::fs::write(&path, jws).unwrap();
            path
        })
        .unwrap(),
    ));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("has been revoked"), "{out}");

    let (code, out) = run(appreg(dir.path()).args(["keys", "revoke", "nope"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("there is no key nope"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reads_the_jwks_and_revoked_list_from_a_local_url() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let reference = submit(&app).await;
    let jws = record(&app, &reference).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let record_file = dir.path().join("record.jws");
    std::fs::write(&record_file, &jws).unwrap();
    let url = format!("http://{address}/.well-known/jwks.json");
    let mut command = appreg(dir.path());
    command
        .arg("verify")
        .arg(&record_file)
        .arg("--jwks")
        .arg(&url);
    let (code, out) = tokio::task::spawn_blocking(move || run(&mut command))
        .await
        .unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("jti: {reference}")), "{out}");

    let kid = header(&jws).kid.unwrap();
    signing::keys::revoke(
        &app.state.pool,
        &app.dir.path().join("keys"),
        &kid,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let mut command = appreg(dir.path());
    command
        .arg("verify")
        .arg(&record_file)
        .arg("--jwks")
        .arg(&url);
    let (code, out) = tokio::task::spawn_blocking(move || run(&mut command))
        .await
        .unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("has been revoked"), "{out}");
}

#[tokio::test]
async fn the_server_refuses_to_start_when_the_current_key_file_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    desk_with_records(dir.path(), 0).await;
    let keys = dir.path().join("data/keys");
    for entry in std::fs::read_dir(&keys).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let url = format!(
        "sqlite://{}",
        dir.path().join("data/appreg.sqlite").display()
    );
    let pool = server::store::open(&url).await.unwrap();
    let error = signing::KeyRing::open(&pool, &keys, "http://127.0.0.1:3000")
        .await
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("the current record-signing key cannot be used"),
        "{error:#}"
    );
}

#[tokio::test]
async fn the_record_is_for_the_owning_organisation_and_reviewers_only() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let reference = submit(&app).await;
    let path = format!("/api/v1/registrations/{reference}/record");
    let anonymous = http::Request::get(&path)
        .header("cookie", "appreg_session=none")
        .body(axum::body::Body::empty())
        .unwrap();
    let (response, body) = app.send(anonymous).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["error"],
        "unauthenticated"
    );
    let other = app
        .sign_in_as(
            "admin@rth.nhs.net",
            server::identity::Role::LocalAdmin,
            Some("RTH"),
        )
        .await;
    let as_other = |path: &str| {
        http::Request::get(path)
            .header("cookie", &other.cookie)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let (response, theirs) = app.send(as_other(&path)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (_, missing) = app
        .send(as_other("/api/v1/registrations/AR-2222-2222/record"))
        .await;
    assert_eq!(
        theirs, missing,
        "another organisation's record is answered as no record"
    );
    let reviewer = app
        .sign_in_as("reviewer@nhs.net", server::identity::Role::Reviewer, None)
        .await;
    let (response, jws) = app
        .send(
            http::Request::get(&path)
                .header("cookie", &reviewer.cookie)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        String::from_utf8(jws).unwrap(),
        record(&app, &reference).await
    );
}
