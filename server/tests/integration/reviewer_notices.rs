//! Reviewers told of what arrives and what is withdrawn (issue 18, part 4), as the
//! `reviewer_notices` setting says: an email each (`each`, the default), one digest a day
//! (`daily`, sent once however many schedulers run), or nothing (`off`).

use axum::http::{Method, StatusCode};
use serde_json::json;
use server::identity::Role;
use server::reviewer_notices::ReviewerNotices;
use time::{Duration, OffsetDateTime};

use crate::api_support::{call, decide, submit};
use crate::common::{Account, TestApp, delegated_request, mails_with_subject as mails};

struct Desk {
    app: TestApp,
    admin: Account,
    rita: Account,
}

async fn desk(notices: ReviewerNotices) -> Desk {
    let app = TestApp::new().await.with_reviewer_notices(notices);
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let rita = app.sign_in_as("rita@nhs.net", Role::Reviewer, None).await;
    app.add_account("raj@nhs.net", Role::Reviewer, None).await;
    // A reviewer who left is never told.
    app.add_account("gone@nhs.net", Role::Reviewer, None).await;
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE email = 'gone@nhs.net'")
        .bind(server::store::timestamp(OffsetDateTime::now_utc()))
        .execute(&app.state.pool)
        .await
        .unwrap();
    Desk { app, admin, rita }
}

/// True when no message whose Subject holds `subject` was sent (after giving the background
/// sender time to have sent one).
async fn none_sent(app: &TestApp, subject: &str) -> bool {
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    mails(app, subject, 0).await.is_empty()
}

/// The next digest time after `now`, plus five minutes (its window holds `now`).
fn next_digest_run(now: OffsetDateTime) -> OffsetDateTime {
    let today = now
        .date()
        .with_time(server::reviewer_notices::DIGEST_AT)
        .assume_utc();
    let due = if now < today {
        today
    } else {
        today + Duration::days(1)
    };
    due + Duration::minutes(5)
}

async fn schedule(app: &TestApp, at: OffsetDateTime) -> Vec<String> {
    server::schedule::run_due(
        &app.state.pool,
        &app.state.keys,
        &app.state.writer,
        &app.state.mailer,
        at,
    )
    .await
    .unwrap()
}

/// Submits `count` requests at once; their references.
async fn submit_at_once(desk: &Desk, count: usize) -> Vec<String> {
    let request = delegated_request();
    let submissions = (0..count).map(|_| submit(&desk.app, &desk.admin, &request));
    futures::future::join_all(submissions).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrivals_at_once_share_reads_of_the_reviewers_and_each_is_announced_once() {
    let desk = desk(ReviewerNotices::Each).await;
    let first = submit_at_once(&desk, 24).await;
    for reference in &first {
        let mails = mails(&desk.app, &format!("{reference}: new request to review"), 1).await;
        assert_eq!(mails.len(), 1, "{reference}: one notice each");
        assert!(mails[0].contains("rita@nhs.net"), "{}", mails[0]);
    }
    // Raj leaves: no notice of a request stored after that names him, however the arrivals
    // are grouped for reading the reviewers.
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE email = 'raj@nhs.net'")
        .bind(server::store::timestamp(OffsetDateTime::now_utc()))
        .execute(&desk.app.state.pool)
        .await
        .unwrap();
    let second = submit_at_once(&desk, 24).await;
    for reference in &second {
        let mails = mails(&desk.app, &format!("{reference}: new request to review"), 1).await;
        assert_eq!(mails.len(), 1, "{reference}: one notice each");
        assert!(mails[0].contains("rita@nhs.net"), "{}", mails[0]);
        assert!(!mails[0].contains("raj@nhs.net"), "{}", mails[0]);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        mails(&desk.app, "to review", 48).await.len(),
        48,
        "no arrival announced twice"
    );
}

#[tokio::test]
async fn with_each_every_active_reviewer_is_emailed_when_a_version_arrives() {
    let desk = desk(ReviewerNotices::Each).await;
    let reference = submit(&desk.app, &desk.admin, &delegated_request()).await;
    let arrived = mails(&desk.app, &format!("{reference}: new request to review"), 1).await;
    assert_eq!(arrived.len(), 1, "one email, to every reviewer");
    let mail = &arrived[0];
    for reviewer in ["rita@nhs.net", "raj@nhs.net"] {
        assert!(mail.contains(reviewer), "{mail}");
    }
    assert!(!mail.contains("gone@nhs.net"), "{mail}");
    assert!(
        !mail.contains("admin@rx1.nhs.net>"),
        "the submitter is not a reviewer: {mail}"
    );
    assert!(
        mail.contains(&format!("http://127.0.0.1:3000/review/{reference}")),
        "{mail}"
    );
    assert!(
        mail.contains("sent a new request for Ward Mail Connector"),
        "{mail}"
    );

    // Sent back and resubmitted: version 2 is announced as such.
    let answer = decide(
        &desk.app,
        &desk.rita,
        &reference,
        "request_changes",
        Some("Say more"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let mut changed = delegated_request();
    changed["application"]["description"] = json!("Reads the referrals inbox, as asked");
    let answer = call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/versions"),
        Some(&desk.admin),
        Some(&changed),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let again = mails(&desk.app, &format!("{reference}: version 2 to review"), 1).await;
    assert_eq!(again.len(), 1);
    assert!(again[0].contains("version 2, changed as a reviewer asked"));
    // No digest is sent with `each`.
    assert!(
        schedule(&desk.app, next_digest_run(OffsetDateTime::now_utc()))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn with_daily_one_digest_a_day_lists_arrivals_and_withdrawals_and_is_sent_once() {
    let desk = desk(ReviewerNotices::Daily).await;
    let kept = submit(&desk.app, &desk.admin, &delegated_request()).await;
    let mut other = delegated_request();
    other["application"]["name"] = json!("Changed Mind Connector");
    let gone = submit(&desk.app, &desk.admin, &other).await;
    let answer = call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{gone}/withdrawal"),
        Some(&desk.admin),
        Some(&json!({ "reason": "Bought another product" })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    // Nothing is sent to reviewers as it happens.
    assert!(none_sent(&desk.app, "to review").await);
    assert!(none_sent(&desk.app, "no decision needed").await);

    let at = next_digest_run(OffsetDateTime::now_utc());
    // Not before its time.
    assert!(
        schedule(&desk.app, at - Duration::minutes(10))
            .await
            .iter()
            .all(|line| !line.contains("digest"))
    );
    let lines = schedule(&desk.app, at).await;
    assert_eq!(
        lines,
        [format!(
            "reviewers' digest for {}: 2 arrived, 1 withdrawn, 1 waiting, to 2 reviewer(s)",
            at.date()
        )]
    );
    let digest = mails(&desk.app, "Registration requests: 2 arrived, 1 waiting", 1).await;
    assert_eq!(digest.len(), 1);
    let mail = &digest[0];
    assert!(mail.contains(&format!("/review/{kept}")), "{mail}");
    assert!(mail.contains("Changed Mind Connector"), "{mail}");
    assert!(mail.contains("Bought another product"), "{mail}");
    assert!(mail.contains("rita@nhs.net") && mail.contains("raj@nhs.net"));
    assert!(!mail.contains("gone@nhs.net"));

    // Once a day: a second run, or a second desk on the same database, sends nothing more.
    assert!(
        schedule(&desk.app, at + Duration::hours(1))
            .await
            .is_empty()
    );
    let another = desk
        .app
        .another_desk()
        .await
        .with_reviewer_notices(ReviewerNotices::Daily);
    assert!(schedule(&another, at + Duration::hours(2)).await.is_empty());
    assert_eq!(mails(&desk.app, "Registration requests:", 1).await.len(), 1);

    // The next day: nothing arrived, one still waits — it says so.
    let lines = schedule(&desk.app, at + Duration::days(1)).await;
    assert_eq!(
        lines,
        [format!(
            "reviewers' digest for {}: 0 arrived, 0 withdrawn, 1 waiting, to 2 reviewer(s)",
            (at + Duration::days(1)).date()
        )]
    );
}

#[tokio::test]
async fn two_desks_running_the_days_digest_at_once_send_it_once() {
    let first = desk(ReviewerNotices::Daily).await;
    submit(&first.app, &first.admin, &delegated_request()).await;
    let second = first
        .app
        .another_desk()
        .await
        .with_reviewer_notices(ReviewerNotices::Daily);
    let at = next_digest_run(OffsetDateTime::now_utc());
    let (one, two) = tokio::join!(schedule(&first.app, at), schedule(&second, at));
    let digests: Vec<&String> = one
        .iter()
        .chain(&two)
        .filter(|line| line.contains("digest"))
        .collect();
    assert_eq!(digests.len(), 1, "{digests:?}");
}

#[tokio::test]
async fn with_off_reviewers_get_no_email() {
    let desk = desk(ReviewerNotices::Off).await;
    let reference = submit(&desk.app, &desk.admin, &delegated_request()).await;
    let answer = call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/withdrawal"),
        Some(&desk.admin),
        Some(&json!({})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    // The organisation's own notices still go; nothing to reviewers.
    assert!(
        !mails(&desk.app, &format!("{reference}: request withdrawn"), 1)
            .await
            .is_empty()
    );
    assert!(none_sent(&desk.app, "to review").await);
    assert!(none_sent(&desk.app, "no decision needed").await);
    assert!(
        schedule(&desk.app, next_digest_run(OffsetDateTime::now_utc()))
            .await
            .is_empty()
    );
}

/// Mail that cannot be sent at the digest's time: the outbox's directory replaced by a file, as
/// a full or unmounted disk (or an SMTP server that is down) would refuse it.
fn break_the_outbox(app: &TestApp) -> std::path::PathBuf {
    let outbox = app.dir.path().join("outbox");
    std::fs::remove_dir_all(&outbox).unwrap();
    std::fs::write(&outbox, b"not a directory").unwrap();
    outbox
}

#[tokio::test]
async fn a_digest_the_mail_refused_is_sent_by_the_next_run_and_the_other_jobs_still_run() {
    let desk = desk(ReviewerNotices::Daily).await;
    submit(&desk.app, &desk.admin, &delegated_request()).await;
    let at = next_digest_run(OffsetDateTime::now_utc());
    let outbox = break_the_outbox(&desk.app);
    // The run says so, and is not an error: the scheduler's other jobs run after it.
    let lines = schedule(&desk.app, at).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!(
            "reviewers' digest for {} not sent (it is sent by the next run): ",
            at.date()
        )),
        "{lines:?}"
    );
    // Mail works again: the scheduler's next run, ten minutes later, sends it, once.
    std::fs::remove_file(&outbox).unwrap();
    std::fs::create_dir(&outbox).unwrap();
    one_arrival_sent_once_by_the_run_at(&desk.app, at + Duration::minutes(10), at.date()).await;
}

/// The run at `run_at` sends `day`'s digest of one arrival, once; a later run sends nothing more.
async fn one_arrival_sent_once_by_the_run_at(
    app: &TestApp,
    run_at: OffsetDateTime,
    day: time::Date,
) {
    assert_eq!(
        schedule(app, run_at).await,
        [format!(
            "reviewers' digest for {day}: 1 arrived, 0 withdrawn, 1 waiting, to 2 reviewer(s)"
        )]
    );
    assert_eq!(
        mails(app, "Registration requests: 1 arrived, 1 waiting", 1)
            .await
            .len(),
        1
    );
    assert!(schedule(app, run_at + Duration::hours(1)).await.is_empty());
}

#[tokio::test]
async fn a_digest_claimed_by_a_run_that_stopped_before_sending_is_sent_once_its_claim_is_stale() {
    let desk = desk(ReviewerNotices::Daily).await;
    submit(&desk.app, &desk.admin, &delegated_request()).await;
    let at = next_digest_run(OffsetDateTime::now_utc());
    // A run (this desk's or another's) claimed the day and stopped: a power cut, a kill.
    sqlx::query("INSERT INTO reviewer_digest (day, claimed_at) VALUES ($1, $2)")
        .bind(at.date().to_string())
        .bind(server::store::timestamp(at - Duration::minutes(1)))
        .execute(&desk.app.state.pool)
        .await
        .unwrap();
    // While the claim may still be at work, nothing more is sent…
    assert!(schedule(&desk.app, at).await.is_empty());
    // …and once it is older than the lease, the next run sends the day's digest.
    one_arrival_sent_once_by_the_run_at(&desk.app, at + server::reminders::CLAIM_LEASE, at.date())
        .await;
}
