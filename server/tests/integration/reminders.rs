//! Expiry reminders (issue 14, part 4) against the real store with a fixed clock: the nearest
//! reminder whose day has come, each exactly once — across runs, concurrent runs on two pools
//! and a restart — to the organisation's Local Administrators and the contacts, never with the
//! secret; a missed one says the days really left; an expired credential gets one notice.

use std::sync::Arc;

use serde_json::json;
use server::applications::{self, Posted};
use server::identity::{Identity, Role};
use server::signing::KeyRing;
use server::store::{self, WriteLock};
use time::{Duration, OffsetDateTime};

use crate::api_support::submit;
use crate::common::{FIXTURES, TestApp, approve, decoded, delegated_request};

const APP_ID: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";
const OBJECT_ID: &str = "03ef14b0-ca33-4840-8f4f-d6e91916010e";
const SECRET_ID: &str = "aa4fe1b7-2c6b-4e1d-9b9c-54b0d1ee7a5c";
const SECRET_VALUE: &str = "Zq8~REMINDERCANARY.x1y2z3-not-a-real-secret";

/// A live application of RX1 whose client secret expires `expires_in` after `t`, recorded at `t`.
async fn live_with_secret(expires_in: Duration) -> (TestApp, String, OffsetDateTime) {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    app.add_account("second@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    app.add_account("admin@rj1.nhs.net", Role::LocalAdmin, Some("RJ1"))
        .await;
    app.add_account("rita@nhs.net", Role::Reviewer, None).await;
    let mut request = delegated_request();
    request["client_secret"] = json!({ "lifetime_months": 12 });
    let reference = submit(&app, &admin, &request).await;
    approve(&app, &reference).await;
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let reviewer = server::identity::require_reviewer(&Identity {
        user_id: "id-rita".into(),
        email: "rita@nhs.net".into(),
        role: Role::Reviewer,
        ods_code: None,
    })
    .unwrap();
    let state = &app.state;
    applications::implement(
        state.desk(),
        &state.applications,
        &reviewer,
        &reference,
        Posted::Fields(
            serde_json::from_value(json!({
                "application_id": APP_ID,
                "object_id": OBJECT_ID,
                "client_secret": {
                    "value": SECRET_VALUE,
                    "secret_id": SECRET_ID,
                    "expires_at": store::timestamp(t + expires_in),
                },
            }))
            .unwrap(),
        ),
        t,
    )
    .await
    .unwrap();
    (app, reference, t)
}

/// The scheduled jobs at `at` on the app's own pool; only the reminder lines.
async fn run(app: &TestApp, at: OffsetDateTime) -> Vec<String> {
    let state = &app.state;
    reminder_lines(
        server::schedule::run_due(&state.pool, &state.keys, &state.writer, &state.mailer, at)
            .await
            .unwrap(),
    )
}

fn reminder_lines(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .filter(|line| line.starts_with("reminder"))
        .collect()
}

/// The reminder emails in the outbox (not the receipts, decisions or the live notice), their
/// quoted-printable bodies decoded.
fn reminder_mails(app: &TestApp) -> Vec<String> {
    app.outbox()
        .iter()
        .map(|mail| decoded(mail))
        .filter(|mail| mail.contains("client secret expire"))
        .collect()
}

/// (days_before, days_left) of every reminder sent.
async fn sent(app: &TestApp) -> Vec<(i64, i64)> {
    server::reminders::sent(&app.state.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, _, _, days_before, days_left, _)| (days_before, days_left))
        .collect()
}

/// A second desk process on the same database file: its own pool, writer, key ring and mailer.
pub(crate) async fn another_server(
    app: &TestApp,
) -> (
    sqlx::AnyPool,
    KeyRing,
    WriteLock,
    Arc<server::notify::Mailer>,
) {
    let pool = store::open(&app.database_url).await.unwrap();
    let keys = KeyRing::open(&pool, &app.dir.path().join("keys"), "http://127.0.0.1:3000")
        .await
        .unwrap();
    let mailer = Arc::new(
        server::notify::Mailer::outbox(app.dir.path().join("outbox"), "appreg@localhost").unwrap(),
    );
    (pool, keys, WriteLock::new(), mailer)
}

#[tokio::test]
async fn a_secret_expiring_in_7_days_gets_the_7_day_reminder_once_to_the_admins_and_contacts() {
    let (app, reference, t) = live_with_secret(Duration::days(7)).await;
    // Only the nearest reminder: not the 60-, 45-, 30- and 14-day ones that were never due
    // while the application was live.
    let lines = run(&app, t).await;
    assert_eq!(
        lines,
        [format!(
            "reminder: {reference} secret {SECRET_ID} expires in 7 days → 3 recipients"
        )]
    );
    assert_eq!(sent(&app).await, [(7, 7)]);
    // Not twice: later the same day, or days later.
    assert!(run(&app, t + Duration::hours(1)).await.is_empty());
    assert!(run(&app, t + Duration::days(3)).await.is_empty());

    let mails = reminder_mails(&app);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let mail = &mails[0];
    for to in [
        "admin@rx1.nhs.net",
        "second@rx1.nhs.net",
        "jo.bloggs@nhs.net",
    ] {
        assert!(mail.contains(to), "{to} missing:\n{mail}");
    }
    // The submitter is one of the Local Administrators; RJ1's administrator and the reviewer
    // are not told.
    assert!(!mail.contains("admin@rj1.nhs.net"), "{mail}");
    assert!(!mail.contains("rita@nhs.net"), "{mail}");
    assert!(
        mail.contains(&format!(
            "Subject: {reference}: client secret expires in 7 days"
        )),
        "{mail}"
    );
    assert!(mail.contains("Ward Mail Connector"), "{mail}");
    assert!(
        mail.contains(&format!("Client secret ID: {SECRET_ID}")),
        "{mail}"
    );
    assert!(
        mail.contains("Request a renewal before it expires"),
        "{mail}"
    );
    assert!(
        mail.contains(&format!("http://127.0.0.1:3000/requests/{reference}")),
        "{mail}"
    );
    assert!(!mail.contains(SECRET_VALUE), "{mail}");

    // Once expired: one notice, then nothing more.
    let expired = run(&app, t + Duration::days(7)).await;
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert!(
        expired[0].starts_with(&format!(
            "reminder: {reference} secret {SECRET_ID} expired on {}",
            store::timestamp(t + Duration::days(7))
        )),
        "{expired:?}"
    );
    assert!(run(&app, t + Duration::days(8)).await.is_empty());
    assert_eq!(sent(&app).await, [(7, 7), (0, 0)]);
    let mails = reminder_mails(&app);
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|mail| !mail.contains(SECRET_VALUE)));
}

#[tokio::test]
async fn a_missed_reminder_is_sent_late_with_the_days_really_left_and_none_after_the_application_stops_being_live()
 {
    let (app, reference, t) = live_with_secret(Duration::days(100)).await;
    assert!(run(&app, t).await.is_empty(), "100 days out: nothing yet");
    // The desk was down on the 60- and 45-day days: one reminder on its return, with the
    // real count.
    let late = run(&app, t + Duration::days(58)).await;
    assert_eq!(
        late,
        [format!(
            "reminder: {reference} secret {SECRET_ID} expires in 42 days → 3 recipients"
        )]
    );
    // Down again past the 30-, 14- and 7-day days.
    let late = run(&app, t + Duration::days(95)).await;
    assert_eq!(
        late,
        [format!(
            "reminder: {reference} secret {SECRET_ID} expires in 5 days → 3 recipients"
        )]
    );
    assert_eq!(sent(&app).await, [(45, 42), (7, 5)]);
    let mails = reminder_mails(&app);
    let five = mails
        .iter()
        .find(|mail| mail.contains("expires in 5 days"))
        .expect("the late 7-day reminder");
    assert!(!five.contains("in 7 days"), "{five}");

    // No longer live (deleted, say): nothing more, not even the expiry notice.
    sqlx::query("UPDATE registration_request SET status = 'deleted' WHERE reference = $1")
        .bind(&reference)
        .execute(&app.state.pool)
        .await
        .unwrap();
    assert!(run(&app, t + Duration::days(101)).await.is_empty());
}

#[tokio::test]
async fn two_servers_running_at_once_and_a_restart_send_each_reminder_once() {
    let (app, reference, t) = live_with_secret(Duration::days(30)).await;
    let (pool, keys, writer, mailer) = another_server(&app).await;
    let state = &app.state;
    let at = t + Duration::minutes(5);
    let (here, there) = tokio::join!(
        server::schedule::run_due(&state.pool, &state.keys, &state.writer, &state.mailer, at),
        server::schedule::run_due(&pool, &keys, &writer, &mailer, at),
    );
    let mut lines = reminder_lines(here.unwrap());
    lines.extend(reminder_lines(there.unwrap()));
    assert_eq!(
        lines,
        [format!(
            "reminder: {reference} secret {SECRET_ID} expires in 30 days → 3 recipients"
        )]
    );
    // Many at once, on both pools: still nothing more.
    let runs: Vec<_> = (0..4)
        .map(|n| {
            let (pool, keys, writer) = if n % 2 == 0 {
                (
                    state.pool.clone(),
                    Arc::clone(&state.keys),
                    (*state.writer).clone(),
                )
            } else {
                (pool.clone(), Arc::new(keys.clone()), writer.clone())
            };
            let mailer = Arc::clone(&state.mailer);
            tokio::spawn(async move {
                server::schedule::run_due(&pool, &keys, &writer, &mailer, at + Duration::hours(1))
                    .await
                    .unwrap()
            })
        })
        .collect();
    for run in runs {
        assert!(reminder_lines(run.await.unwrap()).is_empty());
    }
    pool.close().await;

    // A restart: a new process on the same file (the CLI, as cron runs it) sends nothing again.
    let output = app
        .appreg_command()
        .args([
            "schedule",
            "run",
            "--now",
            &store::timestamp(t + Duration::days(1)),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains("reminder"), "{stdout}");
    // The next one, from the CLI after the restart: the 14-day reminder, once.
    let output = app
        .appreg_command()
        .args([
            "schedule",
            "run",
            "--now",
            &store::timestamp(t + Duration::days(16)),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        reminder_lines(
            String::from_utf8(output.stdout)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect()
        ),
        [format!(
            "reminder: {reference} secret {SECRET_ID} expires in 14 days → 3 recipients"
        )]
    );
    let (again, ..) = another_server(&app).await;
    assert!(
        reminder_lines(
            server::schedule::run_due(
                &again,
                &state.keys,
                &WriteLock::new(),
                &state.mailer,
                t + Duration::days(16)
            )
            .await
            .unwrap()
        )
        .is_empty()
    );
    assert_eq!(sent(&app).await, [(30, 30), (14, 14)]);
    assert_eq!(reminder_mails(&app).len(), 2);
}

#[tokio::test]
async fn a_certificate_20_days_from_expiry_gets_only_the_nearest_reminder_by_its_thumbprint() {
    use base64::Engine;
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let mut request = delegated_request();
    let pem = std::fs::read(format!("{FIXTURES}rsa2048.pem")).unwrap();
    request["certificates"] = json!([{
        "file_name": "connector.cer",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(pem),
    }]);
    let reference = submit(&app, &admin, &request).await;
    approve(&app, &reference).await;
    let state = &app.state;
    let reviewer = server::identity::require_reviewer(&Identity {
        user_id: "id-rita".into(),
        email: "rita@nhs.net".into(),
        role: Role::Reviewer,
        ods_code: None,
    })
    .unwrap();
    applications::implement(
        state.desk(),
        &state.applications,
        &reviewer,
        &reference,
        Posted::Fields(
            serde_json::from_value(json!({
                "application_id": APP_ID, "object_id": OBJECT_ID, "client_secret": null,
            }))
            .unwrap(),
        ),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let stored = store::registrations::latest(&state.pool, &reference)
        .await
        .unwrap()
        .unwrap();
    let certificate = &stored.report.certificates[0];
    let not_after = certificate.not_after;
    let thumbprint = &certificate.sha1_thumbprint;

    let lines = run(&app, not_after - Duration::days(20)).await;
    assert_eq!(
        lines,
        [format!(
            "reminder: {reference} certificate {thumbprint} expires in 20 days → 2 recipients"
        )]
    );
    assert!(run(&app, not_after - Duration::days(15)).await.is_empty());
    let mail = app
        .outbox()
        .iter()
        .map(|mail| decoded(mail))
        .find(|mail| mail.contains("certificate expires"))
        .expect("the reminder");
    assert!(
        mail.contains(&format!("Certificate thumbprint (SHA-1): {thumbprint}")),
        "{mail}"
    );
    assert!(mail.contains("expires in 20 days"), "{mail}");
    let expired = run(&app, not_after + Duration::days(1)).await;
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert!(expired[0].contains("expired on"), "{expired:?}");
    assert_eq!(sent(&app).await, [(30, 20), (0, -1)]);
}
