//! Several desks on one database, as behind a load balancer (issue 15, part 3): each desk has its
//! own pool and writer, and they share the accounts, sessions, requests and the one hash chain.
//! On PostgreSQL (`APPREG_TEST_POSTGRES`, the second run of `scripts/test`) the writer lock is an
//! advisory lock every desk takes; on SQLite the file's own writer lock. Either way no two
//! entries may claim one place in the chain and none may be skipped.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use server::identity::Role;

use crate::api_support::call;
use crate::common::{Account, TestApp, approve, delegated_request};

/// Submits `request` over the API at `desk` as `admin`; its reference.
async fn submit(desk: &TestApp, admin: &Account, request: &serde_json::Value) -> String {
    let answer = call(
        desk,
        Method::POST,
        "/api/v1/registrations",
        Some(admin),
        Some(request),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    answer.json()["reference"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_desks_on_one_database_submit_and_decide_at_once_into_one_unbroken_chain() {
    let first = Arc::new(TestApp::new().await);
    let second = Arc::new(first.another_desk().await);
    // One sign-in serves both desks: the session is in the shared database.
    let admin = first
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let mut request = delegated_request();

    // Some requests to decide while the rest are submitted.
    let mut earlier = Vec::new();
    for n in 0..6 {
        request["application"]["name"] = format!("Earlier {n}").into();
        let desk = if n % 2 == 0 { &first } else { &second };
        earlier.push(submit(desk, &admin, &request).await);
    }

    // 60 submissions, half to each desk, all at once, while each desk approves requests the
    // other one took.
    let mut tasks = Vec::new();
    for n in 0..60 {
        let desk = Arc::clone(if n % 2 == 0 { &first } else { &second });
        let admin = admin.clone();
        let mut request = request.clone();
        request["application"]["name"] = format!("At once {n}").into();
        tasks.push(tokio::spawn(async move {
            submit(&desk, &admin, &request).await
        }));
    }
    let mut decisions = Vec::new();
    for (n, reference) in earlier.iter().enumerate() {
        let desk = Arc::clone(if n % 2 == 0 { &second } else { &first });
        let reference = reference.clone();
        decisions.push(tokio::spawn(
            async move { approve(&desk, &reference).await },
        ));
    }
    let mut references = earlier.clone();
    for task in tasks {
        references.push(task.await.unwrap());
    }
    for decision in decisions {
        decision.await.unwrap();
    }
    let distinct: std::collections::HashSet<_> = references.iter().collect();
    assert_eq!(distinct.len(), 66, "every request has its own reference");

    // Each desk shows what the other stored.
    for (n, reference) in references.iter().enumerate() {
        let desk = if n % 2 == 0 { &second } else { &first };
        let answer = call(
            desk,
            Method::GET,
            &format!("/api/v1/registrations/{reference}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }

    // The chain: 66 records and 6 approvals (low risk: one each), seq 1..=72 with no gap and no
    // fork.
    let (entries, lowest, highest): (i64, i64, i64) =
        sqlx::query_as("SELECT COUNT(*), MIN(seq), MAX(seq) FROM log_entry")
            .fetch_one(&first.state.pool)
            .await
            .unwrap();
    assert_eq!((entries, lowest, highest), (72, 1, 72));

    // And `appreg log verify`, as an auditor runs it, against the shared database.
    let output = {
        let dir = first.dir.path().to_path_buf();
        let database_url = first.database_url.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_appreg"))
                .env_remove("APPREG_CONFIG")
                .env("APPREG_DATA_DIR", &dir)
                .env("APPREG_DATABASE_URL", database_url)
                .args(["log", "verify"])
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let out = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{out}");
    assert!(out.starts_with("ok: 72 entries"), "{out}");
}
