//! Group commit (`store::writer`) over a real database file: jobs that wait together are
//! committed in one transaction (up to the batch limit), a job that fails in the middle of a
//! batch is rolled back alone and answered with its own error, a batch whose commit fails stores
//! nothing and answers every caller with an error, and decisions mixed with submissions leave a
//! whole, gap-free chain; new requests queued together are stored as one group, drawing fresh
//! references for any taken.
//!
//! To know exactly which jobs share a batch, tests hold the writer's turn (no batch starts),
//! queue the jobs one by one (waiting until each is queued), then let the batch go.

use std::sync::Arc;

use crate::common::{TestApp, delegated_request, local_admin_of};
use registration::RegistrationRequest;
use registration::rules::permission::Risk;
use server::identity::{Identity, Reviewer, Role, require_reviewer};
use server::registrations::{self, Status, SubmitError, Submitted};
use server::review::{self, DecideError, Decision};
use server::store::log::{self, ChainCheck};
use server::store::registrations::VersionRow;
use server::store::writer::{MAX_BATCH, NewRequest, SignedAhead, WriterStats};
use time::OffsetDateTime;
use tokio::task::JoinHandle;

fn request() -> RegistrationRequest {
    RegistrationRequest::from_json(&delegated_request().to_string()).unwrap()
}

fn named(name: &str) -> RegistrationRequest {
    let mut request = request();
    request.application.name = name.to_string();
    request
}

fn reviewer(user_id: &str) -> Reviewer {
    require_reviewer(&Identity {
        user_id: user_id.into(),
        email: format!("{user_id}@nhs.net"),
        role: Role::Reviewer,
        ods_code: None,
    })
    .unwrap()
}

fn spawn_submit(
    app: &Arc<TestApp>,
    request: RegistrationRequest,
) -> JoinHandle<Result<Submitted, SubmitError>> {
    let app = app.clone();
    tokio::spawn(async move {
        registrations::submit(
            app.state.desk(),
            &local_admin_of("RX1"),
            &request,
            OffsetDateTime::now_utc(),
        )
        .await
    })
}

fn spawn_resubmit(
    app: &Arc<TestApp>,
    reference: &str,
    request: RegistrationRequest,
) -> JoinHandle<Result<Submitted, SubmitError>> {
    let app = app.clone();
    let reference = reference.to_string();
    tokio::spawn(async move {
        registrations::resubmit(
            app.state.desk(),
            &local_admin_of("RX1"),
            &reference,
            &request,
            OffsetDateTime::now_utc(),
        )
        .await
    })
}

fn spawn_decide(
    app: &Arc<TestApp>,
    who: &str,
    reference: &str,
    decision: Decision,
    reason: Option<&str>,
) -> JoinHandle<Result<Status, DecideError>> {
    let app = app.clone();
    let who = who.to_string();
    let reference = reference.to_string();
    let reason = reason.map(str::to_string);
    tokio::spawn(async move {
        review::decide(
            app.state.desk(),
            &reviewer(&who),
            &reference,
            crate::common::seen_latest(&app.state.pool, &reference).await,
            decision,
            reason.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await
        .map(|decided| decided.status)
    })
}

async fn submit(app: &TestApp, request: &RegistrationRequest) -> String {
    registrations::submit(
        app.state.desk(),
        &local_admin_of("RX1"),
        request,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap()
    .reference
}

/// Waits until `count` jobs are queued for the writer (the caller holds its turn).
async fn queued(app: &TestApp, count: usize) {
    for _ in 0..2000 {
        if app.state.writer.queued() >= count {
            assert_eq!(app.state.writer.queued(), count);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    panic!(
        "expected {count} queued jobs, found {}",
        app.state.writer.queued()
    );
}

async fn whole_chain(app: &TestApp) -> i64 {
    let keys = log::key_set(&app.state.pool).await.unwrap();
    match log::verify_chain(&app.state.pool, &keys).await.unwrap() {
        ChainCheck::Whole { entries } => entries,
        broken => panic!("the chain is broken: {broken:?}"),
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn status(app: &TestApp, reference: &str) -> Status {
    server::store::registrations::latest(&app.state.pool, reference)
        .await
        .unwrap()
        .unwrap()
        .status
}

/// A request waiting for changes (version 1 submitted, changes requested by `r1`).
async fn awaiting_changes(app: &TestApp) -> String {
    let reference = submit(app, &request()).await;
    review::decide(
        app.state.desk(),
        &reviewer("r1"),
        &reference,
        crate::common::seen_latest(&app.state.pool, &reference).await,
        Decision::RequestChanges,
        Some("Add a contact"),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    reference
}

#[tokio::test]
async fn a_submission_to_an_idle_desk_is_committed_alone_without_waiting_for_company() {
    let app = TestApp::new().await;
    submit(&app, &request()).await;
    assert_eq!(
        app.state.writer.stats(),
        WriterStats {
            batches: 1,
            jobs: 1,
            largest_batch: 1
        }
    );
    submit(&app, &request()).await;
    assert_eq!(app.state.writer.stats().batches, 2);
    assert_eq!(whole_chain(&app).await, 2);
}

#[tokio::test]
async fn submissions_waiting_together_are_committed_in_one_transaction_up_to_the_limit() {
    let app = Arc::new(TestApp::new().await);
    let jobs = MAX_BATCH + 6;
    let turn = app.state.writer.turn().await;
    let tasks: Vec<_> = (0..jobs)
        .map(|n| spawn_submit(&app, named(&format!("Connector {n}"))))
        .collect();
    queued(&app, jobs).await;
    drop(turn);
    let mut references = Vec::new();
    for task in tasks {
        references.push(task.await.unwrap().unwrap().reference);
    }
    assert_eq!(
        app.state.writer.stats(),
        WriterStats {
            batches: 2,
            jobs: jobs as u64,
            largest_batch: MAX_BATCH as u64
        }
    );
    assert_eq!(whole_chain(&app).await, jobs as i64);
    let entries = log::entries(&app.state.pool).await.unwrap();
    let mut logged: Vec<String> = entries.into_iter().map(|entry| entry.reference).collect();
    logged.sort_unstable();
    references.sort_unstable();
    assert_eq!(logged, references);
}

#[tokio::test]
async fn a_resubmission_refused_in_the_middle_of_a_batch_leaves_the_others_stored() {
    let app = Arc::new(TestApp::new().await);
    let reference = awaiting_changes(&app).await;
    let before = app.state.writer.stats();

    let turn = app.state.writer.turn().await;
    let first = spawn_submit(&app, named("First"));
    queued(&app, 1).await;
    let resubmitted = spawn_resubmit(&app, &reference, named("Revised"));
    queued(&app, 2).await;
    // Both resubmissions passed the check made before the writer (the request was waiting for
    // changes); under the writer, the second finds the first's version 2 already submitted.
    let again = spawn_resubmit(&app, &reference, named("Revised again"));
    queued(&app, 3).await;
    let last = spawn_submit(&app, named("Last"));
    queued(&app, 4).await;
    drop(turn);

    let first = first.await.unwrap().unwrap();
    let resubmitted = resubmitted.await.unwrap().unwrap();
    assert!(matches!(
        again.await.unwrap(),
        Err(SubmitError::NotAwaitingChanges(Status::Submitted))
    ));
    let last = last.await.unwrap().unwrap();

    let stats = app.state.writer.stats();
    assert_eq!(
        (stats.batches - before.batches, stats.jobs - before.jobs),
        (1, 4)
    );
    assert_eq!(
        (resubmitted.reference.as_str(), resubmitted.version),
        (reference.as_str(), 2)
    );
    assert_eq!(status(&app, &reference).await, Status::Submitted);
    let versions = server::store::registrations::versions(&app.state.pool, &reference)
        .await
        .unwrap();
    let names: Vec<&str> = versions
        .iter()
        .map(|version| version.application_name.as_str())
        .collect();
    assert_eq!(names, ["Ward Mail Connector", "Revised"]);
    // v1's record, the decision, then the batch's three stored jobs in queue order.
    assert_eq!(whole_chain(&app).await, 5);
    let entries = log::entries(&app.state.pool).await.unwrap();
    let tail: Vec<(&str, i64)> = entries[2..]
        .iter()
        .map(|entry| (entry.reference.as_str(), entry.version))
        .collect();
    assert_eq!(
        tail,
        [
            (first.reference.as_str(), 1),
            (reference.as_str(), 2),
            (last.reference.as_str(), 1)
        ]
    );
}

#[tokio::test]
async fn a_job_failing_after_its_log_append_gives_back_its_place_in_the_chain() {
    let app = Arc::new(TestApp::new().await);
    let decided_on = submit(&app, &request()).await;
    // The decision job appends its signed decision to the log, then this refuses its row.
    let statements: &[&str] = if crate::common::on_postgres() {
        &[
            "CREATE FUNCTION refuse_doomed_decision() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF NEW.reason = 'doomed' THEN RAISE EXCEPTION 'refused by the test'; END IF;
                 RETURN NEW;
             END; $$",
            "CREATE TRIGGER refuse_doomed_decision BEFORE INSERT ON decision
             FOR EACH ROW EXECUTE FUNCTION refuse_doomed_decision()",
        ]
    } else {
        &[
            "CREATE TRIGGER refuse_doomed_decision BEFORE INSERT ON decision
           WHEN NEW.reason = 'doomed' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        ]
    };
    for statement in statements {
        sqlx::query(statement)
            .execute(&app.state.pool)
            .await
            .unwrap();
    }
    let before = app.state.writer.stats();

    let turn = app.state.writer.turn().await;
    let first = spawn_submit(&app, named("First"));
    queued(&app, 1).await;
    let doomed = spawn_decide(&app, "r1", &decided_on, Decision::Reject, Some("doomed"));
    queued(&app, 2).await;
    let last = spawn_submit(&app, named("Last"));
    queued(&app, 3).await;
    drop(turn);

    let first = first.await.unwrap().unwrap();
    assert!(matches!(doomed.await.unwrap(), Err(DecideError::Store(_))));
    let last = last.await.unwrap().unwrap();

    let stats = app.state.writer.stats();
    assert_eq!(
        (stats.batches - before.batches, stats.jobs - before.jobs),
        (1, 3)
    );
    assert_eq!(status(&app, &decided_on).await, Status::Submitted);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM decision").await, 0);
    // The rolled-back decision left no entry and no hole: Last follows First directly.
    assert_eq!(whole_chain(&app).await, 3);
    let entries = log::entries(&app.state.pool).await.unwrap();
    let kinds: Vec<(&str, &str)> = entries
        .iter()
        .map(|entry| (entry.kind.as_str(), entry.reference.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("registration_record", decided_on.as_str()),
            ("registration_record", first.reference.as_str()),
            ("registration_record", last.reference.as_str()),
        ]
    );
    assert_eq!(entries[2].prev_hash, entries[1].entry_hash);
}

#[tokio::test]
async fn a_batch_whose_commit_fails_stores_nothing_and_answers_every_caller_with_an_error() {
    let app = Arc::new(TestApp::new().await);
    // A deferred foreign key is checked at COMMIT: a "Doomed" request makes the commit fail.
    let doom: &[&str] = if crate::common::on_postgres() {
        &[
            "CREATE FUNCTION doom() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF NEW.application_name = 'Doomed' THEN INSERT INTO doom_child VALUES (42); END IF;
                 RETURN NULL;
             END; $$",
            "CREATE TRIGGER doom AFTER INSERT ON registration_request
             FOR EACH ROW EXECUTE FUNCTION doom()",
        ]
    } else {
        &["CREATE TRIGGER doom AFTER INSERT ON registration_request
           WHEN NEW.application_name = 'Doomed' BEGIN INSERT INTO doom_child VALUES (42); END"]
    };
    for statement in [
        "CREATE TABLE doom_parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE doom_child (parent INTEGER REFERENCES doom_parent (id)
           DEFERRABLE INITIALLY DEFERRED)",
    ]
    .iter()
    .chain(doom)
    {
        sqlx::query(statement)
            .execute(&app.state.pool)
            .await
            .unwrap();
    }

    let turn = app.state.writer.turn().await;
    let tasks = [
        spawn_submit(&app, named("First")),
        spawn_submit(&app, named("Doomed")),
        spawn_submit(&app, named("Last")),
    ];
    queued(&app, 3).await;
    drop(turn);
    for task in tasks {
        assert!(matches!(task.await.unwrap(), Err(SubmitError::Store(_))));
    }
    assert_eq!(app.state.writer.stats(), WriterStats::default());
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM registration_request").await,
        0
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM log_entry").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM doom_child").await, 0);

    // The writer goes on: the next submission is stored and starts the chain at 1.
    submit(&app, &named("After")).await;
    assert_eq!(whole_chain(&app).await, 1);
    assert_eq!(app.state.writer.stats().batches, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_decisions_and_submissions_leave_a_whole_chain_and_the_right_statuses() {
    let app = Arc::new(TestApp::new().await);
    let mut decided_on = Vec::new();
    for _ in 0..12 {
        decided_on.push(submit(&app, &request()).await);
    }
    let awaiting = awaiting_changes(&app).await;

    // Each request gets two competing decisions from two reviewers: exactly one may win.
    let mut decisions = Vec::new();
    for (n, reference) in decided_on.iter().enumerate() {
        let (decision, reason) = match n % 3 {
            0 => (Decision::Approve, None),
            1 => (Decision::Reject, Some("Not needed")),
            _ => (Decision::RequestChanges, Some("Add a contact")),
        };
        decisions.push((
            reference.clone(),
            decision,
            spawn_decide(&app, "r1", reference, decision, reason),
            spawn_decide(&app, "r2", reference, decision, reason),
        ));
    }
    let submissions: Vec<_> = (0..30)
        .map(|n| spawn_submit(&app, named(&format!("Concurrent {n}"))))
        .collect();
    let resubmissions: Vec<_> = (0..3)
        .map(|_| spawn_resubmit(&app, &awaiting, named("Revised")))
        .collect();

    let mut submitted = Vec::new();
    for task in submissions {
        submitted.push(task.await.unwrap().unwrap().reference);
    }
    let mut resubmitted = 0;
    for task in resubmissions {
        match task.await.unwrap() {
            Ok(stored) => {
                assert_eq!(stored.version, 2);
                resubmitted += 1;
            }
            Err(SubmitError::NotAwaitingChanges(Status::Submitted)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(resubmitted, 1);
    for (reference, decision, one, other) in decisions {
        let outcomes = [one.await.unwrap(), other.await.unwrap()];
        let expected = match decision {
            Decision::Approve => Status::Approved,
            Decision::Reject => Status::Rejected,
            Decision::RequestChanges => Status::ChangesRequested,
        };
        let won: Vec<&Status> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        assert_eq!(won, [&expected], "{reference}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Err(DecideError::NotAwaitingDecision(s)) if *s == expected)),
            "{reference}: {outcomes:?}"
        );
        assert_eq!(status(&app, &reference).await, expected);
    }
    for reference in &submitted {
        assert_eq!(status(&app, reference).await, Status::Submitted);
    }
    assert_eq!(status(&app, &awaiting).await, Status::Submitted);

    // 13 records and 1 decision before; then 12 decisions, 30 submissions, 1 resubmission.
    assert_eq!(whole_chain(&app).await, 13 + 1 + 12 + 30 + 1);
    // Every decision row points at its own signed decision in the chain.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM decision d JOIN log_entry e ON e.seq = d.log_seq
             WHERE e.kind = 'decision' AND e.reference = d.reference AND e.version = d.version"
        )
        .await,
        13
    );
}

/// A new request as the writer takes it, signed ahead for `reference` (which may be taken), with
/// a signer that signs its real record for whatever reference it is stored under.
fn new_request(app: &TestApp, name: &str, ahead_as: &str) -> NewRequest {
    let request = named(name);
    let now = OffsetDateTime::now_utc();
    let report = registration::validate(&request, app.state.directory.rules(), now);
    assert!(report.valid, "{:?}", report.findings);
    let admin = local_admin_of("RX1");
    let submitter = server::store::registrations::Submitter {
        user_id: admin.user_id(),
        email: admin.email(),
    };
    let row = VersionRow::new(&request, &report, Risk::Low, submitter, None, now).unwrap();
    let email = admin.email().to_string();
    let sign = move |key: &server::signing::PrivateKey, issuer: &str, reference: &str| {
        server::signing::sign_record(
            key,
            &server::signing::RecordSource {
                issuer,
                reference,
                version: 1,
                request: &request,
                report: &report,
                submitted_at: now,
                submitted_by: &email,
                purpose: None,
            },
        )
    };
    let key = app.state.writer.last_key().expect("a batch has run");
    NewRequest {
        signed_ahead: Some(SignedAhead {
            kid: key.kid().to_string(),
            reference: ahead_as.to_string(),
            version: 1,
            record: sign(&key, app.state.keys.issuer(), ahead_as),
        }),
        row,
        draft_id: None,
        sign: Box::new(sign),
        now,
    }
}

#[tokio::test]
async fn new_requests_whose_reference_is_taken_are_stored_under_fresh_ones_and_signed_again() {
    let app = Arc::new(TestApp::new().await);
    let taken = submit(&app, &request()).await;
    // Two new requests signed ahead for the taken reference, and a third for a free one,
    // queued together: one group, one insert of versions and one of entries.
    let turn = app.state.writer.turn().await;
    let tasks: Vec<_> = [
        ("Clash one", taken.clone()),
        ("Clash two", taken.clone()),
        ("Free", "AR-2222-2222".to_string()),
    ]
    .into_iter()
    .map(|(name, ahead_as)| {
        let app = app.clone();
        let new = new_request(&app, name, &ahead_as);
        tokio::spawn(async move {
            app.state
                .writer
                .insert_new(&app.state.pool, &app.state.keys, new)
                .await
        })
    })
    .collect();
    queued(&app, 3).await;
    drop(turn);
    let mut stored = Vec::new();
    for task in tasks {
        stored.push(task.await.unwrap().unwrap());
    }
    assert_ne!(stored[0].reference, taken);
    assert_ne!(stored[1].reference, taken);
    assert_ne!(stored[0].reference, stored[1].reference);
    assert_eq!(stored[2].reference, "AR-2222-2222");
    // In queue order in the chain, each entry after the one before.
    assert_eq!(
        stored.iter().map(|s| s.entry.seq).collect::<Vec<_>>(),
        [2, 3, 4]
    );
    assert_eq!(whole_chain(&app).await, 4);
    // Each stored record names the reference it was stored under (the audit compares them).
    let report = server::store::audit::run(&app.state.pool, None)
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.records, 4);
    assert_eq!(
        app.state.writer.stats(),
        WriterStats {
            batches: 2,
            jobs: 4,
            largest_batch: 3
        }
    );
}
