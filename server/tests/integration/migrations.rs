//! Upgrading a desk that already holds requests: the migrations that rebuild tables (0009 rebuilds
//! `registration_request`, `decision` and `log_entry` to widen their CHECKs; 0011 rebuilds
//! `registration_request` with `decision`, `implementation` and `client_secret`; 0012 rebuilds
//! them again with `application_step`) keep every row, every
//! foreign key and the log's chain, on a database made by the migrations before them; 0013 marks
//! each request's latest version, for the lists; 0015 rebuilds them again for the `withdrawn`
//! status, with application_step referring to a version rather than to an implementation; 0019
//! rebuilds `users`, with `sessions` and `password_reset` that refer to it, for the `desk_admin`
//! role.

use crate::common::{TestApp, approve, delegated_request, local_admin_of};
use axum::http::Method;
use registration::RegistrationRequest;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};
use std::str::FromStr;

/// The embedded migrations up to and including `last`, as a migrator of their own.
async fn migrations_up_to(last: i64) -> (tempfile::TempDir, sqlx::migrate::Migrator) {
    let dir = tempfile::tempdir().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let number: i64 = name[..4].parse().unwrap();
        if number <= last {
            std::fs::copy(&path, dir.path().join(&name)).unwrap();
        }
    }
    let migrator = sqlx::migrate::Migrator::new(dir.path()).await.unwrap();
    (dir, migrator)
}

async fn count(connection: &mut sqlx::SqliteConnection, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(connection)
        .await
        .unwrap()
}

async fn count_opened(connection: &mut sqlx::AnyConnection, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(connection)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_with_requests_decisions_and_a_log_upgrades_through_the_rebuilding_migrations() {
    // A desk's life so far, made by today's code: requests approved, sent back and pending.
    let app = TestApp::new().await;
    let request = RegistrationRequest::from_json(&delegated_request().to_string()).unwrap();
    let mut references = Vec::new();
    for _ in 0..3 {
        let submitted = server::registrations::submit(
            app.state.desk(),
            &local_admin_of("RX1"),
            &request,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        references.push(submitted.reference);
    }
    approve(&app, &references[0]).await;
    approve(&app, &references[1]).await;
    let (_old, pool, before) = upgraded_from(&app, 8).await;
    assert!(
        before
            .iter()
            .any(|(table, rows)| table == "decision" && *rows >= 2)
    );
    // The chain and everything the pages trust still check out, and the new statuses are taken.
    let report = server::store::audit::run(&pool, None).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report.decisions >= 2 && report.records == 3);
    sqlx::query("UPDATE registration_request SET status = 'live' WHERE reference = $1")
        .bind(&references[0])
        .execute(&pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_with_a_live_application_and_its_secret_upgrades_through_0011() {
    // A live application with a sealed client secret, as a desk at migration 0010 holds it.
    let (desk, reference) = live_with_secret().await;

    let (_old, pool, before) = upgraded_from(&desk.app, 10).await;
    for table in ["implementation", "client_secret", "decision"] {
        assert!(
            before
                .iter()
                .any(|(name, rows)| name == table && *rows >= 1),
            "{table}: {before:?}"
        );
    }
    let report = server::store::audit::run(&pool, None).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.implementations, 1);
    // The sealed secret came through the rebuild byte for byte: it still opens.
    assert_eq!(
        opened_secret(&desk, &pool, &reference).await,
        "Zq8~MIGRATION.not-a-real-secret"
    );
    // The new status and table are there.
    sqlx::query(
        "UPDATE registration_request SET status = 'recovery_requested' WHERE reference = $1",
    )
    .bind(&reference)
    .execute(&pool)
    .await
    .unwrap();
    let steps: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM application_step")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(steps, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_with_a_live_application_its_secret_and_its_steps_upgrades_through_0012() {
    // A live application with a sealed client secret and a deletion asked for and withdrawn, as
    // a desk at migration 0011 holds it.
    let (desk, reference) = live_with_secret().await;
    let reason = serde_json::json!({ "reason": "Checking the upgrade" });
    for (method, body) in [(Method::POST, Some(&reason)), (Method::DELETE, None)] {
        let answer = crate::api_support::call(
            &desk.app,
            method,
            &format!("/api/v1/registrations/{reference}/deletion"),
            Some(&desk.admin),
            body,
        )
        .await;
        assert!(answer.status.is_success(), "{}", answer.text());
    }

    let (_old, pool, before) = upgraded_from(&desk.app, 11).await;
    for table in [
        "implementation",
        "client_secret",
        "decision",
        "application_step",
    ] {
        assert!(
            before
                .iter()
                .any(|(name, rows)| name == table && *rows >= 1),
            "{table}: {before:?}"
        );
    }
    let report = server::store::audit::run(&pool, None).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.application_steps, 2);
    assert_eq!(
        opened_secret(&desk, &pool, &reference).await,
        "Zq8~MIGRATION.not-a-real-secret"
    );
    // The old versions have no purpose; the new status and columns are taken.
    let stored = server::store::registrations::latest(&pool, &reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.purpose, None);
    sqlx::query(
        "UPDATE registration_request SET status = 'superseded', purpose = 'renewal' WHERE reference = $1",
    )
    .bind(&reference)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE draft SET purpose = 'change'")
        .execute(&pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_with_resubmitted_requests_upgrades_through_0013_with_each_latest_version_marked() {
    // One request sent back and resubmitted (versions 1 and 2), one waiting (version 1).
    let app = TestApp::new().await;
    let request = RegistrationRequest::from_json(&delegated_request().to_string()).unwrap();
    let admin = local_admin_of("RX1");
    let now = time::OffsetDateTime::now_utc;
    let mut references = Vec::new();
    for _ in 0..2 {
        let submitted = server::registrations::submit(app.state.desk(), &admin, &request, now())
            .await
            .unwrap();
        references.push(submitted.reference);
    }
    let reviewer = server::identity::require_reviewer(&server::identity::Identity {
        user_id: "rita".into(),
        email: "rita@nhs.net".into(),
        role: server::identity::Role::Reviewer,
        ods_code: None,
    })
    .unwrap();
    server::review::decide(
        app.state.desk(),
        &reviewer,
        &references[0],
        crate::common::seen_latest(&app.state.pool, &references[0]).await,
        server::review::Decision::RequestChanges,
        Some("Name the supplier's hosting"),
        now(),
    )
    .await
    .unwrap();
    server::registrations::resubmit(app.state.desk(), &admin, &references[0], &request, now())
        .await
        .unwrap();

    let (_old, pool, _before) = upgraded_from(&app, 12).await;
    let marks: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT reference, version, is_latest FROM registration_request ORDER BY reference, version",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut expected = vec![
        (references[0].clone(), 1, 0),
        (references[0].clone(), 2, 1),
        (references[1].clone(), 1, 1),
    ];
    expected.sort();
    assert_eq!(marks, expected);
    // The list shows each request once, at its latest version.
    let page = server::store::registrations::list(&pool, &Default::default(), 1)
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    let listed: Vec<(String, i64)> = page
        .items
        .iter()
        .map(|item| (item.reference.clone(), item.version))
        .collect();
    assert!(listed.contains(&(references[0].clone(), 2)), "{listed:?}");
    assert!(listed.contains(&(references[1].clone(), 1)), "{listed:?}");
    let report = server::store::audit::run(&pool, None).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_with_a_live_application_a_change_under_review_and_steps_upgrades_through_0015() {
    // A live application with its secret, a deletion asked for and withdrawn (steps of the
    // implemented version), and a change of it under review, as a desk at 0014 holds them.
    let (desk, reference) = live_with_secret().await;
    let reason = serde_json::json!({ "reason": "Checking the upgrade" });
    for (method, body) in [(Method::POST, Some(&reason)), (Method::DELETE, None)] {
        let answer = crate::api_support::call(
            &desk.app,
            method,
            &format!("/api/v1/registrations/{reference}/deletion"),
            Some(&desk.admin),
            body,
        )
        .await;
        assert!(answer.status.is_success(), "{}", answer.text());
    }
    let mut changed = crate::implementation::request_with_secret();
    changed["application"]["description"] = serde_json::json!("Reads the clinic inbox too");
    let answer = crate::api_support::call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/changes"),
        Some(&desk.admin),
        Some(&changed),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 201, "{}", answer.text());

    let (_old, pool, _before) = upgraded_from(&desk.app, 14).await;
    let report = server::store::audit::run(&pool, None).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.application_steps, 2);
    // The rebuilt table kept each version's latest mark, and its trigger marks a new version.
    let marks: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT version, is_latest FROM registration_request WHERE reference = $1 ORDER BY version",
    )
    .bind(&reference)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(marks, [(1, 0), (2, 1)]);
    // The new status, and a step of a version that was never implemented, are taken; a step
    // of a version that does not exist is not.
    sqlx::query(
        "UPDATE registration_request SET status = 'withdrawn' WHERE reference = $1 AND version = 2",
    )
    .bind(&reference)
    .execute(&pool)
    .await
    .unwrap();
    let step = "INSERT INTO application_step (reference, n, version, step, status_before,
            status_after, taken_at, log_seq)
         VALUES ($1, $2, $3, 'withdraw_request', 'submitted', 'withdrawn', '2026-12-05T10:00:00Z', 1)";
    sqlx::query(step)
        .bind(&reference)
        .bind(3_i64)
        .bind(2_i64)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        sqlx::query(step)
            .bind(&reference)
            .bind(4_i64)
            .bind(7_i64)
            .execute(&pool)
            .await
            .is_err(),
        "a step must be of a version that exists"
    );
    sqlx::query(
        "INSERT INTO registration_request (reference, version, status, ods_code, application_name,
                risk, request_json, report_json, submitted_at)
         SELECT reference, 3, 'submitted', ods_code, application_name, risk, request_json,
                report_json, submitted_at
         FROM registration_request WHERE reference = $1 AND version = 2",
    )
    .bind(&reference)
    .execute(&pool)
    .await
    .unwrap();
    let marks: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT version, is_latest FROM registration_request WHERE reference = $1 ORDER BY version",
    )
    .bind(&reference)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        marks,
        [(1, 0), (2, 0), (3, 1)],
        "the trigger was made again"
    );
    assert_eq!(
        opened_secret(&desk, &pool, &reference).await,
        "Zq8~MIGRATION.not-a-real-secret"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_with_accounts_sessions_and_links_upgrades_through_0019_keeping_them_all() {
    use server::identity::Role;
    use server::identity::accounts::{self, By, ChangeLog};
    // Accounts as a desk at 0018 holds them: signed in (sessions), one with a one-time link to
    // set its password, one disabled, changes signed in the log.
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let rita = app.sign_in_as("rita@nhs.net", Role::Reviewer, None).await;
    app.sign_in("rita@nhs.net", &rita.user_id).await;
    app.add_account("leaver@nhs.net", Role::Reviewer, None)
        .await;
    let now = time::OffsetDateTime::now_utc();
    let log = ChangeLog {
        pool: &app.state.pool,
        keys: &app.state.keys,
        writer: &app.state.writer,
    };
    accounts::set_disabled(log, "leaver@nhs.net", true, By("cli"), now)
        .await
        .unwrap();
    accounts::start_password_reset(&app.state.pool, "admin@rx1.nhs.net", now)
        .await
        .unwrap();

    let (_old, pool, before) = upgraded_from(&app, 18).await;
    for (table, rows) in [("users", 3), ("sessions", 3), ("password_reset", 1)] {
        assert!(
            before.contains(&(table.to_string(), rows)),
            "{table}: {before:?}"
        );
    }
    let report = server::store::audit::run(&pool, None).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.account_changes, 1);
    // The sessions still sign their accounts in, through the rebuilt tables.
    let resumed = server::identity::sessions::resume(
        &pool,
        &server::identity::sessions::SessionToken::new(admin.cookie.split_once('=').unwrap().1),
        now,
    )
    .await
    .unwrap()
    .expect("the session outlived the upgrade");
    assert_eq!(resumed.identity.email, "admin@rx1.nhs.net");

    // The new role is taken, with no organisation; a desk administrator with one is not.
    let insert = "INSERT INTO users (id, email, role, ods_code, password_hash, created_at)
                  VALUES ($1, $2, 'desk_admin', $3, 'x', '2026-12-05T10:00:00Z')";
    sqlx::query(insert)
        .bind("desk-1")
        .bind("dora@nhs.net")
        .bind(None::<String>)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        sqlx::query(insert)
            .bind("desk-2")
            .bind("dan@nhs.net")
            .bind("RX1")
            .execute(&pool)
            .await
            .is_err(),
        "a desk administrator acts for no organisation"
    );
    assert!(
        sqlx::query("UPDATE users SET role = 'owner' WHERE id = 'desk-1'")
            .execute(&pool)
            .await
            .is_err(),
        "an unknown role is still refused"
    );
    assert!(
        sqlx::query("UPDATE users SET ods_code = NULL WHERE email = 'admin@rx1.nhs.net'")
            .execute(&pool)
            .await
            .is_err(),
        "a Local Administrator still needs an organisation"
    );
    // The foreign keys name the rebuilt users table: a session needs its account, and goes
    // with it.
    assert!(
        sqlx::query(
            "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at)
             VALUES ('s', 'nobody', 't', '2026-12-05T10:00:00Z', '2026-12-05T10:00:00Z', '2026-12-05T22:00:00Z')",
        )
        .execute(&pool)
        .await
        .is_err(),
        "a session of no account"
    );
    sqlx::query("DELETE FROM users WHERE email = 'rita@nhs.net'")
        .execute(&pool)
        .await
        .unwrap();
    let mut connection = pool.acquire().await.unwrap();
    assert_eq!(count_opened(&mut connection, "sessions").await, 1);
    sqlx::query("DELETE FROM users WHERE email = 'admin@rx1.nhs.net'")
        .execute(&mut *connection)
        .await
        .unwrap();
    assert_eq!(count_opened(&mut connection, "sessions").await, 0);
    assert_eq!(count_opened(&mut connection, "password_reset").await, 0);
}

/// A desk with RX1's live application recorded with a sealed client secret (made by today's
/// code, through the API).
async fn live_with_secret() -> (crate::implementation::Desk, String) {
    let desk = crate::implementation::desk().await;
    let reference =
        crate::implementation::approved(&desk, &crate::implementation::request_with_secret()).await;
    let expires =
        server::store::timestamp(time::OffsetDateTime::now_utc() + time::Duration::days(200));
    let answer = crate::api_support::call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/implementation"),
        Some(&desk.rita),
        Some(&serde_json::json!({
            "application_id": crate::implementation::APP_ID,
            "object_id": crate::implementation::OBJECT_ID,
            "client_secret": {
                "value": "Zq8~MIGRATION.not-a-real-secret",
                "secret_id": crate::implementation::SECRET_ID,
                "expires_at": expires,
            },
        })),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 201, "{}", answer.text());
    (desk, reference)
}

/// The client secret of `reference` stored in `pool`, opened with the desk's key.
async fn opened_secret(
    desk: &crate::implementation::Desk,
    pool: &sqlx::AnyPool,
    reference: &str,
) -> String {
    let (secret, sealed) = server::store::applications::latest_sealed(pool, reference)
        .await
        .unwrap()
        .unwrap();
    desk.app
        .state
        .applications
        .secrets
        .open_sealed(reference, &secret.secret_id, &sealed.unwrap())
        .unwrap()
}

/// Copies what `app` holds (made by today's code) into a database the migrations up to `last`
/// made, as a desk deployed then would hold it; opens it as the desk does (which applies the
/// rest); checks that every row, every foreign key and the file's integrity survived; and returns
/// the upgraded pool with the row counts from before.
async fn upgraded_from(
    app: &TestApp,
    last: i64,
) -> (tempfile::TempDir, sqlx::AnyPool, Vec<(String, i64)>) {
    let source = app.dir.path().join("appreg.sqlite");

    let old = tempfile::tempdir().unwrap();
    let old_file = old.path().join("appreg.sqlite");
    let (_files, up_to_last) = migrations_up_to(last).await;
    let mut connection =
        SqliteConnectOptions::from_str(&format!("sqlite://{}", old_file.display()))
            .unwrap()
            .create_if_missing(true)
            .foreign_keys(true)
            .connect()
            .await
            .unwrap();
    up_to_last.run(&mut connection).await.unwrap();
    sqlx::query(&format!("ATTACH DATABASE '{}' AS made", source.display()))
        .execute(&mut connection)
        .await
        .unwrap();
    // Every table the migrations up to 0008 made, copied as it is (foreign keys are checked as a
    // whole afterwards).
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut connection)
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM main.sqlite_master WHERE type = 'table'
           AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    assert!(tables.len() >= 10, "{tables:?}");
    let mut before = Vec::new();
    for table in &tables {
        let table = table.as_str();
        sqlx::query(&format!("DELETE FROM main.{table}"))
            .execute(&mut connection)
            .await
            .unwrap();
        let columns: Vec<String> = sqlx::query(&format!("PRAGMA main.table_info({table})"))
            .fetch_all(&mut connection)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>("name"))
            .collect();
        let columns = columns.join(", ");
        sqlx::query(&format!(
            "INSERT INTO main.{table} ({columns}) SELECT {columns} FROM made.{table}"
        ))
        .execute(&mut connection)
        .await
        .unwrap();
        before.push((
            table,
            count(&mut connection, &format!("main.{table}")).await,
        ));
    }
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut connection)
        .await
        .unwrap();
    sqlx::query("DETACH DATABASE made")
        .execute(&mut connection)
        .await
        .unwrap();
    let versions_before: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT reference, version, status FROM registration_request ORDER BY 1, 2")
            .fetch_all(&mut connection)
            .await
            .unwrap();
    connection.close().await.unwrap();

    // The upgrade: the desk opens the old database and applies what it has not yet applied.
    let pool = server::store::open(&format!("sqlite://{}", old_file.display()))
        .await
        .unwrap();
    let mut connection = pool.acquire().await.unwrap();
    for (table, rows) in &before {
        assert_eq!(count_opened(&mut connection, table).await, *rows, "{table}");
    }
    let versions_after: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT reference, version, status FROM registration_request ORDER BY 1, 2")
            .fetch_all(&mut *connection)
            .await
            .unwrap();
    assert_eq!(versions_after, versions_before);
    let broken_keys: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(&mut *connection)
        .await
        .unwrap();
    assert!(broken_keys.is_empty(), "{broken_keys:?}");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut *connection)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(connection);
    let before: Vec<(String, i64)> = before
        .into_iter()
        .map(|(table, rows)| (table.to_string(), rows))
        .collect();
    (old, pool, before)
}
