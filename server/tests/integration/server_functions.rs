//! Every Leptos server function the pages call, called directly over HTTP as a script could
//! (`POST /_fn/<name>`), by each kind of caller: anonymous, the Local Administrator of the owning
//! organisation (RX1), a Local Administrator of another organisation (RTH), a reviewer, and a
//! desk administrator (who manages accounts and sees no request). The pages' own access rules
//! live behind these functions, so this is where a leak would show.

use crate::common::{Account, TestApp, delegated_request, local_admin_of};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use registration::RegistrationRequest;
use serde_json::Value;
use server::identity::Role;
use server::registrations;
use server::store::drafts::{self, DraftOwner};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    OwnAdmin,
    OtherAdmin,
    Reviewer,
    DeskAdmin,
}

use Caller::*;

/// What the function answered, reduced to what decides access.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// 200 with the page's data (the variant `Page`, or a value for `load_viewer`).
    Page,
    /// The function sent the caller to sign in (a redirect to `/sign-in?next=…`).
    SignIn,
    /// `NotFound`: as for something that does not exist.
    NotFound,
    /// `OnlyFor(role)`: signed in, wrong role.
    WrongRole,
    /// `AccountsOnly`: a desk administrator, on a page about requests or applications.
    AccountsOnly,
    /// The function sent the caller elsewhere (a reviewer's `/requests` is `/review`).
    RedirectTo(&'static str),
}

use Outcome::*;

/// One row: a server function, its arguments, and what each caller gets (in the order
/// anonymous, own admin, other admin, reviewer, desk administrator).
type Row = (&'static str, Vec<(&'static str, String)>, [Outcome; 5]);

struct World {
    app: TestApp,
    own: Account,
    other: Account,
    reviewer: Account,
    desk_admin: Account,
    reference: String,
    draft: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let own = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let other = app
        .sign_in_as("admin@rth.nhs.net", Role::LocalAdmin, Some("RTH"))
        .await;
    let reviewer = app
        .sign_in_as("reviewer@nhs.net", Role::Reviewer, None)
        .await;
    let desk_admin = app
        .sign_in_as("desk.admin@nhs.net", Role::DeskAdmin, None)
        .await;
    let request = RegistrationRequest::from_json(&delegated_request().to_string()).unwrap();
    let reference = registrations::submit(
        app.state.desk(),
        &local_admin_of("RX1"),
        &request,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap()
    .reference;
    let draft = drafts::create(
        &app.state.pool,
        &registration::RegistrationDraft::from_request(&request),
        false,
        &DraftOwner {
            ods_code: Some("RX1".into()),
            created_by: Some(own.user_id.clone()),
            reference: None,
            purpose: None,
        },
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap()
    .unwrap();
    World {
        app,
        own,
        other,
        reviewer,
        desk_admin,
        reference,
        draft,
    }
}

impl World {
    fn account(&self, caller: Caller) -> Option<&Account> {
        match caller {
            Anonymous => None,
            OwnAdmin => Some(&self.own),
            OtherAdmin => Some(&self.other),
            Reviewer => Some(&self.reviewer),
            DeskAdmin => Some(&self.desk_admin),
        }
    }

    /// Calls `/_fn/{name}` with URL-encoded `args` as `caller`.
    async fn call(
        &self,
        name: &str,
        args: &[(&str, String)],
        caller: Caller,
    ) -> (StatusCode, String, Value) {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(args.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let mut builder = Request::post(format!("/_fn/{name}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        // An explicit (possibly empty) cookie keeps TestApp from adding a default session.
        builder = builder.header(
            header::COOKIE,
            self.account(caller)
                .map(|account| account.cookie.clone())
                .unwrap_or_else(|| "appreg_session=none".into()),
        );
        let (response, bytes) = self.app.send(builder.body(Body::from(body)).unwrap()).await;
        let location = response
            .headers()
            .get(header::LOCATION)
            .or_else(|| response.headers().get("serverfnredirect"))
            .map(|value| value.to_str().unwrap().to_string())
            .unwrap_or_default();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (response.status(), location, json)
    }
}

/// Reads an `Access` answer.
fn outcome(status: StatusCode, location: &str, json: &Value) -> Outcome {
    assert!(
        status.is_success() || status.is_redirection(),
        "status {status}: {json}"
    );
    match json {
        // The Local Administrator's functions also redirect (`Location`); the reviewer's leave
        // that to their page. Either way no data comes back.
        Value::String(variant) if variant == "SignIn" => {
            assert!(
                location.is_empty() || location.starts_with("/sign-in?next="),
                "status {status}, location '{location}'"
            );
            SignIn
        }
        Value::String(variant) if variant == "NotFound" => NotFound,
        Value::String(variant) if variant == "AccountsOnly" => AccountsOnly,
        Value::Object(map) if map.contains_key("OnlyFor") => WrongRole,
        Value::Object(map) if map.contains_key("Page") => Page,
        Value::Object(map) if map.contains_key("Redirect") => {
            RedirectTo(match map["Redirect"].as_str().unwrap() {
                "/review" => "/review",
                other => panic!("redirect to {other}"),
            })
        }
        other => panic!("unexpected answer {other}"),
    }
}

#[tokio::test]
async fn every_server_function_answers_each_caller_as_the_access_rules_say() {
    let w = world().await;
    let reference = w.reference.clone();
    let draft = w.draft.clone();
    let unknown = "AR-2222-2222".to_string();
    let here = ("here", "/register".to_string());
    // (server function, arguments, [anonymous, own admin, other admin, reviewer, desk admin])
    let table: Vec<Row> = vec![
        (
            "load_form",
            vec![("checked", "false".into()), here.clone()],
            [SignIn, Page, Page, WrongRole, AccountsOnly],
        ),
        (
            "load_form",
            vec![
                ("draft_id", draft.clone()),
                ("checked", "false".into()),
                here.clone(),
            ],
            [SignIn, Page, NotFound, WrongRole, AccountsOnly],
        ),
        (
            "load_submission",
            vec![("reference", reference.clone())],
            [SignIn, Page, NotFound, Page, AccountsOnly],
        ),
        (
            "load_submission",
            vec![("reference", unknown.clone())],
            [SignIn, NotFound, NotFound, NotFound, AccountsOnly],
        ),
        (
            "load_requests",
            vec![("page", "1".into())],
            [SignIn, Page, Page, RedirectTo("/review"), AccountsOnly],
        ),
        (
            "load_request",
            vec![("reference", reference.clone())],
            [SignIn, Page, NotFound, Page, AccountsOnly],
        ),
        (
            "load_request",
            vec![("reference", reference.clone()), ("version", "1".into())],
            [SignIn, Page, NotFound, Page, AccountsOnly],
        ),
        (
            "load_review_queue",
            vec![("query[status]", "all".into())],
            [SignIn, WrongRole, WrongRole, Page, AccountsOnly],
        ),
        // What the menu's links send: no filters at all.
        (
            "load_review_queue",
            vec![],
            [SignIn, WrongRole, WrongRole, Page, AccountsOnly],
        ),
        (
            "load_applications",
            vec![],
            [SignIn, Page, Page, Page, AccountsOnly],
        ),
        (
            "load_applications",
            vec![
                ("query[ods_code]", "RX1".into()),
                ("query[page]", "2".into()),
            ],
            [SignIn, Page, Page, Page, AccountsOnly],
        ),
        (
            "load_expiring",
            vec![("within_days", "30".into())],
            [SignIn, Page, Page, Page, AccountsOnly],
        ),
        (
            "load_review_detail",
            vec![("reference", reference.clone())],
            [SignIn, WrongRole, WrongRole, Page, AccountsOnly],
        ),
        (
            "load_review_detail",
            vec![("reference", unknown.clone())],
            [SignIn, WrongRole, WrongRole, NotFound, AccountsOnly],
        ),
        // The desk administrators' Accounts pages.
        (
            "load_accounts",
            vec![],
            [SignIn, WrongRole, WrongRole, WrongRole, Page],
        ),
        (
            "load_account",
            vec![("id", w.own.user_id.clone())],
            [SignIn, WrongRole, WrongRole, WrongRole, Page],
        ),
        (
            "load_account",
            vec![("id", "no-such-account".into())],
            [SignIn, WrongRole, WrongRole, WrongRole, NotFound],
        ),
    ];
    let mut failures = Vec::new();
    for (name, args, expected) in &table {
        for (caller, expected) in [Anonymous, OwnAdmin, OtherAdmin, Reviewer, DeskAdmin]
            .into_iter()
            .zip(expected)
        {
            let (status, location, json) = w.call(name, args, caller).await;
            let got = outcome(status, &location, &json);
            if &got != expected {
                failures.push(format!(
                    "{name} {args:?} as {caller:?}: expected {expected:?}, got {got:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn load_viewer_names_only_the_caller_and_their_own_csrf_token() {
    let w = world().await;
    let (status, _, json) = w.call("load_viewer", &[], Anonymous).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json, Value::Null);
    for (caller, email, role, ods) in [
        (
            OwnAdmin,
            "admin@rx1.nhs.net",
            "local_admin",
            Value::from("RX1"),
        ),
        (
            OtherAdmin,
            "admin@rth.nhs.net",
            "local_admin",
            Value::from("RTH"),
        ),
        (Reviewer, "reviewer@nhs.net", "reviewer", Value::Null),
    ] {
        let (status, _, json) = w.call("load_viewer", &[], caller).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json["email"], email);
        assert_eq!(json["role"], role);
        assert_eq!(json["ods_code"], ods);
        // Their own token, masked afresh as pages carry it (identity::csrf: BREACH).
        let token = json["csrf_token"].as_str().unwrap();
        let own = w.account(caller).unwrap().csrf.as_str();
        assert_ne!(token, own);
        assert!(server::identity::csrf::same_token(
            token.as_bytes(),
            own.as_bytes()
        ));
    }
}
