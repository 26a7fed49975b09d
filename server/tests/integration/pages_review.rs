//! The reviewer's pages over the real router and a real database file: the queue, a request's
//! page, and the decision form post with its four-eyes rules and its signed log entries.

use crate::common::{Account, TestApp, app_only_mail_request, delegated_request, local_admin_of};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use registration::RegistrationRequest;
use server::identity::{Identity, LocalAdminOf, Role, require_local_admin};
use server::registrations;
use server::review::{self, Decision};
use server::store::log::{self, ChainCheck};
use time::{Duration, OffsetDateTime};

/// App-only Mail.Send with a certificate: high risk, two approvals.
fn app_only_request() -> RegistrationRequest {
    RegistrationRequest::from_json(&app_only_mail_request().to_string()).unwrap()
}

/// Delegated IMAP for RX1: low risk, one approval.
fn low_risk_request() -> RegistrationRequest {
    RegistrationRequest::from_json(&delegated_request().to_string()).unwrap()
}

/// Submits `request` as `admin`, `minutes` minutes from now (so the queue's order is known).
async fn submit_as(
    app: &TestApp,
    admin: &LocalAdminOf,
    request: &RegistrationRequest,
    minutes: i64,
) -> String {
    match registrations::submit(
        app.state.desk(),
        admin,
        request,
        OffsetDateTime::now_utc() + Duration::minutes(minutes),
    )
    .await
    {
        Ok(submitted) => submitted.reference,
        Err(registrations::SubmitError::Invalid(report)) => panic!("invalid: {report:#?}"),
        Err(error) => panic!("{error}"),
    }
}

async fn submit(app: &TestApp, request: &RegistrationRequest, minutes: i64) -> String {
    submit_as(app, &local_admin_of("RX1"), request, minutes).await
}

async fn get_as(
    app: &TestApp,
    account: Option<&Account>,
    path: &str,
) -> (StatusCode, String, String) {
    let mut request = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(account) = account {
        request = request.header(header::COOKIE, &account.cookie);
    }
    let (response, body) = app.send(request.body(Body::empty()).unwrap()).await;
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        response.status(),
        location,
        String::from_utf8(body).unwrap(),
    )
}

/// Posts the decision form; returns the status, the Location and the body.
async fn post_decision(
    app: &TestApp,
    account: Option<&Account>,
    reference: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    // As the page's form does: the version on the page and its record's hash, unless the test
    // says otherwise.
    let mut fields: Vec<(String, String)> = fields
        .iter()
        .map(|(name, value)| ((*name).to_string(), (*value).to_string()))
        .collect();
    let exists = server::store::registrations::latest(&app.state.pool, reference)
        .await
        .unwrap()
        .is_some();
    if exists && !fields.iter().any(|(name, _)| name == "version") {
        let seen = crate::common::seen_latest(&app.state.pool, reference).await;
        fields.push(("version".into(), seen.version.to_string()));
        fields.push((
            "record_sha256".into(),
            seen.record_sha256.unwrap_or_default(),
        ));
    }
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let mut request = Request::post(format!("/review/{reference}/decisions"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(account) = account {
        request = request.header(header::COOKIE, &account.cookie);
    }
    let (response, body) = app.send(request.body(Body::from(body)).unwrap()).await;
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        response.status(),
        location,
        String::from_utf8(body).unwrap(),
    )
}

/// Posts a decision with the account's CSRF token and expects the redirect back to the page.
async fn decide(
    app: &TestApp,
    account: &Account,
    reference: &str,
    decision: &str,
    reason: &str,
) -> String {
    let (status, location, _) = post_decision(
        app,
        Some(account),
        reference,
        &[
            ("csrf_token", &account.csrf),
            ("decision", decision),
            ("reason", reason),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    location
}

async fn reviewer(app: &TestApp, name: &str) -> Account {
    app.sign_in_as(&format!("{name}@nhs.net"), Role::Reviewer, None)
        .await
}

async fn admin(app: &TestApp) -> Account {
    app.sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await
}

/// The references in the queue's table, in the order shown.
fn queue_references(body: &str) -> Vec<String> {
    body.split("data-reference=\"")
        .skip(1)
        .map(|rest| rest[..12].to_string())
        .collect()
}

async fn whole_chain(app: &TestApp) -> ChainCheck {
    let keys = log::key_set(&app.state.pool).await.unwrap();
    log::verify_chain(&app.state.pool, &keys).await.unwrap()
}

// --- The queue -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_sends_someone_not_signed_in_to_sign_in_and_refuses_local_administrators() {
    let app = TestApp::new().await;
    let (status, location, _) = get_as(&app, None, "/review").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/sign-in?next=/review");

    let admin = admin(&app).await;
    let (status, _, body) = get_as(&app, Some(&admin), "/review").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("The review queue is for reviewers"), "{body}");
    assert!(!body.contains("id=\"queue\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_shows_what_awaits_a_decision_oldest_first_and_filters_by_status_organisation_and_risk()
 {
    let app = TestApp::new().await;
    let rita = reviewer(&app, "rita").await;
    let newest = submit(&app, &low_risk_request(), 3).await;
    let oldest = submit(&app, &app_only_request(), 1).await;
    let decided = submit(&app, &low_risk_request(), 2).await;
    assert_eq!(
        decide(&app, &rita, &decided, "approve", "").await,
        format!("/review/{decided}?decided=approved")
    );

    let (status, _, body) = get_as(&app, Some(&rita), "/review").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        queue_references(&body),
        vec![oldest.clone(), newest.clone()]
    );
    assert!(body.contains(&format!("href=\"/review/{oldest}\"")));
    assert!(body.contains("Ward Mail Connector"));
    assert!(body.contains("data-status=\"submitted\""));
    assert!(body.contains("data-risk=\"high\""));
    assert!(body.contains("Showing 1 to 2 of 2 requests, oldest first"));
    // The default filter is selected in the form.
    assert!(
        body.contains("<option value=\"awaiting\" selected"),
        "{body}"
    );

    let (_, _, body) = get_as(&app, Some(&rita), "/review?status=all").await;
    assert_eq!(
        queue_references(&body),
        vec![oldest.clone(), decided.clone(), newest.clone()]
    );
    let (_, _, body) = get_as(&app, Some(&rita), "/review?status=approved").await;
    assert_eq!(queue_references(&body), vec![decided.clone()]);
    let (_, _, body) = get_as(&app, Some(&rita), "/review?status=awaiting&risk=high").await;
    assert_eq!(queue_references(&body), vec![oldest.clone()]);
    let (_, _, body) = get_as(
        &app,
        Some(&rita),
        "/review?status=all&risk=low&ods_code=rx1",
    )
    .await;
    assert_eq!(
        queue_references(&body),
        vec![decided.clone(), newest.clone()]
    );
    assert!(body.contains("value=\"RX1\""), "the typed filter is kept");

    let (status, _, body) = get_as(&app, Some(&rita), "/review?status=all&ods_code=RTH").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue_references(&body).is_empty());
    assert!(body.contains("No requests match"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_has_pages_of_fifty_that_keep_the_filters() {
    let app = TestApp::new().await;
    let rita = reviewer(&app, "rita").await;
    let mut references = Vec::new();
    for minute in 0..52 {
        references.push(submit(&app, &low_risk_request(), minute).await);
    }

    let (_, _, body) = get_as(&app, Some(&rita), "/review?risk=low").await;
    assert_eq!(queue_references(&body), references[..50].to_vec());
    assert!(body.contains("Showing 1 to 50 of 52 requests"));
    assert!(body.contains("class=\"nhsuk-pagination nhsuk-pagination--numbered\""));
    assert!(
        body.contains("href=\"/review?status=awaiting&amp;risk=low&amp;page=2\""),
        "{body}"
    );

    let (_, _, body) = get_as(&app, Some(&rita), "/review?risk=low&page=2").await;
    assert_eq!(queue_references(&body), references[50..].to_vec());
    assert!(body.contains("Showing 51 to 52 of 52 requests"));
    assert!(
        body.contains("aria-label=\"Page 2\" aria-current=\"page\""),
        "{body}"
    );
    assert!(body.contains("rel=\"prev\""));
    assert!(!body.contains("rel=\"next\""));
}

// --- A request's page ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_page_is_for_reviewers_and_an_unknown_reference_is_not_found() {
    let app = TestApp::new().await;
    let reference = submit(&app, &low_risk_request(), 0).await;
    let path = format!("/review/{reference}");

    let (status, location, _) = get_as(&app, None, &path).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/sign-in?next={path}"));

    let admin = admin(&app).await;
    let (status, _, body) = get_as(&app, Some(&admin), &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("The review queue is for reviewers"));

    let rita = reviewer(&app, "rita").await;
    for unknown in ["/review/AR-2222-2222", "/review/not-a-reference"] {
        let (status, _, body) = get_as(&app, Some(&rita), unknown).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
        assert!(body.contains("Page not found"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_page_shows_findings_certificate_permissions_with_their_risk_and_the_form() {
    let app = TestApp::new().await;
    let reference = submit(&app, &app_only_request(), 0).await;
    let stored = registrations::find(&app.state.pool, &reviewer_identity(), &reference)
        .await
        .unwrap()
        .unwrap();
    let rita = reviewer(&app, "rita").await;
    let (status, _, body) = get_as(&app, Some(&rita), &format!("/review/{reference}")).await;
    assert_eq!(status, StatusCode::OK);

    assert!(body.contains("<h1>Ward Mail Connector</h1>"), "{body}");
    assert!(body.contains("admin@rx1.nhs.net"), "the submitter is named");
    assert!(body.contains("Two reviewers must approve"));
    // Every finding of the stored report, with its code and field.
    assert!(
        !stored.report.findings.is_empty(),
        "the fixture has warnings"
    );
    for finding in &stored.report.findings {
        assert!(
            body.contains(&format!("data-code=\"{}\"", finding.code.code())),
            "{}",
            finding.code.code()
        );
        assert!(body.contains(&format!("<code>{}</code>", finding.path)));
    }
    // The certificate's details.
    let certificate = &stored.report.certificates[0];
    assert!(body.contains("connector.cer"));
    assert!(body.contains(&certificate.sha1_thumbprint));
    assert!(body.contains(&certificate.sha256_thumbprint));
    assert!(body.contains(&certificate.key));
    // Each permission with its risk and why.
    assert!(body.contains("data-permission=\"Mail.Send\""));
    assert!(body.contains("App-only access to mailbox data"));
    assert!(body.contains("data-risk=\"high\""));
    // The decision form, with the session's CSRF token and the reason's limit.
    assert!(body.contains(&format!("action=\"/review/{reference}/decisions\"")));
    assert!(crate::common::carries_csrf_token(&body, &rita.csrf));
    assert!(body.contains(&format!("maxlength=\"{}\"", review::MAX_REASON_CHARS)));
    assert!(body.contains("Record decision"));
    assert!(body.contains("first of two approvals"));
    assert!(body.contains("No decisions yet."));
    // The certificate's bytes stay on the server: the page shows what the report says of them.
    assert!(!body.contains(&certificate.der_base64));
}

fn reviewer_identity() -> Identity {
    Identity {
        user_id: "someone".into(),
        email: "someone@nhs.net".into(),
        role: Role::Reviewer,
        ods_code: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resubmitted_request_shows_what_changed_since_the_previous_version() {
    let app = TestApp::new().await;
    let rita = reviewer(&app, "rita").await;
    let reference = submit(&app, &low_risk_request(), 0).await;
    let (_, _, body) = get_as(&app, Some(&rita), &format!("/review/{reference}")).await;
    assert!(
        !body.contains("Changed since version"),
        "version 1 has nothing to compare"
    );
    decide(
        &app,
        &rita,
        &reference,
        "request_changes",
        "Drop the token endpoint",
    )
    .await;

    let mut changed = low_risk_request();
    changed.token_endpoint_uris.clear();
    changed.application.supplier = "Example Health Group".into();
    registrations::resubmit(
        app.state.desk(),
        &local_admin_of("RX1"),
        &reference,
        &changed,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();

    let (status, _, body) = get_as(&app, Some(&rita), &format!("/review/{reference}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Changed since version 1"));
    assert!(body.contains("data-path=\"application.supplier\""));
    assert!(body.contains("Example Health Group"));
    assert!(body.contains("data-path=\"token_endpoint_uris\""));
    // The decision on version 1 stays in the history; version 2 awaits one.
    assert!(body.contains("Drop the token endpoint"));
    assert!(body.contains("Record decision"));
}

// --- Decisions -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_a_low_risk_request_approves_it_and_signs_the_decision_into_the_log() {
    let app = TestApp::new().await;
    let reference = submit(&app, &low_risk_request(), 0).await;
    let rita = reviewer(&app, "rita").await;
    assert_eq!(
        decide(&app, &rita, &reference, "approve", "").await,
        format!("/review/{reference}?decided=approved")
    );

    let (status, _, body) = get_as(
        &app,
        Some(&rita),
        &format!("/review/{reference}?decided=approved"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("id=\"decided\""));
    assert!(body.contains("<p class=\"nhsuk-notification-banner__heading\">Approved</p>"));
    assert!(body.contains("The request is approved: no further decision is needed."));
    assert!(!body.contains("Record decision"));
    assert!(
        body.contains("rita@nhs.net"),
        "the decision is listed with its reviewer"
    );

    let decisions = review::decisions(&app.state.pool, &reviewer_identity(), &reference)
        .await
        .unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].decision, Decision::Approve);
    assert_eq!(decisions[0].reviewer_email, "rita@nhs.net");
    // The request's record and the decision, in one unbroken signed chain.
    assert_eq!(whole_chain(&app).await, ChainCheck::Whole { entries: 2 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_only_mail_needs_two_different_reviewers_to_approve() {
    let app = TestApp::new().await;
    let reference = submit(&app, &app_only_request(), 0).await;
    let page = format!("/review/{reference}");
    let rita = reviewer(&app, "rita").await;
    let sam = reviewer(&app, "sam").await;

    assert_eq!(
        decide(&app, &rita, &reference, "approve", "Scoped to one group").await,
        format!("{page}?decided=awaiting_second_approval")
    );
    let (_, _, body) = get_as(
        &app,
        Some(&rita),
        &format!("{page}?decided=awaiting_second_approval"),
    )
    .await;
    assert!(body.contains("First approval recorded: a second reviewer must approve"));
    assert!(body.contains("You gave the first approval."));
    assert!(!body.contains("Record decision"));

    // The same reviewer posting again is refused and told why; nothing is recorded.
    assert_eq!(
        decide(&app, &rita, &reference, "approve", "").await,
        format!("{page}?error=second_approval_by_same_reviewer&decision=approve")
    );
    let (_, _, body) = get_as(
        &app,
        Some(&rita),
        &format!("{page}?error=second_approval_by_same_reviewer&decision=approve"),
    )
    .await;
    assert!(body.contains("Your decision was not recorded"));
    assert!(body.contains("the second must come from another reviewer"));

    let (_, _, body) = get_as(&app, Some(&sam), &page).await;
    assert!(
        body.contains("Record decision"),
        "another reviewer may decide"
    );
    assert_eq!(
        decide(&app, &sam, &reference, "approve", "").await,
        format!("{page}?decided=approved")
    );
    let stored = registrations::find(&app.state.pool, &reviewer_identity(), &reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, registrations::Status::Approved);
    assert_eq!(whole_chain(&app).await, ChainCheck::Whole { entries: 3 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejecting_or_requesting_changes_without_a_reason_comes_back_with_the_error_and_the_choice()
{
    let app = TestApp::new().await;
    let reference = submit(&app, &low_risk_request(), 0).await;
    let page = format!("/review/{reference}");
    let rita = reviewer(&app, "rita").await;

    let location = decide(&app, &rita, &reference, "reject", "   ").await;
    assert_eq!(
        location,
        format!("{page}?error=reason_required&decision=reject")
    );
    let (status, _, body) = get_as(&app, Some(&rita), &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("class=\"nhsuk-error-summary\""));
    assert!(body.contains("<a href=\"#reason\">Enter why you are rejecting the request</a>"));
    assert!(body.contains("id=\"reason-error\""));
    assert!(body.contains("nhsuk-textarea--error"));
    assert!(
        body.contains(
            "id=\"decision-reject\" name=\"decision\" type=\"radio\" value=\"reject\" checked"
        ),
        "{body}"
    );

    assert_eq!(
        decide(&app, &rita, &reference, "request_changes", "").await,
        format!("{page}?error=reason_required&decision=request_changes")
    );
    // No decision was chosen at all.
    assert_eq!(
        decide(&app, &rita, &reference, "", "").await,
        format!("{page}?error=decision_required")
    );
    // Nothing was recorded.
    assert_eq!(whole_chain(&app).await, ChainCheck::Whole { entries: 1 });

    assert_eq!(
        decide(&app, &rita, &reference, "reject", "Not an NHS application").await,
        format!("{page}?decided=rejected")
    );
    let (_, _, body) = get_as(&app, Some(&rita), &page).await;
    assert!(body.contains("Not an NHS application"));
    assert!(body.contains("The request is rejected: no further decision is needed."));
    assert_eq!(
        decide(&app, &rita, &reference, "approve", "").await,
        format!("{page}?error=not_awaiting_decision&decision=approve")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_post_needs_a_signed_in_reviewer_and_the_session_csrf_token() {
    let app = TestApp::new().await;
    let reference = submit(&app, &low_risk_request(), 0).await;
    let rita = reviewer(&app, "rita").await;

    let (status, location, _) =
        post_decision(&app, None, &reference, &[("decision", "approve")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/sign-in?next=/review/{reference}"));

    let admin = admin(&app).await;
    let (status, _, body) = post_decision(
        &app,
        Some(&admin),
        &reference,
        &[("csrf_token", &admin.csrf), ("decision", "approve")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        "Only a reviewer can do this: decide on registration requests, record them as created in NHSmail, and confirm or decline deletions and recoveries."
    );

    for csrf in [None, Some("not-the-token"), Some("")] {
        let mut fields = vec![("decision", "approve")];
        if let Some(csrf) = csrf {
            fields.push(("csrf_token", csrf));
        }
        let (status, _, body) = post_decision(&app, Some(&rita), &reference, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{csrf:?}");
        assert!(body.starts_with("This form has expired"), "{body}");
    }
    // Another session's token is not this session's.
    let rita_again = app.sign_in(&rita.email, &rita.user_id).await;
    let (status, _, _) = post_decision(
        &app,
        Some(&rita),
        &reference,
        &[("csrf_token", &rita_again.csrf), ("decision", "approve")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _, _) = post_decision(
        &app,
        Some(&rita),
        "AR-2222-2222",
        &[("csrf_token", &rita.csrf), ("decision", "approve")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(whole_chain(&app).await, ChainCheck::Whole { entries: 1 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_who_submitted_a_version_cannot_decide_on_it() {
    let app = TestApp::new().await;
    let rita = reviewer(&app, "rita").await;
    // An account that submitted as a Local Administrator before it became a reviewer's.
    let as_admin = require_local_admin(
        &Identity {
            user_id: rita.user_id.clone(),
            email: rita.email.clone(),
            role: Role::LocalAdmin,
            ods_code: Some("RX1".into()),
        },
        "RX1",
    )
    .unwrap();
    let reference = submit_as(&app, &as_admin, &low_risk_request(), 0).await;
    let page = format!("/review/{reference}");

    let (_, _, body) = get_as(&app, Some(&rita), &page).await;
    assert!(body.contains("You submitted a version of this request, so you cannot decide on it."));
    assert!(!body.contains("Record decision"));
    assert_eq!(
        decide(&app, &rita, &reference, "approve", "").await,
        format!("{page}?error=own_submission&decision=approve")
    );
    assert_eq!(whole_chain(&app).await, ChainCheck::Whole { entries: 1 });
}

/// The review page of a request awaiting a decision checks it again today and says whether the
/// findings are the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_page_checks_the_request_again_today() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let rita = app.sign_in_as("rita@nhs.net", Role::Reviewer, None).await;
    let reference = crate::api_support::submit(&app, &admin, &delegated_request()).await;
    let page = crate::api_support::get_page(&app, &rita, &format!("/review/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Checked again today with the same rules: the findings are the same."),
        "{}",
        page.body
    );
}

/// A review page lists the organisation's other requests and flags those that look like the
/// same application (issue 18, part 4): the same name, or a shared redirect URI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_page_lists_the_organisations_other_requests_and_flags_likely_duplicates() {
    let app = TestApp::new().await;
    let reviewer = reviewer(&app, "reviewer1").await;
    let mut first = low_risk_request();
    first.application.name = "Ward Mail Connector".into();
    let earlier = submit(&app, &first, 0).await;
    let (_, _, alone) = get_as(&app, Some(&reviewer), &format!("/review/{earlier}")).await;
    assert!(alone.contains("id=\"no-siblings\""), "{alone}");
    assert!(!alone.contains("id=\"likely-duplicates\""), "{alone}");

    let mut unrelated = low_risk_request();
    unrelated.application.name = "Pathology results".into();
    unrelated.redirect_uris[0].uri = "https://pathology.nuh.nhs.uk/callback".into();
    let other = submit(&app, &unrelated, 1).await;
    let mut same_uri = low_risk_request();
    same_uri.application.name = "Referrals bot".into();
    let sharing = submit(&app, &same_uri, 2).await;
    let mut elsewhere = low_risk_request();
    elsewhere.ods_code = "RTH".into();
    elsewhere.mailboxes.clear();
    let theirs = submit_as(&app, &local_admin_of("RTH"), &elsewhere, 3).await;

    // The reviewed request: the same name as `earlier`, the same redirect URI as it and `sharing`.
    let reviewed = submit(&app, &first, 4).await;
    let (status, _, page) = get_as(&app, Some(&reviewer), &format!("/review/{reviewed}")).await;
    assert_eq!(status, StatusCode::OK);
    let uri = &first.redirect_uris[0].uri;
    let warning = page
        .split("id=\"likely-duplicates\"")
        .nth(1)
        .expect("a duplicate warning")
        .split("</div>")
        .next()
        .unwrap()
        .to_string();
    assert!(
        warning.contains(&format!(
            "{earlier}</a> (Ward Mail Connector, submitted), with the same application name and the same redirect URI, {uri}"
        )),
        "{warning}"
    );
    assert!(warning.contains(&sharing), "{warning}");
    assert!(!warning.contains(&other), "{warning}");
    let table = page
        .split("id=\"siblings\"")
        .nth(1)
        .expect("the siblings table");
    for reference in [&earlier, &other, &sharing] {
        assert!(
            table.contains(&format!("data-reference=\"{reference}\"")),
            "{reference}"
        );
    }
    assert!(
        !page.contains(&theirs),
        "another organisation's request is listed"
    );
    assert!(
        !table.contains(&format!("data-reference=\"{reviewed}\"")),
        "itself is listed"
    );
    // Newest first.
    let order: Vec<usize> = [&sharing, &other, &earlier]
        .iter()
        .map(|reference| table.find(reference.as_str()).unwrap())
        .collect();
    assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{order:?}");
}

/// Posts the claim or release form (`action`) as `account`, with its CSRF token unless `csrf`
/// says otherwise; returns the status and the Location.
async fn post_claim(
    app: &TestApp,
    account: &Account,
    reference: &str,
    action: &str,
    csrf: Option<&str>,
) -> (StatusCode, String) {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf_token", csrf.unwrap_or(&account.csrf))
        .finish();
    let request = Request::post(format!("/review/{reference}/{action}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &account.cookie)
        .body(Body::from(body))
        .unwrap();
    let (response, _) = app.send(request).await;
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    (response.status(), location)
}

/// The claim section's state on the reviewer's page: "" (no one), "mine" or "other".
async fn claimed(app: &TestApp, account: &Account, reference: &str) -> (String, String) {
    let (_, _, page) = get_as(app, Some(account), &format!("/review/{reference}")).await;
    let section = page
        .split("id=\"claim\"")
        .nth(1)
        .expect("a claim section")
        .split("</div>")
        .next()
        .unwrap()
        .to_string();
    let state = section
        .split("data-claimed=\"")
        .nth(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .unwrap_or_default();
    (state, section)
}

/// Two reviewers do not review one request unknowingly (issue 18, part 4): a claim shows on the
/// page and in the queue; another reviewer can take it over; only the holder releases it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_claims_a_request_others_see_it_and_can_take_it_over() {
    let app = TestApp::new().await;
    let first = reviewer(&app, "reviewer1").await;
    let second = reviewer(&app, "reviewer2").await;
    let reference = submit(&app, &low_risk_request(), 0).await;

    let (state, section) = claimed(&app, &first, &reference).await;
    assert_eq!(state, "", "{section}");
    assert!(
        section.contains("No reviewer has claimed this request"),
        "{section}"
    );
    assert!(section.contains(">Claim it<"), "{section}");

    // Without the session's CSRF token nothing is claimed.
    let (status, _) = post_claim(&app, &first, &reference, "claim", Some("forged")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(claimed(&app, &first, &reference).await.0, "");

    let (status, location) = post_claim(&app, &first, &reference, "claim", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/review/{reference}#claim"));
    let (state, section) = claimed(&app, &first, &reference).await;
    assert_eq!(state, "mine");
    assert!(section.contains(">Release it<"), "{section}");
    let (state, section) = claimed(&app, &second, &reference).await;
    assert_eq!(state, "other");
    assert!(
        section.contains("reviewer1@nhs.net claimed this request on"),
        "{section}"
    );
    assert!(section.contains(">Take it over<"), "{section}");
    let (_, _, queue) = get_as(&app, Some(&second), "/review").await;
    assert!(
        queue.contains("class=\"nhsuk-table__cell appreg-claimed-by\">reviewer1@nhs.net<"),
        "{queue}"
    );

    // Taken over; the first reviewer's release no longer touches it; its holder's does.
    post_claim(&app, &second, &reference, "claim", None).await;
    assert_eq!(claimed(&app, &first, &reference).await.0, "other");
    post_claim(&app, &first, &reference, "release", None).await;
    assert_eq!(claimed(&app, &second, &reference).await.0, "mine");
    post_claim(&app, &second, &reference, "release", None).await;
    assert_eq!(claimed(&app, &first, &reference).await.0, "");

    // Only reviewers claim; an unknown request is not found.
    let admin = admin(&app).await;
    let (status, _) = post_claim(&app, &admin, &reference, "claim", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_claim(&app, &first, "AR-2222-2222", "claim", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A claim is on work still to do: a decision, or the organisation withdrawing the request, ends
/// it in the same transaction, so the queue and CSV never show a decided request as someone's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_or_a_withdrawal_ends_the_claim() {
    let app = TestApp::new().await;
    let first = reviewer(&app, "reviewer1").await;
    let decided = submit(&app, &low_risk_request(), 0).await;
    post_claim(&app, &first, &decided, "claim", None).await;
    assert!(
        server::store::claims::find(&app.state.pool, &decided)
            .await
            .unwrap()
            .is_some()
    );
    let answer =
        crate::api_support::decide(&app, &first, &decided, "reject", Some("Not needed")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(
        server::store::claims::find(&app.state.pool, &decided)
            .await
            .unwrap(),
        None
    );

    let withdrawn = submit(&app, &low_risk_request(), 0).await;
    post_claim(&app, &first, &withdrawn, "claim", None).await;
    server::deletion::request(
        app.state.desk(),
        &local_admin_of("RX1"),
        &withdrawn,
        registration::lifecycle::Step::WithdrawRequest,
        None,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    assert_eq!(
        server::store::claims::find(&app.state.pool, &withdrawn)
            .await
            .unwrap(),
        None
    );
}
