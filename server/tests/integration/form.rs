//! The registration form's posts (`POST /register`, docs/form.md) over the real router and a real
//! database file: drafts saved and resumed, rows added and removed, certificates kept across
//! posts, private keys refused and never stored, and valid submissions stored as `submitted`.

use std::collections::HashSet;

use crate::common::{TestApp, delegated_request};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use registration::{
    Contact, DraftPermission, DraftRedirectUri, RegistrationDraft, RegistrationRequest,
};
use server::store::{drafts, registrations};
use sqlx::Row;

pub(crate) const BOUNDARY: &str = "----appreg-test-boundary-7MA4YWxkTrZu0gW";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../registration/tests/fixtures/certificates/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The fields of a complete, valid delegated form (the contract's example request).
fn valid_fields() -> Vec<(String, String)> {
    [
        ("ods_code", "RX1"),
        ("application_name", "Ward Mail Connector"),
        ("description", "Reads the ward's shared mailbox and files referrals"),
        ("supplier", "Example Health Ltd"),
        ("access_type", "delegated"),
        ("permissions[0][resource]", ""),
        ("permissions[0][value]", "IMAP.AccessAsUser.All"),
        ("permissions[0][type]", "delegated"),
        ("permissions[1][resource]", ""),
        ("permissions[1][value]", "User.Read"),
        ("permissions[1][type]", "delegated"),
        ("permissions[2][resource]", ""),
        ("permissions[2][value]", "offline_access"),
        ("permissions[2][type]", "delegated"),
        ("permission_search", ""),
        ("mailboxes[0]", "ward7.referrals@nhs.net"),
        ("redirect_uris[0][uri]", "https://connector.nuh.nhs.uk/auth/callback"),
        ("redirect_uris[0][platform]", "web"),
        (
            "token_endpoint_uris[0]",
            "https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/oauth2/v2.0/token",
        ),
        ("client_secret_months", ""),
        ("access_policy_group", ""),
        ("contacts[0][name]", "Jo Bloggs"),
        ("contacts[0][email]", "jo.bloggs@nhs.net"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect()
}

/// The draft `valid_fields` describe.
fn valid_draft() -> RegistrationDraft {
    let permission = |value: &str| DraftPermission {
        resource: String::new(),
        value: value.into(),
        permission_type: "delegated".into(),
    };
    RegistrationDraft {
        ods_code: "RX1".into(),
        application_name: "Ward Mail Connector".into(),
        description: "Reads the ward's shared mailbox and files referrals".into(),
        supplier: "Example Health Ltd".into(),
        access_type: "delegated".into(),
        permissions: vec![
            permission("IMAP.AccessAsUser.All"),
            permission("User.Read"),
            permission("offline_access"),
        ],
        mailboxes: vec!["ward7.referrals@nhs.net".into()],
        redirect_uris: vec![DraftRedirectUri {
            uri: "https://connector.nuh.nhs.uk/auth/callback".into(),
            platform: "web".into(),
        }],
        token_endpoint_uris: vec![
            "https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/oauth2/v2.0/token"
                .into(),
        ],
        contacts: vec![Contact {
            name: "Jo Bloggs".into(),
            email: "jo.bloggs@nhs.net".into(),
        }],
        ..RegistrationDraft::default()
    }
}

fn with(fields: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = fields
        .iter()
        .filter(|(name, _)| !extra.iter().any(|(n, _)| n == name))
        .cloned()
        .collect();
    all.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    all
}

pub(crate) fn multipart_body(fields: &[(String, String)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    // A browser always sends the file input, empty when no file was chosen.
    let (file_name, bytes) = file.unwrap_or(("", b""));
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"certificate\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts the form as a browser does (multipart, with the session's token) and returns the
/// response and its body as text.
async fn post_multipart_answer(
    app: &TestApp,
    fields: &[(String, String)],
    file: Option<(&str, &[u8])>,
) -> (http::Response<Body>, String) {
    let mut fields = fields.to_vec();
    fields.push(("csrf_token".to_string(), app.csrf()));
    let request = Request::post("/register")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart_body(&fields, file)))
        .unwrap();
    let (response, body) = app.send(request).await;
    (response, String::from_utf8_lossy(&body).into_owned())
}

/// Posts the form as a browser does (multipart) and returns the status and `Location`.
async fn post_multipart(
    app: &TestApp,
    fields: &[(String, String)],
    file: Option<(&str, &[u8])>,
) -> (StatusCode, String) {
    let (response, _) = post_multipart_answer(app, fields, file).await;
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    (response.status(), location)
}

/// The draft id in a `/register/{id}…` location.
fn draft_id(location: &str) -> String {
    let rest = location
        .strip_prefix("/register/")
        .unwrap_or_else(|| panic!("not a draft location: {location}"));
    rest.split(['?', '#']).next().unwrap().to_string()
}

async fn stored_draft(app: &TestApp, id: &str) -> RegistrationDraft {
    drafts::load(&app.state.pool, id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no draft {id}"))
        .draft
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

fn reference_in(location: &str) -> String {
    let reference = location
        .strip_prefix("/registrations/")
        .and_then(|rest| rest.strip_suffix("/submitted"))
        .unwrap_or_else(|| panic!("not a confirmation location: {location}"));
    reference.to_string()
}

#[tokio::test]
async fn submitting_a_valid_form_stores_the_request_as_submitted() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let (status, location) =
        post_multipart(&app, &with(&valid_fields(), &[("action", "submit")]), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let reference = reference_in(&location);
    assert!(registrations::is_reference(&reference), "{reference}");

    let row = sqlx::query(
        "SELECT version, status, ods_code, organisation_name, application_name, risk, request_json, report_json
         FROM registration_request WHERE reference = $1",
    )
    .bind(&reference)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(row.get::<i64, _>("version"), 1);
    assert_eq!(row.get::<String, _>("status"), "submitted");
    assert_eq!(row.get::<String, _>("ods_code"), "RX1");
    assert_eq!(
        row.get::<Option<String>, _>("organisation_name").as_deref(),
        Some("NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST")
    );
    assert_eq!(
        row.get::<String, _>("application_name"),
        "Ward Mail Connector"
    );
    assert_eq!(row.get::<String, _>("risk"), "low");
    let stored = RegistrationRequest::from_json(&row.get::<String, _>("request_json")).unwrap();
    let expected = RegistrationRequest::from_json(&delegated_request().to_string()).unwrap();
    assert_eq!(stored, expected);
    let report: serde_json::Value =
        serde_json::from_str(&row.get::<String, _>("report_json")).unwrap();
    assert_eq!(report["valid"], serde_json::json!(true));

    let latest = registrations::latest(&app.state.pool, &reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.status, registrations::Status::Submitted);
    assert_eq!(latest.request, expected);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM draft").await, 0);
}

#[tokio::test]
async fn submitting_a_saved_draft_deletes_the_draft() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let (_, location) =
        post_multipart(&app, &with(&valid_fields(), &[("action", "save")]), None).await;
    let id = draft_id(&location);
    let (status, location) = post_multipart(
        &app,
        &with(&valid_fields(), &[("action", "submit"), ("draft_id", &id)]),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    reference_in(&location);
    assert!(drafts::load(&app.state.pool, &id).await.unwrap().is_none());
}

#[tokio::test]
async fn submitting_an_invalid_form_keeps_every_value_and_shows_findings() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let fields = with(
        &valid_fields(),
        &[
            // The organisation is the administrator's, whatever the post says.
            ("ods_code", "RTH"),
            (
                "redirect_uris[0][uri]",
                "https://connector.nuh.nhs.uk/cb#frag",
            ),
            ("client_secret_months", "6"),
            ("access_policy_group", "ward7-app@nhs.net"),
            ("permission_search", "mail"),
            ("action", "submit"),
        ],
    );
    let (status, location) = post_multipart(&app, &fields, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = draft_id(&location);
    assert_eq!(location, format!("/register/{id}?checked=1#error-summary"));
    let mut expected = valid_draft();
    expected.redirect_uris[0].uri = "https://connector.nuh.nhs.uk/cb#frag".into();
    expected.client_secret_months = "6".into();
    expected.access_policy_group = "ward7-app@nhs.net".into();
    expected.permission_search = "mail".into();
    assert_eq!(stored_draft(&app, &id).await, expected);
    let stored = drafts::load(&app.state.pool, &id).await.unwrap().unwrap();
    assert!(stored.checked);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM registration_request").await,
        0
    );
}

#[tokio::test]
async fn an_incomplete_form_is_not_submitted_and_is_kept_as_typed() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let fields = vec![
        ("application_name".to_string(), "Half done".to_string()),
        (
            "redirect_uris[0][uri]".to_string(),
            "https://a.example/cb".to_string(),
        ),
        ("action".to_string(), "submit".to_string()),
    ];
    let (status, location) = post_multipart(&app, &fields, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = draft_id(&location);
    assert!(location.ends_with("?checked=1#error-summary"), "{location}");
    let draft = stored_draft(&app, &id).await;
    assert_eq!(draft.application_name, "Half done");
    assert_eq!(draft.redirect_uris[0].uri, "https://a.example/cb");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM registration_request").await,
        0
    );
}

#[tokio::test]
async fn check_saves_the_draft_and_submits_nothing() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let (status, location) =
        post_multipart(&app, &with(&valid_fields(), &[("action", "check")]), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = draft_id(&location);
    assert_eq!(location, format!("/register/{id}?checked=1#error-summary"));
    assert_eq!(stored_draft(&app, &id).await, valid_draft());
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM registration_request").await,
        0
    );
}

#[tokio::test]
async fn a_saved_draft_can_be_resumed_with_every_value() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let (status, location) =
        post_multipart(&app, &with(&valid_fields(), &[("action", "save")]), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = draft_id(&location);
    assert!(drafts::is_draft_id(&id), "{id}");
    assert_eq!(location, format!("/register/{id}?saved=1"));
    assert_eq!(stored_draft(&app, &id).await, valid_draft());

    // Coming back: the next post names the draft and changes one value; the same draft is updated.
    let (_, location) = post_multipart(
        &app,
        &with(
            &valid_fields(),
            &[
                ("draft_id", &id),
                ("supplier", "Another Ltd"),
                ("action", "save"),
            ],
        ),
        None,
    )
    .await;
    assert_eq!(draft_id(&location), id);
    let mut expected = valid_draft();
    expected.supplier = "Another Ltd".into();
    assert_eq!(stored_draft(&app, &id).await, expected);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM draft").await, 1);
}

#[tokio::test]
async fn an_unknown_draft_id_starts_a_new_draft() {
    let app = TestApp::as_local_admin_of("RX1").await;
    for unknown in [
        "AAAAAAAAAAAAAAAAAAAAAA",
        "../../etc/passwd",
        "x'; DROP TABLE draft; --",
    ] {
        let (status, location) = post_multipart(
            &app,
            &with(
                &valid_fields(),
                &[("draft_id", unknown), ("action", "save")],
            ),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let id = draft_id(&location);
        assert_ne!(id, unknown);
        assert_eq!(stored_draft(&app, &id).await, valid_draft());
    }
}

#[tokio::test]
async fn rows_are_added_and_removed_keeping_index_order() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let fields = vec![
        ("mailboxes[0]".to_string(), "a@nhs.net".to_string()),
        ("mailboxes[2]".to_string(), "c@nhs.net".to_string()),
        ("contacts[0][name]".to_string(), "Jo".to_string()),
        ("contacts[0][email]".to_string(), "jo@nhs.net".to_string()),
        ("action".to_string(), "add:mailboxes".to_string()),
    ];
    let (status, location) = post_multipart(&app, &fields, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = draft_id(&location);
    assert_eq!(location, format!("/register/{id}#mailboxes"));
    let draft = stored_draft(&app, &id).await;
    assert_eq!(draft.mailboxes, ["a@nhs.net", "c@nhs.net", ""]);

    let fields = vec![
        ("draft_id".to_string(), id.clone()),
        ("mailboxes[0]".to_string(), "a@nhs.net".to_string()),
        ("mailboxes[1]".to_string(), "c@nhs.net".to_string()),
        ("mailboxes[2]".to_string(), "".to_string()),
        ("contacts[0][name]".to_string(), "Jo".to_string()),
        ("contacts[0][email]".to_string(), "jo@nhs.net".to_string()),
        ("action".to_string(), "remove:mailboxes:0".to_string()),
    ];
    let (_, location) = post_multipart(&app, &fields, None).await;
    assert_eq!(location, format!("/register/{id}#mailboxes"));
    assert_eq!(stored_draft(&app, &id).await.mailboxes, ["c@nhs.net", ""]);

    let mut fields = fields;
    fields.retain(|(name, _)| name != "action");
    fields.push(("action".into(), "add:contacts".into()));
    let (_, location) = post_multipart(&app, &fields, None).await;
    assert_eq!(location, format!("/register/{id}#contacts"));
    assert_eq!(stored_draft(&app, &id).await.contacts.len(), 2);

    fields.retain(|(name, _)| name != "action");
    fields.push((
        "action".into(),
        "add:permissions:graph:Mail.Send:delegated".into(),
    ));
    let (_, location) = post_multipart(&app, &fields, None).await;
    assert_eq!(location, format!("/register/{id}#permissions"));
    assert_eq!(
        stored_draft(&app, &id).await.permissions,
        [DraftPermission {
            resource: "graph".into(),
            value: "Mail.Send".into(),
            permission_type: "delegated".into(),
        }]
    );
}

#[tokio::test]
async fn a_certificate_upload_is_kept_across_later_posts() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let pem = fixture("rsa2048.pem");
    let (status, location) = post_multipart(
        &app,
        &with(&valid_fields(), &[("action", "save")]),
        Some(("app.pem", &pem)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = draft_id(&location);
    assert_eq!(location, format!("/register/{id}?saved=1"));
    let draft = stored_draft(&app, &id).await;
    assert_eq!(draft.certificates.len(), 1);
    assert_eq!(draft.certificates[0].file_name, "app.pem");
    assert_eq!(
        STANDARD
            .decode(&draft.certificates[0].content_base64)
            .unwrap(),
        pem
    );

    // The browser cannot re-fill the file input: the second post has no file, the draft keeps it.
    let (_, location) = post_multipart(
        &app,
        &with(&valid_fields(), &[("draft_id", &id), ("action", "check")]),
        None,
    )
    .await;
    assert_eq!(location, format!("/register/{id}?checked=1#error-summary"));
    let kept = stored_draft(&app, &id).await;
    assert_eq!(kept.certificates, draft.certificates);

    // …and it can be removed.
    let (_, location) = post_multipart(
        &app,
        &with(
            &valid_fields(),
            &[("draft_id", &id), ("action", "remove:certificates:0")],
        ),
        None,
    )
    .await;
    assert_eq!(location, format!("/register/{id}#certificates"));
    assert!(stored_draft(&app, &id).await.certificates.is_empty());
}

#[tokio::test]
async fn a_certificate_over_64_kib_is_refused_as_too_large() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let big = vec![b'A'; 64 * 1024 + 1];
    let (status, location) = post_multipart(
        &app,
        &with(&valid_fields(), &[("action", "save")]),
        Some(("big.pem", &big)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = draft_id(&location);
    assert_eq!(
        location,
        format!("/register/{id}?saved=1&refused=too_large")
    );
    assert!(stored_draft(&app, &id).await.certificates.is_empty());
}

/// 16-character pieces of a file's content as it could be stored or echoed: lines from the
/// middle of a PEM body, and base64 of binary content at byte offsets base64 keeps aligned.
fn secret_pieces(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut pieces: Vec<String> = text
        .lines()
        .filter(|line| {
            line.len() >= 48
                && line
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        })
        .skip(2)
        .take(3)
        .map(|line| line[16..32].to_string())
        .collect();
    let encoded = STANDARD.encode(bytes);
    pieces.push(encoded[encoded.len() / 2 / 4 * 4..][..16].to_string());
    pieces
}

#[tokio::test]
async fn a_private_key_or_pkcs12_upload_is_refused_and_never_stored() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let cases = [
        ("rsa2048.key", "private_key"),
        ("combined.pem", "private_key"),
        ("app.p12", "pkcs12"),
    ];
    let mut pieces = Vec::new();
    let mut binary_pieces = Vec::new();
    for (name, reason) in cases {
        let bytes = fixture(name);
        let found = secret_pieces(&bytes);
        assert!(
            found.len() >= if name == "app.p12" { 1 } else { 4 },
            "{name}"
        );
        pieces.extend(found);
        binary_pieces.push(bytes[bytes.len() / 2..][..16].to_vec());
        for action in ["save", "submit"] {
            let (status, location) = post_multipart(
                &app,
                &with(&valid_fields(), &[("action", action)]),
                Some((name, &bytes)),
            )
            .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
            let id = draft_id(&location);
            let expected_query = if action == "save" {
                format!("?saved=1&refused={reason}")
            } else {
                format!("?checked=1&refused={reason}#error-summary")
            };
            assert_eq!(
                location,
                format!("/register/{id}{expected_query}"),
                "{name}"
            );
            let draft = stored_draft(&app, &id).await;
            assert!(draft.certificates.is_empty(), "{name}");
            // Everything else typed is kept.
            assert_eq!(draft, valid_draft(), "{name}");
        }
    }
    // A refused key never turns a submit into a stored request.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM registration_request").await,
        0
    );

    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM draft")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(bodies.len(), 6);
    for body in &bodies {
        for piece in &pieces {
            assert!(!body.contains(piece.as_str()), "a draft holds key material");
        }
    }
    // The database file itself, on the embedded store (PostgreSQL's files are its server's: the
    // rows read above are what the desk stored there).
    if crate::common::on_postgres() {
        return;
    }
    // The control: an accepted certificate's pieces are found by the same scan.
    let pem = fixture("rsa2048.pem");
    let kept = secret_pieces(&pem);
    assert!(kept.len() >= 3);
    post_multipart(
        &app,
        &with(&valid_fields(), &[("action", "save")]),
        Some(("app.pem", &pem)),
    )
    .await;
    let files = || {
        let filename = app.dir.path().join("appreg.sqlite");
        let mut files = vec![std::fs::read(&filename).unwrap()];
        if let Ok(wal) = std::fs::read(format!("{}-wal", filename.display())) {
            files.push(wal);
        }
        files
    };
    let holds = |files: &[Vec<u8>], piece: &[u8]| {
        files
            .iter()
            .any(|file| file.windows(piece.len()).any(|window| window == piece))
    };
    // Stored as base64 of the file, so the control is the base64 piece.
    assert!(holds(&files(), kept.last().unwrap().as_bytes()));

    for file in &files() {
        for piece in pieces
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .chain(binary_pieces.clone())
        {
            assert!(
                !file
                    .windows(piece.len())
                    .any(|window| window == piece.as_slice()),
                "the database file holds key material"
            );
        }
    }
}

#[tokio::test]
async fn a_url_encoded_post_works_like_a_multipart_one() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(with(
            &valid_fields(),
            &[("action", "submit"), ("csrf_token", &app.csrf())],
        ))
        .finish();
    let request = Request::post("/register")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (response, _) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    let reference = reference_in(location);
    let latest = registrations::latest(&app.state.pool, &reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        latest.request,
        RegistrationRequest::from_json(&delegated_request().to_string()).unwrap()
    );

    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(with(
            &valid_fields(),
            &[("action", "save"), ("csrf_token", &app.csrf())],
        ))
        .finish();
    let request = Request::post("/register")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (response, _) = app.send(request).await;
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert_eq!(stored_draft(&app, &draft_id(location)).await, valid_draft());
}

#[tokio::test]
async fn references_have_the_read_aloud_format_and_are_unique() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let mut seen = HashSet::new();
    for _ in 0..40 {
        let (status, location) =
            post_multipart(&app, &with(&valid_fields(), &[("action", "submit")]), None).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let reference = reference_in(&location);
        let (prefix, rest) = reference.split_at(3);
        assert_eq!(prefix, "AR-");
        let groups: Vec<&str> = rest.split('-').collect();
        assert_eq!(groups.len(), 2, "{reference}");
        for group in groups {
            assert_eq!(group.len(), 4, "{reference}");
            assert!(
                group
                    .chars()
                    .all(|c| "23456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c)),
                "{reference}"
            );
        }
        assert!(seen.insert(reference.clone()), "{reference} was reused");
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(DISTINCT reference) FROM registration_request"
        )
        .await,
        40
    );
}

#[tokio::test]
async fn refuses_what_is_not_a_readable_form_in_plain_text() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let request = Request::post("/register")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let (response, _) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let fields = vec![
        ("mailboxes[5000]".to_string(), "x@nhs.net".to_string()),
        ("csrf_token".to_string(), app.csrf()),
    ];
    let request = Request::post("/register")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart_body(&fields, None)))
        .unwrap();
    let (response, body) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(String::from_utf8(body).unwrap().contains("1000 rows"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM draft").await, 0);

    let request = Request::post("/register")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(vec![b'a'; 3 * 1024 * 1024]))
        .unwrap();
    let (response, _) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_file_posted_under_a_text_field_name_is_ignored() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let key = fixture("rsa2048.key");
    let csrf = app.csrf();
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\nsave\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"description\"; filename=\"a.key\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&key);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let request = Request::post("/register")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap();
    let (response, _) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert_eq!(
        stored_draft(&app, &draft_id(location)).await,
        RegistrationDraft {
            ods_code: "RX1".into(),
            ..RegistrationDraft::default()
        }
    );
}

#[tokio::test]
async fn only_a_signed_in_local_administrator_with_the_csrf_token_may_post() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let save = with(&valid_fields(), &[("action", "save")]);
    let post = |cookie: Option<String>, fields: Vec<(String, String)>| {
        let mut builder = Request::post("/register").header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
        if let Some(cookie) = cookie {
            builder = builder.header(header::COOKIE, cookie);
        }
        builder
            .body(Body::from(multipart_body(&fields, None)))
            .unwrap()
    };

    // Anonymous: sent to sign in (the cookie jar is empty, so no default session either); what
    // was posted is kept for this browser's next sign-in (`signed_out_forms.rs`).
    let anonymous = Request::post("/register")
        .header(header::COOKIE, "appreg_session=none")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart_body(&save, None)))
        .unwrap();
    let (response, _) = app.send(anonymous).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/sign-in?next=/register&kept=1"
    );
    assert!(
        response.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("appreg_parked=")
    );

    // A reviewer may not make requests.
    let reviewer = app
        .sign_in_as("reviewer@nhs.net", server::identity::Role::Reviewer, None)
        .await;
    let mut fields = save.clone();
    fields.push(("csrf_token".into(), reviewer.csrf.clone()));
    let (response, _) = app.send(post(Some(reviewer.cookie), fields)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The administrator without the token, or with another session's token.
    let (response, body) = app.send(post(None, save.clone())).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&body).contains("expired"));
    let mut fields = save.clone();
    fields.push(("csrf_token".into(), "not-the-token".into()));
    let (response, _) = app.send(post(None, fields)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM draft").await, 0);

    // With it, the draft is saved and belongs to the administrator's organisation.
    let (status, location) = post_multipart(&app, &save, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let stored = drafts::load(&app.state.pool, &draft_id(&location))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.owner.ods_code.as_deref(), Some("RX1"));
    assert_eq!(
        stored.owner.created_by.as_deref(),
        Some(app.session.as_ref().unwrap().user_id.as_str())
    );
}

#[tokio::test]
async fn another_organisations_draft_cannot_be_opened_or_overwritten() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let (_, location) =
        post_multipart(&app, &with(&valid_fields(), &[("action", "save")]), None).await;
    let theirs = draft_id(&location);

    let other = app
        .sign_in_as(
            "admin@rth.nhs.net",
            server::identity::Role::LocalAdmin,
            Some("RTH"),
        )
        .await;
    let mut fields = with(
        &[("application_name".to_string(), "Overwritten".to_string())],
        &[("draft_id", &theirs), ("action", "save")],
    );
    fields.push(("csrf_token".into(), other.csrf.clone()));
    let request = Request::post("/register")
        .header(header::COOKIE, &other.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart_body(&fields, None)))
        .unwrap();
    let (response, _) = app.send(request).await;
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    // A new draft of RTH's, not RX1's draft changed.
    assert_ne!(draft_id(location), theirs);
    assert_eq!(stored_draft(&app, &theirs).await, valid_draft());
    assert!(
        drafts::load_for(&app.state.pool, "RTH", &theirs)
            .await
            .unwrap()
            .is_none()
    );
}

/// The stored drafts of an organisation.
async fn drafts_of(app: &TestApp, ods_code: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM draft WHERE ods_code = $1")
        .bind(ods_code)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn only_an_upload_that_holds_a_certificate_is_kept_in_the_draft() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let jwk_with_private_part =
        br#"{"kty":"RSA","n":"0vx7agoebGc","e":"AQAB","d":"X4cTteJY_gn4FYPs"}"#.to_vec();
    let mut jks = vec![0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2];
    jks.extend_from_slice(&[7u8; 200]);
    for (name, bytes, reason) in [
        ("key.jwk", jwk_with_private_part, "private_key"),
        ("store.jks", jks, "not_a_certificate"),
        ("request.csr", fixture("request.csr"), "not_a_certificate"),
        ("public.pem", fixture("public_key.pem"), "not_a_certificate"),
        ("junk.bin", fixture("junk.bin"), "not_a_certificate"),
    ] {
        let (status, location) = post_multipart(
            &app,
            &with(&valid_fields(), &[("action", "save")]),
            Some((name, &bytes)),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert!(
            location.ends_with(&format!("?saved=1&refused={reason}")),
            "{name}: {location}"
        );
        let draft = stored_draft(&app, &draft_id(&location)).await;
        assert!(draft.certificates.is_empty(), "{name} was kept");
        // What was typed is kept.
        assert_eq!(draft.application_name, "Ward Mail Connector");
    }
    // A certificate with problems is still a certificate: kept, and its findings shown later.
    let (_, location) = post_multipart(
        &app,
        &with(&valid_fields(), &[("action", "save")]),
        Some(("old.pem", &fixture("rsa1024.pem"))),
    )
    .await;
    assert!(location.ends_with("?saved=1"), "{location}");
    assert_eq!(
        stored_draft(&app, &draft_id(&location))
            .await
            .certificates
            .len(),
        1
    );
}

#[tokio::test]
async fn a_draft_holds_at_most_ten_certificates_then_says_so() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let certificate = fixture("rsa2048.pem");
    let (_, mut location) = post_multipart(
        &app,
        &with(&valid_fields(), &[("action", "save")]),
        Some(("1.pem", &certificate)),
    )
    .await;
    let id = draft_id(&location);
    for n in 2..=registration::limits::MAX_CERTIFICATES + 1 {
        (_, location) = post_multipart(
            &app,
            &with(&valid_fields(), &[("action", "save"), ("draft_id", &id)]),
            Some((&format!("{n}.pem"), &certificate)),
        )
        .await;
    }
    assert_eq!(location, format!("/register/{id}?saved=1&refused=too_many"));
    assert_eq!(
        stored_draft(&app, &id).await.certificates.len(),
        registration::limits::MAX_CERTIFICATES
    );
    // The page says what to do.
    let (response, html) = app.get(&location).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("Remove a certificate you no longer need, then upload the new one"),
        "{html}"
    );
}

#[tokio::test]
async fn a_draft_too_large_to_store_keeps_the_typing_and_drops_the_new_files() {
    let app = TestApp::as_local_admin_of("RX1").await;
    // A long description (the form takes it; the draft size limit is 1 MiB) ...
    let description = "x".repeat(700 * 1024);
    let (_, location) = post_multipart(
        &app,
        &with(
            &valid_fields(),
            &[("action", "save"), ("description", &description)],
        ),
        None,
    )
    .await;
    let id = draft_id(&location);
    // ... and certificate files of nearly 64 KiB each (text before the PEM block is allowed).
    let mut padded = b"Certificate:\n".to_vec();
    padded.extend(std::iter::repeat_n(b'.', 60 * 1024));
    padded.push(b'\n');
    padded.extend_from_slice(&fixture("rsa2048.pem"));
    let mut last = String::new();
    for n in 0..5 {
        (_, last) = post_multipart(
            &app,
            &with(
                &valid_fields(),
                &[
                    ("action", "save"),
                    ("draft_id", &id),
                    ("description", &description),
                ],
            ),
            Some((&format!("{n}.pem"), &padded)),
        )
        .await;
    }
    assert_eq!(last, format!("/register/{id}?saved=1&refused=draft_full"));
    let draft = stored_draft(&app, &id).await;
    assert_eq!(draft.description.len(), description.len());
    assert!(draft.certificates.len() < 5, "{}", draft.certificates.len());
    // A form whose text alone is over the limit is not stored, and the answer says what to do.
    let huge = "y".repeat(1024 * 1024 + 1);
    let (response, text) = post_multipart_answer(
        &app,
        &with(
            &valid_fields(),
            &[("action", "save"), ("description", &huge)],
        ),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        text.contains("larger than 1 MiB, the most a draft can hold"),
        "{text}"
    );
}

#[tokio::test]
async fn an_organisation_keeps_at_most_50_drafts_and_a_draft_can_be_deleted() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let mut last = String::new();
    for _ in 0..drafts::MAX_DRAFTS_PER_ORGANISATION {
        let (status, location) =
            post_multipart(&app, &with(&valid_fields(), &[("action", "save")]), None).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        last = location;
    }
    assert_eq!(
        drafts_of(&app, "RX1").await,
        drafts::MAX_DRAFTS_PER_ORGANISATION
    );
    let (response, text) =
        post_multipart_answer(&app, &with(&valid_fields(), &[("action", "save")]), None).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(text.contains("already has 50 draft requests"), "{text}");
    assert!(text.contains("delete drafts you no longer need"), "{text}");
    assert_eq!(
        drafts_of(&app, "RX1").await,
        drafts::MAX_DRAFTS_PER_ORGANISATION
    );
    // Saving an existing draft still works at the limit.
    let id = draft_id(&last);
    let (status, location) = post_multipart(
        &app,
        &with(&valid_fields(), &[("action", "save"), ("draft_id", &id)]),
        None,
    )
    .await;
    assert_eq!(
        (status, location),
        (StatusCode::SEE_OTHER, format!("/register/{id}?saved=1"))
    );

    // Deleting: needs the session's token; another organisation's administrator cannot.
    let delete = |cookie: String, csrf: String| {
        Request::post(format!("/register/{id}/delete"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(format!("csrf_token={csrf}")))
            .unwrap()
    };
    let own = app.session.clone().unwrap();
    let (response, _) = app.send(delete(own.cookie.clone(), "forged".into())).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let other = app
        .sign_in_as(
            "admin@rth.nhs.net",
            server::identity::Role::LocalAdmin,
            Some("RTH"),
        )
        .await;
    let (response, _) = app.send(delete(other.cookie, other.csrf)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(drafts::load(&app.state.pool, &id).await.unwrap().is_some());
    let (response, _) = app.send(delete(own.cookie.clone(), own.csrf.clone())).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/requests?deleted=1");
    assert!(drafts::load(&app.state.pool, &id).await.unwrap().is_none());
    let (response, html) = app.get("/requests?deleted=1").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        String::from_utf8(html)
            .unwrap()
            .contains("The draft was deleted")
    );
    // A new draft has room again.
    let (status, location) =
        post_multipart(&app, &with(&valid_fields(), &[("action", "save")]), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.ends_with("?saved=1"));
}

#[tokio::test]
async fn when_every_validation_slot_is_busy_submit_keeps_the_draft_and_says_so() {
    let mut app = TestApp::with_limits(server::limits::LimitSettings {
        validation_wait: std::time::Duration::from_millis(200),
        ..server::limits::LimitSettings::default()
    })
    .await;
    app.session = Some(
        app.sign_in_as(
            "admin@rx1.nhs.net",
            server::identity::Role::LocalAdmin,
            Some("RX1"),
        )
        .await,
    );
    let held = app.hold_every_validation_slot();
    let (status, location) = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        post_multipart(&app, &with(&valid_fields(), &[("action", "submit")]), None),
    )
    .await
    .expect("an answer once the wait for a slot is over");
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = draft_id(&location);
    assert_eq!(location, format!("/register/{id}?busy=1#busy"));
    assert_eq!(
        stored_draft(&app, &id).await.application_name,
        "Ward Mail Connector"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM registration_request").await,
        0
    );
    let (_, html) = app.get(&location).await;
    assert!(
        String::from_utf8(html)
            .unwrap()
            .contains("The service was too busy to check your request")
    );
    drop(held);
    let (_, location) = post_multipart(
        &app,
        &with(&valid_fields(), &[("action", "submit"), ("draft_id", &id)]),
        None,
    )
    .await;
    assert!(location.ends_with("/submitted"), "{location}");
}

#[tokio::test]
async fn a_description_that_closes_its_textarea_comes_back_as_text_not_markup() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let typed = "Files referrals </textarea><a id=\"injected\" href=\"/elsewhere\">x</a> & more";
    let (status, location) = post_multipart(
        &app,
        &with(
            &valid_fields(),
            &[("description", typed), ("action", "save")],
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (response, body) = app.get(&location).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = String::from_utf8(body).unwrap();
    assert!(
        !page.contains("<a id=\"injected\""),
        "markup from a field: {page}"
    );
    assert!(
        page.contains(
            "Files referrals &lt;/textarea&gt;&lt;a id=\"injected\" href=\"/elsewhere\"&gt;x&lt;/a&gt; &amp; more</textarea>"
        ),
        "the text comes back as typed: {page}"
    );
}

/// A renewal prepared in the form: one that changes more than the credentials is not submitted,
/// the draft is kept and the page names the fields; put back, it is submitted as the renewal.
#[tokio::test]
async fn a_renewal_in_the_form_that_changes_more_than_credentials_is_kept_and_says_why() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let admin = app.session.clone().unwrap();
    let (_, location) =
        post_multipart(&app, &with(&valid_fields(), &[("action", "submit")]), None).await;
    let reference = reference_in(&location);
    crate::common::approve(&app, &reference).await;
    let rita = app
        .sign_in_as("rita@nhs.net", server::identity::Role::Reviewer, None)
        .await;
    let made = crate::api_support::call(
        &app,
        http::Method::POST,
        &format!("/api/v1/registrations/{reference}/implementation"),
        Some(&rita),
        Some(&serde_json::json!({
            "application_id": crate::implementation::APP_ID,
            "object_id": crate::implementation::OBJECT_ID,
        })),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());

    let started = crate::api_support::post_page_form(
        &app,
        &admin,
        &format!("/requests/{reference}/renewal"),
        &[],
    )
    .await;
    let id = draft_id(&started.location);
    // A renamed application is not a renewal: nothing is stored, the draft keeps the new name.
    let renamed = with(
        &valid_fields(),
        &[
            ("action", "submit"),
            ("draft_id", &id),
            ("application_name", "Ward Mail Connector 2"),
            ("client_secret_months", "12"),
        ],
    );
    let (status, location) = post_multipart(&app, &renamed, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location,
        format!(
            "/register/{id}?checked=1&change_refused=not_a_renewal&changed=application.name#change-refused"
        )
    );
    assert_eq!(
        stored_draft(&app, &id).await.application_name,
        "Ward Mail Connector 2"
    );
    let (_, page) = app.get(location.split('#').next().unwrap()).await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("id=\"change-refused\""), "{page}");
    assert!(
        page.contains("this also changes application.name"),
        "{page}"
    );
    assert_eq!(
        registrations::versions(&app.state.pool, &reference)
            .await
            .unwrap()
            .len(),
        1
    );

    // Named as before, with a new client secret asked for: submitted as the renewal.
    let renewal = with(
        &valid_fields(),
        &[
            ("action", "submit"),
            ("draft_id", &id),
            ("client_secret_months", "12"),
        ],
    );
    let (status, location) = post_multipart(&app, &renewal, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(reference_in(&location), reference);
    let latest = registrations::latest(&app.state.pool, &reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.version, 2);
    assert_eq!(latest.purpose, Some(registrations::Purpose::Renewal));
    assert!(drafts::load(&app.state.pool, &id).await.unwrap().is_none());
}

/// The form's live checks get the organisation's slice of the directory, imports included, and
/// never another organisation's mailboxes (issue 18, part 1: an imported mailbox was unknown in
/// the browser, which checked against the embedded data only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_carries_its_organisations_mailboxes_imported_ones_too_and_no_others() {
    let first = TestApp::new().await;
    server::store::directory::import(
        &first.state.pool,
        "mailboxes.csv",
        "address,ods_code,kind\nimported.ward@nhs.net,RX1,shared\nimported.elsewhere@nhs.net,RJ1,shared\n",
    )
    .await
    .unwrap();
    // Imports are read when a desk starts.
    let mut desk = first.another_desk().await;
    desk.session = Some(
        desk.sign_in_as(
            "admin@rx1.nhs.net",
            server::identity::Role::LocalAdmin,
            Some("RX1"),
        )
        .await,
    );
    let (response, body) = desk.get("/register").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = String::from_utf8(body).unwrap();
    let island = page
        .split("<leptos-island")
        .nth(1)
        .expect("the form is an island");
    for own in [
        "imported.ward@nhs.net",
        "ward7.referrals@nhs.net",
        "demo.site.rx1ra@nhs.net",
    ] {
        assert!(
            island.contains(own),
            "{own} missing from the form's directory"
        );
    }
    for others in [
        "imported.elsewhere@nhs.net",
        "demo.outpatients.rj1@nhs.net",
        "demo.reception.a81001@nhs.net",
    ] {
        assert!(!page.contains(others), "{others} is another organisation's");
    }
}

/// The island's props in a page: the JSON of `data-props`, unescaped.
fn island_props(page: &str) -> serde_json::Value {
    let start = page.find("data-props=\"").expect("an island") + "data-props=\"".len();
    let end = start + page[start..].find('"').unwrap();
    let json = page[start..end]
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

#[tokio::test]
async fn the_form_page_carries_only_the_permissions_it_shows_and_the_whole_is_served_once_named() {
    use registration::catalogue::{CatalogueCopy, PermissionCatalogue, VERSION};
    let app = TestApp::as_local_admin_of("RX1").await;
    let catalogue_part = |page: &str| -> Vec<String> {
        let props = island_props(page);
        let copy = &props["page"]["catalogue"];
        assert_eq!(copy["version"], VERSION);
        let mut values: Vec<String> = copy["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry[2].as_str().unwrap().to_string())
            .collect();
        values.sort();
        values.dedup();
        values
    };

    // A new form shows no permission: its page carries none of the catalogue.
    let (_, body) = app.get("/register").await;
    assert_eq!(
        catalogue_part(&String::from_utf8(body).unwrap()),
        Vec::<String>::new()
    );

    // Chosen permissions and a search (filtered by the delegated access type): the page carries
    // those entries (every type and resource of each value), not the 1,600 others.
    let fields = with(
        &valid_fields(),
        &[
            (
                registration::draft::fields::names::PERMISSION_SEARCH,
                "imap.acc",
            ),
            ("action", "add:permissions:graph:Mail.Send:delegated"),
        ],
    );
    let (_, location) = post_multipart(&app, &fields, None).await;
    let id = draft_id(&location);
    let (_, body) = app.get(&format!("/register/{id}")).await;
    let page = String::from_utf8(body).unwrap();
    assert!(
        page.contains("IMAP.AccessAsUser.All"),
        "the search's match is shown"
    );
    assert_eq!(
        catalogue_part(&page),
        [
            "IMAP.AccessAsUser.All",
            "Mail.Send",
            "User.Read",
            "offline_access"
        ]
    );

    // The whole, at its versioned name: every entry, cached for good, compressed.
    let path = app::pages::register::catalogue_path();
    assert_eq!(path, format!("/catalogue/permissions.{VERSION}.json"));
    let request = Request::get(&path)
        .header(header::ACCEPT_ENCODING, "br")
        .body(Body::empty())
        .unwrap();
    let (response, compressed) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(response.headers()[header::VARY], "accept-encoding");
    let request = Request::get(&path)
        .header(header::ACCEPT_ENCODING, "gzip, br;q=0")
        .body(Body::empty())
        .unwrap();
    let (response, _) = app.send(request).await;
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    let (response, body) = app.get(&path).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
    let mut decoded = String::new();
    std::io::Read::read_to_string(
        &mut brotli_decompressor::Decompressor::new(compressed.as_slice(), 4096),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, text);
    assert!(
        compressed.len() * 3 < text.len(),
        "{} of {}",
        compressed.len(),
        text.len()
    );
    let whole = CatalogueCopy::from_json(&text).unwrap();
    assert_eq!(whole.len(), PermissionCatalogue::get().entries().len());

    // Any other name (an older desk's copy) is not there.
    let (response, _) = app
        .get("/catalogue/permissions.0000000000000000.json")
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
