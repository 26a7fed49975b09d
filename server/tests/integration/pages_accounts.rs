//! The desk administrator's Accounts pages (issue 17, part 3; docs/sign-in.md): `/accounts`
//! and `/accounts/{id}`, their plain form posts, and the `desk_admin` role they are for. Every
//! change goes through `identity::accounts` (the same code as `appreg user …`): it is a signed
//! `account_change` entry of the log that `appreg log verify` counts, and a role change or
//! disabling ends the person's sessions at once.

use axum::http::{Method, Request, StatusCode};
use server::identity::Role;

use crate::api_support::{Page, audit, call, get_page, post_page_form, session_status};
use crate::common::{Account, PASSWORD, TestApp, mails_with_subject};

/// The subject of the email that carries a one-time link to set a password.
const LINK_SUBJECT: &str = "Set a new password for the application registration desk";

/// A signed-in desk administrator, `dora@nhs.net`.
async fn desk_admin(app: &TestApp) -> Account {
    app.sign_in_as("dora@nhs.net", Role::DeskAdmin, None).await
}

/// The account as stored.
async fn stored(app: &TestApp, email: &str) -> server::store::users::User {
    server::store::users::find_by_email(&app.state.pool, email)
        .await
        .unwrap()
        .expect("the account exists")
        .0
}

/// The one-time links the outbox holds for `email`, oldest first (each a path).
async fn links_for(app: &TestApp, email: &str, expected: usize) -> Vec<String> {
    let mut links: Vec<(String, String)> = mails_with_subject(app, LINK_SUBJECT, expected)
        .await
        .into_iter()
        .filter(|mail| mail.contains(&format!("To: {email}")))
        .filter_map(|mail| {
            let date = mail
                .lines()
                .find(|line| line.starts_with("Date:"))
                .unwrap_or("")
                .to_string();
            let at = mail.find("/reset-password/")?;
            let token: String = mail[at + "/reset-password/".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            Some((date, format!("/reset-password/{token}")))
        })
        .collect();
    links.sort();
    links.into_iter().map(|(_, link)| link).collect()
}

/// Posts the "Add an account" form.
async fn add(app: &TestApp, by: &Account, email: &str, role: &str, ods_code: &str) -> Page {
    post_page_form(
        app,
        by,
        "/accounts",
        &[("email", email), ("role", role), ("ods_code", ods_code)],
    )
    .await
}

#[tokio::test]
async fn the_accounts_pages_are_for_desk_administrators_only() {
    let app = TestApp::new().await;
    let dora = desk_admin(&app).await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let rita = app.sign_in_as("rita@nhs.net", Role::Reviewer, None).await;
    let admin_page = format!("/accounts/{}", admin.user_id);

    // Not signed in: to sign in, and back here after.
    let anonymous = crate::api_support::page_answer(
        &app,
        Request::get("/accounts")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location, "/sign-in?next=/accounts");

    // A Local Administrator and a reviewer are told whose pages they are (403), and see no
    // accounts.
    for someone in [&admin, &rita] {
        for path in ["/accounts", admin_page.as_str()] {
            let page = get_page(&app, someone, path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
            assert!(
                page.body
                    .contains("Accounts are managed by the desk&#x27;s administrators")
                    || page
                        .body
                        .contains("Accounts are managed by the desk's administrators"),
                "{}",
                page.body
            );
            assert!(!page.body.contains("rita@nhs.net</a>"), "{}", page.body);
            assert!(!page.body.contains("href=\"/accounts\""), "no header link");
        }
    }

    // The desk administrator: every account, with its role, organisation and status, and the
    // header's link.
    let page = get_page(&app, &dora, "/accounts").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Accounts</h1>"), "{}", page.body);
    assert!(
        page.body.contains("href=\"/accounts\""),
        "the header's link"
    );
    for email in ["admin@rx1.nhs.net", "dora@nhs.net", "rita@nhs.net"] {
        assert!(
            page.body.contains(&format!("data-email=\"{email}\"")),
            "{email}: {}",
            page.body
        );
    }
    assert!(page.body.contains("Local Administrator"), "{}", page.body);
    assert!(
        page.body
            .contains("NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST (RX1)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Desk administrator"));
    assert!(page.body.contains("data-status=\"active\""));
    assert!(page.body.contains("Add an account"));
    assert!(crate::common::carries_csrf_token(&page.body, &dora.csrf));
    // An account's page; an unknown one is not found.
    let page = get_page(&app, &dora, &admin_page).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"account-email\">admin@rx1.nhs.net"));
    let unknown = get_page(&app, &dora, "/accounts/no-such-account").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_desk_administrator_makes_reads_and_decides_on_no_request() {
    let app = TestApp::new().await;
    let dora = desk_admin(&app).await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let reference =
        crate::api_support::submit(&app, &admin, &crate::common::delegated_request()).await;

    // The pages about requests and applications say what a desk administrator does instead.
    for path in [
        "/register".to_string(),
        "/requests".to_string(),
        format!("/requests/{reference}"),
        format!("/registrations/{reference}/submitted"),
        "/review".to_string(),
        format!("/review/{reference}"),
        "/applications".to_string(),
        "/applications/expiring".to_string(),
    ] {
        let page = get_page(&app, &dora, &path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
        assert!(
            page.body.contains("Desk administrators manage accounts"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains(&reference) || path.contains(&reference));
    }
    // The API: nothing to list, nothing to read, no submitting, no deciding.
    let listed = call(
        &app,
        Method::GET,
        "/api/v1/registrations",
        Some(&dora),
        None,
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json()["total"], 0, "{}", listed.text());
    let read = call(
        &app,
        Method::GET,
        &format!("/api/v1/registrations/{reference}"),
        Some(&dora),
        None,
    )
    .await;
    assert_eq!(read.status, StatusCode::NOT_FOUND);
    let submitted = call(
        &app,
        Method::POST,
        "/api/v1/registrations",
        Some(&dora),
        Some(&crate::common::delegated_request()),
    )
    .await;
    assert_eq!(submitted.status, StatusCode::FORBIDDEN);
    let decided = crate::api_support::decide(&app, &dora, &reference, "approve", None).await;
    assert_eq!(decided.status, StatusCode::FORBIDDEN);
    let applications = call(&app, Method::GET, "/api/v1/applications", Some(&dora), None).await;
    assert_eq!(applications.json()["total"], 0, "{}", applications.text());
    // Signing in leads to the accounts.
    let signed_in = call(
        &app,
        Method::POST,
        "/api/v1/session",
        None,
        Some(&serde_json::json!({ "email": "dora@nhs.net", "password": PASSWORD })),
    )
    .await;
    assert_eq!(signed_in.json()["role"], "desk_admin");
    assert_eq!(signed_in.json()["ods_code"], serde_json::Value::Null);
}

#[tokio::test]
async fn adding_an_account_signs_it_and_emails_a_link_to_set_its_password() {
    let app = TestApp::new().await;
    let dora = desk_admin(&app).await;
    let added = add(&app, &dora, " Jo.Bloggs@NHS.net ", "local_admin", "rx1").await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let jo = stored(&app, "jo.bloggs@nhs.net").await;
    assert_eq!(
        (jo.role, jo.ods_code.as_deref()),
        (Role::LocalAdmin, Some("RX1"))
    );
    assert_eq!(added.location, format!("/accounts/{}?done=added", jo.id));
    let page = get_page(&app, &dora, &added.location).await;
    assert!(page.body.contains("The account is added"), "{}", page.body);
    assert!(
        page.body
            .contains("We emailed jo.bloggs@nhs.net a link to set their password"),
        "{}",
        page.body
    );
    // Its history: added, by the desk administrator.
    assert!(
        page.body.contains("Added as Local Administrator (RX1)"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<td class=\"nhsuk-table__cell\">dora@nhs.net</td>")
    );
    let list = get_page(&app, &dora, "/accounts").await;
    assert!(list.body.contains("data-email=\"jo.bloggs@nhs.net\""));

    // No one knows its password yet: it signs in only once its holder set one with the link.
    let sign_in = |password: &'static str| {
        let app = &app;
        async move {
            call(
                app,
                Method::POST,
                "/api/v1/session",
                None,
                Some(&serde_json::json!({ "email": "jo.bloggs@nhs.net", "password": password })),
            )
            .await
            .status
        }
    };
    assert_eq!(sign_in(PASSWORD).await, StatusCode::UNAUTHORIZED);
    let links = links_for(&app, "jo.bloggs@nhs.net", 1).await;
    assert_eq!(links.len(), 1);
    let reset = crate::api_support::page_answer(
        &app,
        Request::post(&links[0])
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(
                "password=jo%27s+own+passphrase&confirm=jo%27s+own+passphrase",
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(reset.location, "/sign-in?password_set=1");
    assert_eq!(sign_in("jo's own passphrase").await, StatusCode::OK);

    // Signed: added (by dora), and the password set (by its holder); the row matches.
    let report = audit(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.account_changes, 2);
    let history = server::identity::accounts::history(&app.state.pool, &jo.id)
        .await
        .unwrap();
    let changes: Vec<(&str, &str)> = history
        .iter()
        .map(|entry| (entry.change.as_str(), entry.by.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("added", "dora@nhs.net"),
            ("password_reset", "jo.bloggs@nhs.net")
        ]
    );

    // A reviewer and a desk administrator have no organisation: an ODS code left in the form's
    // hidden field is not theirs.
    let added = add(&app, &dora, "rita@nhs.net", "reviewer", "RX1").await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let rita = stored(&app, "rita@nhs.net").await;
    assert_eq!((rita.role, rita.ods_code), (Role::Reviewer, None));
    add(&app, &dora, "dan@nhs.net", "desk_admin", "").await;
    assert_eq!(stored(&app, "dan@nhs.net").await.role, Role::DeskAdmin);
    assert_eq!(audit(&app).await.account_changes, 4);
}

#[tokio::test]
async fn the_add_form_names_each_problem_by_its_field_and_keeps_what_was_typed() {
    let app = TestApp::new().await;
    let dora = desk_admin(&app).await;

    let refused = add(&app, &dora, "", "", "").await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert!(
        refused
            .location
            .starts_with("/accounts?error=email_missing,role_missing&"),
        "{}",
        refused.location
    );
    let page = get_page(&app, &dora, &refused.location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<title>Error: Accounts"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"error-summary\""));
    assert!(
        page.body
            .contains("<a href=\"#email\">Enter the person&#x27;s email address</a>")
            || page
                .body
                .contains("<a href=\"#email\">Enter the person's email address</a>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<a href=\"#role-local-admin\">Choose what the account may do</a>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"email-error\""));
    assert!(page.body.contains("id=\"role-error\""));

    let refused = add(&app, &dora, "jo bloggs", "local_admin", "ZZZ").await;
    assert!(
        refused
            .location
            .starts_with("/accounts?error=email_invalid,ods_unknown&"),
        "{}",
        refused.location
    );
    let page = get_page(&app, &dora, &refused.location).await;
    assert!(
        page.body
            .contains("Enter an email address in the correct format, like name@nhs.net"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("The directory does not know the ODS code ZZZ"),
        "{}",
        page.body
    );
    // What was typed is kept: the email, the role chosen, the ODS code.
    assert!(page.body.contains("value=\"jo bloggs\""), "{}", page.body);
    assert!(page.body.contains("value=\"ZZZ\""), "{}", page.body);
    let chosen = page.body.find("id=\"role-local-admin\"").unwrap();
    let input = &page.body[page.body[..chosen].rfind('<').unwrap()..];
    let input = &input[..input.find('>').unwrap()];
    assert!(input.contains("checked"), "{input}");

    let refused = add(&app, &dora, "jo@nhs.net", "local_admin", "RX1!").await;
    assert!(
        refused.location.starts_with("/accounts?error=ods_format&"),
        "{}",
        refused.location
    );
    let refused = add(&app, &dora, "jo@nhs.net", "local_admin", " ").await;
    assert!(
        refused.location.starts_with("/accounts?error=ods_missing&"),
        "{}",
        refused.location
    );

    // An email that has an account already, whatever its letter case.
    app.add_account("rita@nhs.net", Role::Reviewer, None).await;
    let refused = add(&app, &dora, "Rita@NHS.net", "reviewer", "").await;
    assert_eq!(
        refused.location,
        "/accounts?error=email_taken&email=Rita%40NHS.net&role=reviewer&ods_code="
    );
    let page = get_page(&app, &dora, &refused.location).await;
    assert!(
        page.body
            .contains("An account with this email already exists"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"Rita@NHS.net\""));
    // Nothing was added or signed.
    assert_eq!(
        server::store::users::list(&app.state.pool)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(audit(&app).await.account_changes, 0);
}

#[tokio::test]
async fn changing_a_role_ends_the_sessions_at_once_and_is_signed() {
    let app = TestApp::new().await;
    let dora = desk_admin(&app).await;
    let mover = app
        .sign_in_as("mover@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let other_tab = app.sign_in("mover@rx1.nhs.net", &mover.user_id).await;
    let page = format!("/accounts/{}", mover.user_id);

    let changed = post_page_form(
        &app,
        &dora,
        &format!("{page}/role"),
        &[("role", "reviewer"), ("ods_code", "RX1")],
    )
    .await;
    assert_eq!(changed.location, format!("{page}?done=role_changed"));
    for session in [&mover, &other_tab] {
        assert_eq!(
            session_status(&app, session).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let again = app.sign_in("mover@rx1.nhs.net", &mover.user_id).await;
    let session = call(&app, Method::GET, "/api/v1/session", Some(&again), None).await;
    assert_eq!(session.json()["role"], "reviewer");
    assert_eq!(session.json()["ods_code"], serde_json::Value::Null);
    let shown = get_page(&app, &dora, &changed.location).await;
    assert!(
        shown.body.contains("mover@rx1.nhs.net is now a Reviewer"),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains("Role changed to Reviewer"),
        "{}",
        shown.body
    );

    // Back to a Local Administrator, of another organisation.
    let changed = post_page_form(
        &app,
        &dora,
        &format!("{page}/role"),
        &[("role", "local_admin"), ("ods_code", "rth")],
    )
    .await;
    assert_eq!(changed.location, format!("{page}?done=role_changed"));
    assert_eq!(session_status(&app, &again).await, StatusCode::UNAUTHORIZED);
    let moved = stored(&app, "mover@rx1.nhs.net").await;
    assert_eq!(
        (moved.role, moved.ods_code.as_deref()),
        (Role::LocalAdmin, Some("RTH"))
    );
    // The same again changes nothing (and ends no session); a bad code keeps what was typed.
    let third = app.sign_in("mover@rx1.nhs.net", &mover.user_id).await;
    let unchanged = post_page_form(
        &app,
        &dora,
        &format!("{page}/role"),
        &[("role", "local_admin"), ("ods_code", "RTH")],
    )
    .await;
    assert_eq!(
        unchanged.location,
        format!("{page}?error=unchanged&role=local_admin&ods_code=RTH")
    );
    assert_eq!(session_status(&app, &third).await, StatusCode::OK);
    let refused = post_page_form(
        &app,
        &dora,
        &format!("{page}/role"),
        &[("role", "local_admin"), ("ods_code", "ZZZ")],
    )
    .await;
    let shown = get_page(&app, &dora, &refused.location).await;
    assert!(
        shown
            .body
            .contains("The directory does not know the ODS code ZZZ"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("value=\"ZZZ\""));

    let report = audit(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.account_changes, 2);
    let history = server::identity::accounts::history(&app.state.pool, &mover.user_id)
        .await
        .unwrap();
    assert!(
        history
            .iter()
            .all(|entry| entry.change == "role_changed" && entry.by == "dora@nhs.net"),
        "{history:?}"
    );
}

#[tokio::test]
async fn disabling_ends_the_sessions_and_enabling_lets_them_sign_in_again() {
    let app = TestApp::new().await;
    let dora = desk_admin(&app).await;
    let leaver = app
        .sign_in_as("leaver@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let other_tab = app.sign_in("leaver@rx1.nhs.net", &leaver.user_id).await;
    let page = format!("/accounts/{}", leaver.user_id);

    let disabled = post_page_form(&app, &dora, &format!("{page}/disable"), &[]).await;
    assert_eq!(disabled.location, format!("{page}?done=disabled"));
    for session in [&leaver, &other_tab] {
        assert_eq!(
            session_status(&app, session).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let refused = call(
        &app,
        Method::POST,
        "/api/v1/session",
        None,
        Some(&serde_json::json!({ "email": "leaver@rx1.nhs.net", "password": PASSWORD })),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let shown = get_page(&app, &dora, &disabled.location).await;
    assert!(
        shown.body.contains("leaver@rx1.nhs.net is disabled"),
        "{}",
        shown.body
    );
    assert!(
        shown
            .body
            .contains("class=\"nhsuk-summary-list__value\">Disabled</dd>")
    );
    assert!(shown.body.contains("Enable the account"));
    let list = get_page(&app, &dora, "/accounts").await;
    assert!(
        list.body.contains("data-status=\"disabled\""),
        "{}",
        list.body
    );
    // A second click changes nothing and signs nothing.
    post_page_form(&app, &dora, &format!("{page}/disable"), &[]).await;
    assert_eq!(audit(&app).await.account_changes, 1);

    let enabled = post_page_form(&app, &dora, &format!("{page}/enable"), &[]).await;
    assert_eq!(enabled.location, format!("{page}?done=enabled"));
    let again = app.sign_in("leaver@rx1.nhs.net", &leaver.user_id).await;
    assert_eq!(session_status(&app, &again).await, StatusCode::OK);
    let report = audit(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.account_changes, 2);
    assert!(
        report.render().contains("2 account changes"),
        "{}",
        report.render()
    );
}

#[tokio::test]
async fn a_password_reset_link_from_the_page_is_written_to_the_outbox() {
    let app = TestApp::new().await;
    let dora = desk_admin(&app).await;
    let holder = app
        .sign_in_as("forgetful@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let page = format!("/accounts/{}", holder.user_id);

    let sent = post_page_form(&app, &dora, &format!("{page}/password-reset"), &[]).await;
    assert_eq!(sent.location, format!("{page}?done=link_sent"));
    let shown = get_page(&app, &dora, &sent.location).await;
    assert!(
        shown
            .body
            .contains("A link to set a new password was emailed"),
        "{}",
        shown.body
    );
    let links = links_for(&app, "forgetful@rx1.nhs.net", 1).await;
    assert_eq!(links.len(), 1);
    // The link is in the email only: not on the page, not in the redirect.
    assert!(!shown.body.contains(&links[0]) && !sent.location.contains(&links[0]));
    let opened = get_page(&app, &dora, &links[0]).await;
    assert!(
        opened
            .body
            .contains("For your account, forgetful@rx1.nhs.net."),
        "{}",
        opened.body
    );
    // Sending it changes nothing yet: the password and the sessions stay.
    assert_eq!(session_status(&app, &holder).await, StatusCode::OK);
    assert_eq!(audit(&app).await.account_changes, 0);

    // None for a disabled account.
    post_page_form(&app, &dora, &format!("{page}/disable"), &[]).await;
    let refused = post_page_form(&app, &dora, &format!("{page}/password-reset"), &[]).await;
    assert_eq!(refused.location, format!("{page}?error=link_disabled"));
    assert_eq!(links_for(&app, "forgetful@rx1.nhs.net", 2).await.len(), 1);
}

#[tokio::test]
async fn a_desk_administrator_cannot_lock_their_own_account_out() {
    let app = TestApp::new().await;
    let dora = desk_admin(&app).await;
    let page = format!("/accounts/{}", dora.user_id);

    let refused = post_page_form(&app, &dora, &format!("{page}/disable"), &[]).await;
    assert_eq!(refused.location, format!("{page}?error=own_disable"));
    let shown = get_page(&app, &dora, &refused.location).await;
    assert!(
        shown
            .body
            .contains("You cannot disable your own account: ask another desk administrator"),
        "{}",
        shown.body
    );
    for role in ["reviewer", "local_admin"] {
        let refused = post_page_form(
            &app,
            &dora,
            &format!("{page}/role"),
            &[("role", role), ("ods_code", "RX1")],
        )
        .await;
        assert!(
            refused
                .location
                .starts_with(&format!("{page}?error=own_role&")),
            "{}",
            refused.location
        );
    }
    let shown = get_page(&app, &dora, &format!("{page}?error=own_role")).await;
    assert!(
        shown
            .body
            .contains("You cannot take your own desk administrator role away"),
        "{}",
        shown.body
    );
    // Nothing changed: still a desk administrator, signed in, nothing signed.
    let me = stored(&app, "dora@nhs.net").await;
    assert_eq!((me.role, me.disabled_at), (Role::DeskAdmin, None));
    assert_eq!(session_status(&app, &dora).await, StatusCode::OK);
    assert_eq!(audit(&app).await.account_changes, 0);
    // The page offers neither form for one's own account.
    let own = get_page(&app, &dora, &page).await;
    assert!(own.body.contains("id=\"own-disable\""), "{}", own.body);
    assert!(own.body.contains("id=\"own-role\""));
    assert!(!own.body.contains(&format!("action=\"{page}/disable\"")));

    // Another desk administrator can.
    let dan = app.sign_in_as("dan@nhs.net", Role::DeskAdmin, None).await;
    let done = post_page_form(&app, &dan, &format!("{page}/disable"), &[]).await;
    assert_eq!(done.location, format!("{page}?done=disabled"));
    assert_eq!(session_status(&app, &dora).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_post_needs_a_signed_in_desk_administrator_and_the_session_csrf_token() {
    let app = TestApp::new().await;
    let dora = desk_admin(&app).await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let rita = app.sign_in_as("rita@nhs.net", Role::Reviewer, None).await;
    let page = format!("/accounts/{}", admin.user_id);
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/accounts".to_string(),
            vec![("email", "new@nhs.net"), ("role", "reviewer")],
        ),
        (format!("{page}/role"), vec![("role", "reviewer")]),
        (format!("{page}/disable"), vec![]),
        (format!("{page}/enable"), vec![]),
        (format!("{page}/password-reset"), vec![]),
    ];
    let post_with = |path: String,
                     fields: Vec<(&'static str, &'static str)>,
                     cookie: Option<String>,
                     csrf: Option<String>| {
        let app = &app;
        async move {
            let mut body = form_urlencoded::Serializer::new(String::new());
            if let Some(csrf) = csrf {
                body.append_pair("csrf_token", &csrf);
            }
            body.extend_pairs(fields);
            let mut request =
                Request::post(&path).header("content-type", "application/x-www-form-urlencoded");
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            crate::api_support::page_answer(
                app,
                request.body(axum::body::Body::from(body.finish())).unwrap(),
            )
            .await
        }
    };
    for (path, fields) in posts {
        // The desk administrator without the token, or with another's.
        let missing = post_with(
            path.clone(),
            fields.clone(),
            Some(dora.cookie.clone()),
            None,
        )
        .await;
        assert_eq!(missing.status, StatusCode::FORBIDDEN, "{path}");
        assert!(missing.body.contains("This form has expired"), "{path}");
        let wrong = post_with(
            path.clone(),
            fields.clone(),
            Some(dora.cookie.clone()),
            Some(admin.csrf.clone()),
        )
        .await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{path}");
        // Others, with their own token.
        for someone in [&admin, &rita] {
            let refused = post_page_form(&app, someone, &path, &fields).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
            assert!(
                refused
                    .body
                    .contains("Only a desk administrator can add or change accounts"),
                "{path}: {}",
                refused.body
            );
        }
        // No one signed in: to sign in, back to the page after.
        let anonymous = post_with(path.clone(), fields.clone(), None, None).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{path}");
        let back = if path == "/accounts" {
            "/accounts"
        } else {
            page.as_str()
        };
        assert_eq!(
            anonymous.location,
            format!("/sign-in?next={back}"),
            "{path}"
        );
    }
    // Nothing changed, nothing was signed or sent.
    assert_eq!(session_status(&app, &admin).await, StatusCode::OK);
    assert_eq!(
        stored(&app, "admin@rx1.nhs.net").await.role,
        Role::LocalAdmin
    );
    assert!(
        server::store::users::find_by_email(&app.state.pool, "new@nhs.net")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(audit(&app).await.account_changes, 0);
    assert!(links_for(&app, "admin@rx1.nhs.net", 0).await.is_empty());
    // An account that does not exist.
    let unknown = post_page_form(&app, &dora, "/accounts/nobody/disable", &[]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

// Four-eyes across role changes. Review compares account ids (`review::decide`): a person keeps
// their account, so what they submitted or approved stays theirs whatever role they move to. Each
// test also changes the account's email in the database, as a new NHSmail address would (the
// desk has no page for that), so that a check by email, like a check by role, would let the
// decision through.

/// Moves `account` to `role` (and `ods_code`) through the Accounts page.
async fn move_to(app: &TestApp, by: &Account, account: &Account, role: &str, ods_code: &str) {
    let moved = post_page_form(
        app,
        by,
        &format!("/accounts/{}/role", account.user_id),
        &[("role", role), ("ods_code", ods_code)],
    )
    .await;
    assert_eq!(
        moved.location,
        format!("/accounts/{}?done=role_changed", account.user_id),
        "{role}"
    );
    assert_eq!(session_status(app, account).await, StatusCode::UNAUTHORIZED);
}

/// Gives the account a new email in the database, and signs it in with it.
async fn renamed(app: &TestApp, account: &Account, email: &str) -> Account {
    sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
        .bind(email)
        .bind(&account.user_id)
        .execute(&app.state.pool)
        .await
        .unwrap();
    app.sign_in(email, &account.user_id).await
}

#[tokio::test]
async fn who_submitted_a_request_as_a_local_administrator_cannot_approve_it_as_a_reviewer() {
    let app = TestApp::new().await;
    let dora = desk_admin(&app).await;
    let mover = app
        .sign_in_as("mover@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let reference =
        crate::api_support::submit(&app, &mover, &crate::common::delegated_request()).await;

    move_to(&app, &dora, &mover, "reviewer", "").await;
    let reviewer = app.sign_in("mover@rx1.nhs.net", &mover.user_id).await;
    let session = call(&app, Method::GET, "/api/v1/session", Some(&reviewer), None).await;
    assert_eq!(session.json()["role"], "reviewer");
    let answer = crate::api_support::decide(&app, &reviewer, &reference, "approve", None).await;
    crate::api_support::assert_error(&answer, 403, "own_submission", "after a role change");
    // A new address changes nothing either.
    let renamed = renamed(&app, &mover, "mover.newname@nhs.net").await;
    let answer = crate::api_support::decide(&app, &renamed, &reference, "approve", None).await;
    crate::api_support::assert_error(&answer, 403, "own_submission", "after a new email too");
    // Nor does the review page offer them the decision.
    let page = get_page(&app, &renamed, &format!("/review/{reference}")).await;
    assert!(!page.body.contains("name=\"decision\""), "{}", page.body);

    // Another reviewer decides it.
    let rita = app.sign_in_as("rita@nhs.net", Role::Reviewer, None).await;
    let answer = crate::api_support::decide(&app, &rita, &reference, "approve", None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
}

#[tokio::test]
async fn who_gave_the_first_of_two_approvals_cannot_give_the_second_after_role_changes() {
    let app = TestApp::new().await;
    let dora = desk_admin(&app).await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let reference =
        crate::api_support::submit(&app, &admin, &crate::common::app_only_mail_request()).await;
    let first = app.sign_in_as("first@nhs.net", Role::Reviewer, None).await;
    let answer = crate::api_support::decide(&app, &first, &reference, "approve", None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["status"], "awaiting_second_approval");

    // They leave reviewing for a while, come back, and have a new address.
    move_to(&app, &dora, &first, "local_admin", "RX1").await;
    let away = app.sign_in("first@nhs.net", &first.user_id).await;
    move_to(&app, &dora, &away, "reviewer", "").await;
    let back = renamed(&app, &first, "first.newname@nhs.net").await;
    let session = call(&app, Method::GET, "/api/v1/session", Some(&back), None).await;
    assert_eq!(session.json()["role"], "reviewer");
    let answer = crate::api_support::decide(&app, &back, &reference, "approve", None).await;
    crate::api_support::assert_error(
        &answer,
        403,
        "second_approval_by_same_reviewer",
        "the same person after role changes",
    );

    // The second approval is someone else's.
    let second = app.sign_in_as("second@nhs.net", Role::Reviewer, None).await;
    let answer = crate::api_support::decide(&app, &second, &reference, "approve", None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["status"], "approved");
}

/// The start page's button, as `(href, text)`.
fn start_button(page: &Page) -> (String, String) {
    let at = page
        .body
        .find("nhsuk-button--login")
        .expect("the start page has its button");
    let start = page.body[..at].rfind("<a ").unwrap();
    let tag = &page.body[start..];
    let href = tag
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let text = tag.split('>').nth(1).unwrap().split('<').next().unwrap();
    (href.to_string(), text.trim().to_string())
}

#[tokio::test]
async fn the_start_page_leads_each_role_to_its_own_work_not_to_a_refusal() {
    let app = TestApp::new().await;
    let anyone = crate::api_support::page_answer(
        &app,
        Request::get("/")
            .header("accept", "text/html")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(anyone.status, StatusCode::OK);
    assert_eq!(
        start_button(&anyone),
        ("/register".into(), "Start now".into())
    );
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let page = get_page(&app, &admin, "/").await;
    assert_eq!(
        start_button(&page),
        ("/register".into(), "Start now".into())
    );
    // A desk administrator and a reviewer make no requests: /register would refuse them. Each
    // is led to a page that is theirs.
    let dora = desk_admin(&app).await;
    let rita = app.sign_in_as("rita@nhs.net", Role::Reviewer, None).await;
    for (account, path, label) in [
        (&dora, "/accounts", "Manage accounts"),
        (&rita, "/review", "Go to the review queue"),
    ] {
        let page = get_page(&app, account, "/").await;
        assert_eq!(start_button(&page), (path.into(), label.into()));
        assert_eq!(get_page(&app, account, path).await.status, StatusCode::OK);
    }
}
