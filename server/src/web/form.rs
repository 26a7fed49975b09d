//! `POST /register`: every button of the registration form, as a plain HTML form post
//! (docs/form.md). The handler saves the draft, applies the button's action and answers
//! `303 See Other` (post/redirect/get), so it works without JavaScript.
//!
//! Only a signed-in Local Administrator may post it (anyone else is sent to sign in, or refused),
//! and only with the session's CSRF token in the hidden `csrf_token` field. The draft belongs to
//! the administrator's organisation, whose ODS code it always carries.
//!
//! Field values are never logged. An uploaded file that holds a private key or is a PKCS #12
//! bundle is dropped here, before anything is stored: the redirect only says what was refused.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use registration::draft::{DraftList, FormAction};
use registration::limits::{MAX_CERTIFICATE_BYTES, MAX_CERTIFICATES};
use registration::rules::certificate::{self, RefusedUpload};
use registration::{
    CertificateUpload, Contact, DraftPermission, DraftRedirectUri, RegistrationDraft,
};
use time::OffsetDateTime;

use super::AppState;
use super::body::BodyError;
use crate::identity::{LocalAdminOf, SignedIn, csrf, require_any_local_admin};
use crate::registrations::{self, SubmitError};
use crate::store::drafts::{self, DraftOwner, DraftRefused};

/// The highest row number a form may post (`mailboxes[1000]`); beyond it the post is refused.
pub const MAX_ROW_INDEX: usize = 1000;

/// The largest body a form post may have (a certificate is at most 64 KiB; the rest is text).
pub const FORM_BODY_LIMIT: usize = super::PAGE_BODY_LIMIT;

/// `POST /register`.
pub async fn register(
    State(state): State<AppState>,
    signed_in: Option<SignedIn>,
    request: Request<Body>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    // Authorisation before reading the body: nothing is stored for someone who may not post.
    let Some(signed_in) = signed_in else {
        return Redirect::to("/sign-in?next=/register").into_response();
    };
    let Ok(admin) = require_any_local_admin(&signed_in.identity) else {
        return plain(
            StatusCode::FORBIDDEN,
            "Only a Local Administrator can make registration requests. Reviewers decide on them from the review queue.",
        );
    };
    let input = match read_form(&state, request).await {
        Ok(input) => input,
        Err(refusal) => return refusal.into_response(),
    };
    if !csrf::field_matches(&input.fields, &signed_in) {
        return plain(
            StatusCode::FORBIDDEN,
            "This form has expired (your session changed since the page was loaded). Go back, reload the page and try again.",
        );
    }
    let posted = match parse_fields(&input.fields) {
        Ok(posted) => posted,
        Err(TooManyRows) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form has a list with more than 1000 rows; the desk does not accept that many.",
            );
        }
    };
    match handle(&state, &admin, posted, input.uploads, now).await {
        Ok(Ok(location)) => Redirect::to(&location).into_response(),
        Ok(Err(Unsaved::TooManyDrafts)) => plain(
            StatusCode::CONFLICT,
            "Your organisation already has 50 draft requests, the most the desk keeps, so this form could not be saved. Go back (your answers are still in the form), open Your requests in another tab, delete drafts you no longer need, then save again.",
        ),
        Ok(Err(Unsaved::TooLarge)) => plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "This form is larger than 1 MiB, the most a draft can hold, so it could not be saved. Go back (your answers are still in the form) and shorten the longest answers or remove rows you do not need.",
        ),
        Err(error) => {
            // The error names the failing operation only: no field value reaches the log.
            tracing::error!(error = %error, "the registration form could not be saved");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, the form could not be saved. Please go back and try again.",
            )
        }
    }
}

/// `POST /requests/{reference}/revise` with the session's `csrf_token`: opens the draft in which
/// the administrator changes a request a reviewer sent back (an existing one, or a new one holding
/// the latest version), at `/register/{draft}`.
pub async fn revise(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    signed_in: Option<SignedIn>,
    request: Request<Body>,
) -> Response {
    let Some(signed_in) = signed_in else {
        let here = format!("/requests/{}", app::backend::encode_query_value(&reference));
        return Redirect::to(&app::backend::sign_in_path(&here)).into_response();
    };
    let Ok(admin) = require_any_local_admin(&signed_in.identity) else {
        return plain(
            StatusCode::FORBIDDEN,
            "Only the organisation's Local Administrators can change a request.",
        );
    };
    let input = match read_form(&state, request).await {
        Ok(input) => input,
        Err(refusal) => return refusal.into_response(),
    };
    if !csrf::field_matches(&input.fields, &signed_in) {
        return plain(
            StatusCode::FORBIDDEN,
            "This page has expired (your session changed since it was loaded). Go back, reload the page and try again.",
        );
    }
    let now = OffsetDateTime::now_utc();
    match registrations::start_revision(&state.pool, &admin, &reference, now).await {
        Ok(id) => Redirect::to(&format!("/register/{id}")).into_response(),
        Err(SubmitError::NotFound) => plain(StatusCode::NOT_FOUND, "There is no such request."),
        Err(SubmitError::NotAwaitingChanges(_)) => plain(
            StatusCode::CONFLICT,
            "This request is not waiting for changes, so it cannot be changed now. Go back and reload its page to see its status.",
        ),
        Err(error) => {
            tracing::error!(error = %error, "a revision could not be started");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, the request could not be opened for changes. Please try again.",
            )
        }
    }
}

/// `POST /register/{draft_id}/delete` with the session's `csrf_token`: deletes one of the
/// organisation's drafts and goes back to "Your requests", which says so.
pub async fn delete_draft(
    State(state): State<AppState>,
    Path(draft_id): Path<String>,
    signed_in: Option<SignedIn>,
    request: Request<Body>,
) -> Response {
    let Some(signed_in) = signed_in else {
        return Redirect::to(&app::backend::sign_in_path("/requests")).into_response();
    };
    let Ok(admin) = require_any_local_admin(&signed_in.identity) else {
        return plain(
            StatusCode::FORBIDDEN,
            "Only the organisation's Local Administrators can delete its drafts.",
        );
    };
    let fields = match urlencoded_fields(request, SMALL_FORM_LIMIT, "The form is too large.").await
    {
        Ok(fields) => fields,
        Err(refusal) => return refusal,
    };
    if !csrf::field_matches(&fields, &signed_in) {
        return plain(
            StatusCode::FORBIDDEN,
            "This page has expired (your session changed since it was loaded). Go back, reload the page and try again.",
        );
    }
    match drafts::delete_for(&state.pool, admin.ods_code(), &draft_id).await {
        Ok(true) => Redirect::to("/requests?deleted=1").into_response(),
        Ok(false) => plain(
            StatusCode::NOT_FOUND,
            "There is no such draft: it may have been deleted or submitted already. Go to Your requests to see your drafts.",
        ),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "a draft could not be deleted");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, the draft could not be deleted. Please try again.",
            )
        }
    }
}

/// The largest body of a form post that carries only a token and a button.
const SMALL_FORM_LIMIT: usize = 16 * 1024;

/// The fields of a URL-encoded form post of at most `limit` bytes; otherwise a plain-text 415 or
/// 413 (`too_large` says what to do).
pub(crate) async fn urlencoded_fields(
    request: Request<Body>,
    limit: usize,
    too_large: &'static str,
) -> Result<Vec<(String, String)>, Response> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the form as application/x-www-form-urlencoded.",
        ));
    }
    let bytes = axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|error| {
            let error = BodyError::of(&error);
            plain(error.status(), error.message(too_large))
        })?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

/// What one post carried.
#[derive(Default)]
struct FormInput {
    /// Text fields in the order posted.
    fields: Vec<(String, String)>,
    /// Non-empty file parts named `certificate`.
    uploads: Vec<Upload>,
}

enum Upload {
    /// A file of at most 64 KiB.
    File { file_name: String, bytes: Vec<u8> },
    /// A file over 64 KiB: none of its bytes were kept.
    TooLarge,
}

/// A post that is not a form we can read: a plain-text answer with its status.
struct Refusal(StatusCode, &'static str);

impl Refusal {
    /// The answer to a body that could not be read.
    fn body(error: &(dyn std::error::Error + 'static)) -> Refusal {
        match BodyError::of(error) {
            BodyError::TooLarge => TOO_LARGE,
            other => Refusal(other.status(), other.message(TOO_LARGE.1)),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        plain(self.0, self.1)
    }
}

/// A plain-text answer (what a person sees when a form post is refused).
pub(crate) fn plain(status: StatusCode, message: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

const TOO_LARGE: Refusal = Refusal(
    StatusCode::PAYLOAD_TOO_LARGE,
    "The form is larger than 2 MiB. A certificate file is at most 64 KiB: please go back and choose a smaller file.",
);
const UNREADABLE: Refusal = Refusal(
    StatusCode::BAD_REQUEST,
    "The form could not be read. Please go back and try again.",
);

async fn read_form(state: &AppState, request: Request<Body>) -> Result<FormInput, Refusal> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "multipart/form-data" => {
            let multipart = Multipart::from_request(request, state)
                .await
                .map_err(|_| UNREADABLE)?;
            read_multipart(multipart).await
        }
        "application/x-www-form-urlencoded" => {
            let bytes = axum::body::to_bytes(request.into_body(), FORM_BODY_LIMIT)
                .await
                .map_err(|error| Refusal::body(&error))?;
            Ok(FormInput {
                fields: form_urlencoded::parse(&bytes).into_owned().collect(),
                uploads: Vec::new(),
            })
        }
        _ => Err(Refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the form as multipart/form-data or application/x-www-form-urlencoded.",
        )),
    }
}

async fn read_multipart(mut multipart: Multipart) -> Result<FormInput, Refusal> {
    let mut input = FormInput::default();
    let too_large_or_unreadable = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            TOO_LARGE
        } else {
            match Refusal::body(&error) {
                Refusal(StatusCode::BAD_REQUEST, _) => UNREADABLE,
                other => other,
            }
        }
    };
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(too_large_or_unreadable)?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "certificate" {
            let file_name = field
                .file_name()
                .filter(|name| !name.is_empty())
                .unwrap_or("certificate")
                .to_string();
            let mut bytes = Vec::new();
            let mut too_large = false;
            // Read at most 64 KiB; past that the rest is drained and dropped unseen.
            while let Some(chunk) = field.chunk().await.map_err(too_large_or_unreadable)? {
                if too_large {
                    continue;
                }
                if bytes.len() + chunk.len() > MAX_CERTIFICATE_BYTES {
                    too_large = true;
                    bytes = Vec::new();
                } else {
                    bytes.extend_from_slice(&chunk);
                }
            }
            if too_large {
                input.uploads.push(Upload::TooLarge);
            } else if !bytes.is_empty() {
                input.uploads.push(Upload::File { file_name, bytes });
            }
        } else if field.file_name().is_some() {
            // A file under any other name is not part of the form: drained unread, never kept.
            while field
                .chunk()
                .await
                .map_err(too_large_or_unreadable)?
                .is_some()
            {}
        } else {
            let value = field.text().await.map_err(too_large_or_unreadable)?;
            input.fields.push((name, value));
        }
    }
    Ok(input)
}

/// What became of a post that could not end in a redirect to the form.
enum Unsaved {
    /// The organisation keeps the most drafts allowed (409).
    TooManyDrafts,
    /// The form's text alone is over the draft size limit (413).
    TooLarge,
}

/// Saves, applies the action and returns the redirect's location.
async fn handle(
    state: &AppState,
    admin: &LocalAdminOf,
    posted: Posted,
    uploads: Vec<Upload>,
    now: OffsetDateTime,
) -> anyhow::Result<Result<String, Unsaved>> {
    // Another organisation's draft id is treated as no draft: what was posted becomes a new
    // draft of the administrator's own organisation.
    let existing = match posted.draft_id.as_deref() {
        Some(id) => drafts::load_for(&state.pool, admin.ods_code(), id).await?,
        None => None,
    };
    let mut draft = posted.draft;
    draft.ods_code = admin.ods_code().to_string();
    let mut checked = false;
    if let Some(stored) = existing.as_ref() {
        // A file input cannot be re-filled by the browser: earlier uploads live in the draft.
        draft.certificates = stored.draft.certificates.clone();
        checked = stored.checked;
    }
    let kept_before = draft.certificates.len();
    let mut refused = None;
    let mut busy = false;
    for upload in uploads {
        if draft.certificates.len() >= MAX_CERTIFICATES {
            refused.get_or_insert(RefusedUpload::TooMany);
            continue;
        }
        match accept_upload(state, upload, now).await {
            Ok(Ok(certificate)) => draft.certificates.push(certificate),
            Ok(Err(reason)) => {
                refused.get_or_insert(reason);
            }
            // Not checked, so not kept; the page asks for it again.
            Err(crate::validation::Busy) => busy = true,
        }
    }

    let action = FormAction::parse(posted.action.as_deref().unwrap_or(""));
    if let Some(action) = &action {
        draft.apply(action);
    }

    let mut not_awaiting_changes = false;
    if action == Some(FormAction::Submit)
        && refused.is_none()
        && !busy
        && let Some(request) = draft.to_request().request
    {
        let desk = state.desk();
        let submitted = match existing.as_ref() {
            Some(stored) => registrations::submit_draft(desk, admin, &request, stored, now).await,
            None => registrations::submit(desk, admin, &request, now).await,
        };
        match submitted {
            Ok(submitted) => {
                return Ok(Ok(format!(
                    "/registrations/{}/submitted",
                    submitted.reference
                )));
            }
            Err(SubmitError::Invalid(_)) => {}
            // A revision whose request was decided (or revised) meanwhile: the draft is kept
            // and its page says so.
            Err(SubmitError::NotAwaitingChanges(_) | SubmitError::NotFound) => {
                not_awaiting_changes = true;
            }
            // Every validation slot was busy: the draft is kept, the page asks to try again.
            Err(SubmitError::Busy) => busy = true,
            Err(SubmitError::WrongOrganisation) => {
                anyhow::bail!("a draft's ODS code was not its administrator's organisation")
            }
            Err(SubmitError::DraftRefused(refusal)) => {
                anyhow::bail!("submitting a draft refused a draft: {refusal}")
            }
            Err(SubmitError::Store(error)) => return Err(error),
        }
    }
    if matches!(action, Some(FormAction::Check | FormAction::Submit)) && !busy {
        checked = true;
    }

    let owner = DraftOwner {
        ods_code: Some(admin.ods_code().to_string()),
        created_by: Some(admin.user_id().to_string()),
        reference: existing
            .as_ref()
            .and_then(|stored| stored.owner.reference.clone()),
    };
    let mut saved = save(state, existing.as_ref(), &draft, checked, &owner, now).await?;
    if saved == Err(DraftRefused::TooLarge) && draft.certificates.len() > kept_before {
        // This post's uploads made the draft too large: keep everything typed, not them.
        draft.certificates.truncate(kept_before);
        refused = Some(RefusedUpload::DraftFull);
        saved = save(state, existing.as_ref(), &draft, checked, &owner, now).await?;
    }
    let id = match saved {
        Ok(id) => id,
        Err(DraftRefused::TooMany) => return Ok(Err(Unsaved::TooManyDrafts)),
        Err(DraftRefused::TooLarge) => return Ok(Err(Unsaved::TooLarge)),
    };
    Ok(Ok(location(
        &id,
        action.as_ref(),
        refused,
        Notice {
            not_awaiting_changes,
            busy,
        },
    )))
}

/// Stores the draft: over `existing`, or as a new draft (also when `existing` was deleted
/// meanwhile, e.g. submitted in another tab, so that what was typed is kept).
async fn save(
    state: &AppState,
    existing: Option<&drafts::StoredDraft>,
    draft: &RegistrationDraft,
    checked: bool,
    owner: &DraftOwner,
    now: OffsetDateTime,
) -> anyhow::Result<Result<String, DraftRefused>> {
    if let Some(stored) = existing {
        match drafts::update(&state.pool, &stored.id, draft, checked, now).await? {
            Ok(true) => return Ok(Ok(stored.id.clone())),
            Ok(false) => {}
            Err(refused) => return Ok(Err(refused)),
        }
    }
    drafts::create(&state.pool, draft, checked, owner, now).await
}

/// What the form page says besides its findings, after a post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Notice {
    /// A revision could not be submitted because its request no longer waits for changes.
    not_awaiting_changes: bool,
    /// Submit found every validation slot busy: nothing was checked, the draft was saved.
    busy: bool,
}

/// Where the browser goes after the draft `id` was saved with `action` applied.
fn location(
    id: &str,
    action: Option<&FormAction>,
    refused: Option<RefusedUpload>,
    notice: Notice,
) -> String {
    let mut query = Vec::new();
    let mut fragment = None;
    match action {
        // Nothing was checked: the page says why, at its top.
        Some(FormAction::Check | FormAction::Submit) if notice.busy => {
            fragment = Some("busy".to_string());
        }
        Some(FormAction::Check | FormAction::Submit) => {
            query.push("checked=1");
            fragment = Some("error-summary".to_string());
        }
        Some(FormAction::Save) => query.push("saved=1"),
        Some(FormAction::Add(list) | FormAction::Remove(list, _)) => {
            fragment = Some(section_id(*list))
        }
        Some(FormAction::SearchPermissions | FormAction::AddPermission { .. }) => {
            fragment = Some(section_id(DraftList::Permissions));
        }
        None => {}
    }
    let refused = refused.map(|reason| format!("refused={}", reason.as_str()));
    if let Some(refused) = refused.as_deref() {
        query.push(refused);
    }
    if notice.not_awaiting_changes {
        query.push("not_awaiting_changes=1");
    }
    if notice.busy {
        query.push("busy=1");
    }
    let mut location = format!("/register/{id}");
    if !query.is_empty() {
        location.push('?');
        location.push_str(&query.join("&"));
    }
    if let Some(fragment) = fragment {
        location.push('#');
        location.push_str(&fragment);
    }
    location
}

/// The id of a list's section on the form page (`redirect_uris` → `redirect-uris`).
fn section_id(list: DraftList) -> String {
    list.name().replace('_', "-")
}

/// Turns an uploaded file into a draft certificate, or says why it was refused: only a file in
/// which a certificate was found is kept. A refused file's bytes are dropped here and go nowhere
/// else. The check (parsing, RSA) runs on the blocking pool like every validation.
async fn accept_upload(
    state: &AppState,
    upload: Upload,
    now: OffsetDateTime,
) -> Result<Result<CertificateUpload, RefusedUpload>, crate::validation::Busy> {
    let (file_name, bytes) = match upload {
        Upload::TooLarge => return Ok(Err(RefusedUpload::TooLarge)),
        Upload::File { file_name, bytes } => (file_name, bytes),
    };
    let candidate = CertificateUpload {
        file_name,
        content_base64: STANDARD.encode(&bytes),
    };
    drop(bytes);
    crate::validation::on_pool(&state.limits, move || {
        let mut findings = Vec::new();
        certificate::check(std::slice::from_ref(&candidate), now, &mut findings);
        match RefusedUpload::of(&findings) {
            Some(refusal) => Err(refusal),
            None => Ok(candidate),
        }
    })
    .await
}

/// A row number over [`MAX_ROW_INDEX`].
#[derive(Debug, PartialEq, Eq)]
struct TooManyRows;

/// The form's fields read into a draft (without certificates).
#[derive(Debug, Default)]
struct Posted {
    draft_id: Option<String>,
    action: Option<String>,
    draft: RegistrationDraft,
}

/// Reads the field names of docs/form.md. Rows come in index order; gaps are closed up;
/// unknown names are ignored.
fn parse_fields(fields: &[(String, String)]) -> Result<Posted, TooManyRows> {
    let mut posted = Posted::default();
    let mut permissions: BTreeMap<usize, DraftPermission> = BTreeMap::new();
    let mut mailboxes: BTreeMap<usize, String> = BTreeMap::new();
    let mut redirect_uris: BTreeMap<usize, DraftRedirectUri> = BTreeMap::new();
    let mut token_endpoint_uris: BTreeMap<usize, String> = BTreeMap::new();
    let mut contacts: BTreeMap<usize, Contact> = BTreeMap::new();
    for (name, value) in fields {
        let value = value.clone();
        let draft = &mut posted.draft;
        match name.as_str() {
            csrf::FIELD => {}
            "draft_id" => posted.draft_id = Some(value).filter(|id| !id.is_empty()),
            "action" => posted.action = Some(value),
            "ods_code" => draft.ods_code = value,
            "application_name" => draft.application_name = value,
            "description" => draft.description = value,
            "supplier" => draft.supplier = value,
            "access_type" => draft.access_type = value,
            "permission_search" => draft.permission_search = value,
            "client_secret_months" => draft.client_secret_months = value,
            "access_policy_group" => draft.access_policy_group = value,
            _ => {
                let Some((list, index, sub)) = indexed(name)? else {
                    continue;
                };
                match (list, sub) {
                    ("permissions", Some("resource")) => {
                        permissions.entry(index).or_default().resource = value;
                    }
                    ("permissions", Some("value")) => {
                        permissions.entry(index).or_default().value = value;
                    }
                    ("permissions", Some("type")) => {
                        permissions.entry(index).or_default().permission_type = value;
                    }
                    ("mailboxes", None) => {
                        mailboxes.insert(index, value);
                    }
                    ("redirect_uris", Some("uri")) => {
                        redirect_uris.entry(index).or_default().uri = value;
                    }
                    ("redirect_uris", Some("platform")) => {
                        redirect_uris.entry(index).or_default().platform = value;
                    }
                    ("token_endpoint_uris", None) => {
                        token_endpoint_uris.insert(index, value);
                    }
                    ("contacts", Some("name")) => contacts.entry(index).or_default().name = value,
                    ("contacts", Some("email")) => {
                        contacts.entry(index).or_default().email = value;
                    }
                    _ => {}
                }
            }
        }
    }
    let draft = &mut posted.draft;
    draft.permissions = permissions.into_values().collect();
    draft.mailboxes = mailboxes.into_values().collect();
    draft.redirect_uris = redirect_uris.into_values().collect();
    draft.token_endpoint_uris = token_endpoint_uris.into_values().collect();
    draft.contacts = contacts.into_values().collect();
    Ok(posted)
}

/// A row field's name, `list[i]` or `list[i][sub]`, taken apart.
type RowField<'a> = (&'a str, usize, Option<&'a str>);

/// `list[i]` or `list[i][sub]`; `None` for any other shape, an error for `i` over the bound.
fn indexed(name: &str) -> Result<Option<RowField<'_>>, TooManyRows> {
    let Some((list, rest)) = name.split_once('[') else {
        return Ok(None);
    };
    let Some((index, rest)) = rest.split_once(']') else {
        return Ok(None);
    };
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    // Many digits are a huge number whatever they say: no need to parse them to refuse.
    let index = if index.len() > 4 {
        usize::MAX
    } else {
        index.parse::<usize>().map_err(|_| TooManyRows)?
    };
    if index > MAX_ROW_INDEX {
        return Err(TooManyRows);
    }
    let sub = if rest.is_empty() {
        None
    } else {
        match rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            Some(sub) if !sub.contains(['[', ']']) => Some(sub),
            _ => return Ok(None),
        }
    };
    Ok(Some((list, index, sub)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_indexed_rows_in_index_order_with_gaps_closed() {
        let posted = parse_fields(&fields(&[
            ("mailboxes[2]", "b@nhs.net"),
            ("mailboxes[0]", "a@nhs.net"),
            ("contacts[5][email]", "jo@nhs.net"),
            ("contacts[5][name]", "Jo"),
            ("redirect_uris[1][platform]", "spa"),
        ]))
        .unwrap();
        assert_eq!(posted.draft.mailboxes, ["a@nhs.net", "b@nhs.net"]);
        assert_eq!(
            posted.draft.contacts,
            [Contact {
                name: "Jo".into(),
                email: "jo@nhs.net".into()
            }]
        );
        assert_eq!(posted.draft.redirect_uris[0].platform, "spa");
    }

    #[test]
    fn refuses_row_numbers_over_the_bound_and_ignores_odd_names() {
        assert_eq!(
            parse_fields(&fields(&[("mailboxes[1001]", "x")])).unwrap_err(),
            TooManyRows
        );
        assert_eq!(
            parse_fields(&fields(&[("mailboxes[99999999999999999999999]", "x")])).unwrap_err(),
            TooManyRows
        );
        let posted = parse_fields(&fields(&[
            ("mailboxes[1000]", "x"),
            ("mailboxes[-1]", "y"),
            ("mailboxes[a]", "y"),
            ("mailboxes[1][x][y]", "y"),
            ("contacts[1][name", "y"),
        ]))
        .unwrap();
        assert_eq!(posted.draft.mailboxes, ["x"]);
        assert!(posted.draft.contacts.is_empty());
    }

    #[test]
    fn redirects_each_action_to_its_place() {
        let id = "abc";
        assert_eq!(
            location(id, Some(&FormAction::Check), None, Notice::default()),
            "/register/abc?checked=1#error-summary"
        );
        assert_eq!(
            location(
                id,
                Some(&FormAction::Save),
                Some(RefusedUpload::PrivateKey),
                Notice::default()
            ),
            "/register/abc?saved=1&refused=private_key"
        );
        assert_eq!(
            location(
                id,
                Some(&FormAction::Remove(DraftList::Contacts, 0)),
                None,
                Notice::default()
            ),
            "/register/abc#contacts"
        );
        assert_eq!(
            location(
                id,
                Some(&FormAction::Add(DraftList::RedirectUris)),
                None,
                Notice::default()
            ),
            "/register/abc#redirect-uris"
        );
        assert_eq!(
            location(id, None, Some(RefusedUpload::TooLarge), Notice::default()),
            "/register/abc?refused=too_large"
        );
        assert_eq!(
            location(
                id,
                Some(&FormAction::Submit),
                None,
                Notice {
                    busy: true,
                    ..Notice::default()
                }
            ),
            "/register/abc?busy=1#busy"
        );
    }
}
