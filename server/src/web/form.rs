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

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use registration::change::ChangeRefusal;
use registration::draft::{DraftList, FormAction, PostedForm, TooManyRows};
use registration::limits::MAX_CERTIFICATES;
use registration::rules::certificate::{self, RefusedUpload};
use registration::{CertificateUpload, RegistrationDraft};
use time::OffsetDateTime;

use super::AppState;
use super::cookies::Cookie;
use super::form_post::{FormInput, FormPost, RegistrationPost, Upload, plain};
use crate::identity::LocalAdminOf;
use crate::registrations::{self, SubmitError};
use crate::store::drafts::{self, DraftOwner, DraftRefused};

/// `POST /register`. A post whose session ended is kept ([`park`]) and becomes a draft when
/// this browser signs in again ([`restore_parked`]).
pub async fn register(State(state): State<AppState>, post: RegistrationPost) -> Response {
    let post = match post {
        RegistrationPost::SignedIn(post) => post,
        RegistrationPost::SignedOut { form, page } => {
            return park(&state, form, &page, OffsetDateTime::now_utc()).await.0;
        }
    };
    let now = OffsetDateTime::now_utc();
    let posted = match PostedForm::read(&post.form.fields) {
        Ok(posted) => posted,
        Err(TooManyRows) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form has a list with more than 1000 rows; the desk does not accept that many.",
            );
        }
    };
    match handle(&state, &post.capability, posted, post.form.uploads, now).await {
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
    post: FormPost<LocalAdminOf>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let started = registrations::start_revision(&state.pool, &post.capability, &reference, now);
    open_draft(
        started.await,
        "Sorry, the request could not be opened for changes. Please try again.",
    )
}

/// `POST /requests/{reference}/copy` with the session's `csrf_token`: "Start a new request from
/// this one" on a rejected request's page; opens a new draft holding its request, at
/// `/register/{draft}`.
pub async fn start_from_rejected(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    post: FormPost<LocalAdminOf>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let started =
        registrations::start_from_rejected(&state.pool, &post.capability, &reference, now);
    open_draft(
        started.await,
        "Sorry, the new request could not be started. Please try again.",
    )
}

/// `POST /requests/{reference}/renewal`: opens the draft in which the administrator prepares a
/// renewal of a live registered application (the one already started, or a new one holding the
/// live version), at `/register/{draft}`.
pub async fn start_renewal(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    post: FormPost<LocalAdminOf>,
) -> Response {
    start_change(state, reference, registrations::Purpose::Renewal, post).await
}

/// `POST /requests/{reference}/change`: as [`start_renewal`], for a change.
pub async fn start_other_change(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    post: FormPost<LocalAdminOf>,
) -> Response {
    start_change(state, reference, registrations::Purpose::Change, post).await
}

async fn start_change(
    state: AppState,
    reference: String,
    purpose: registrations::Purpose,
    post: FormPost<LocalAdminOf>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let started =
        registrations::start_change(&state.pool, &post.capability, &reference, purpose, now);
    open_draft(
        started.await,
        "Sorry, the renewal or change could not be started. Please try again.",
    )
}

/// The answer to a button that opens a draft from a request's page: the draft, or what stopped
/// it in words for the person (`failed`: what they read when the desk failed).
fn open_draft(started: Result<String, SubmitError>, failed: &'static str) -> Response {
    match started {
        Ok(id) => Redirect::to(&format!("/register/{id}")).into_response(),
        Err(SubmitError::NotFound) => plain(StatusCode::NOT_FOUND, "There is no such request."),
        Err(SubmitError::NotAwaitingChanges(_)) => plain(
            StatusCode::CONFLICT,
            "This request is not waiting for changes, so it cannot be changed now. Go back and reload its page to see its status.",
        ),
        Err(SubmitError::NotRejected(_)) => plain(
            StatusCode::CONFLICT,
            "A new request can be started only from a rejected or withdrawn one. Go back and reload its page to see its status.",
        ),
        Err(SubmitError::NotLive(_)) => plain(
            StatusCode::CONFLICT,
            "Only a live application can be renewed or changed. Go back and reload its page to see its status.",
        ),
        Err(SubmitError::ChangeOpen) => plain(
            StatusCode::CONFLICT,
            "A renewal or change of this application is already being reviewed or made: wait for it to be decided. Go back and reload its page to see where it is.",
        ),
        Err(SubmitError::DraftRefused(_)) => plain(
            StatusCode::CONFLICT,
            "The draft could not be started: your organisation keeps the most drafts allowed. Delete drafts you no longer need first.",
        ),
        Err(error) => {
            tracing::error!(error = %error, "a draft could not be opened from a request's page");
            plain(StatusCode::INTERNAL_SERVER_ERROR, failed)
        }
    }
}

/// `POST /register/{draft_id}/delete` with the session's `csrf_token`: deletes one of the
/// organisation's drafts and goes back to "Your requests", which says so.
pub async fn delete_draft(
    State(state): State<AppState>,
    Path(draft_id): Path<String>,
    post: FormPost<LocalAdminOf>,
) -> Response {
    match drafts::delete_for(&state.pool, post.capability.ods_code(), &draft_id).await {
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

/// `POST /register/autosave`: the form's fields as the page would post them (URL-encoded, no
/// files, no button), sent by the form's script a few seconds after the person stops typing.
/// The draft is saved as "Save draft" saves it (nothing is checked or submitted): 200
/// `{ "draft_id", "saved_at" }`. With no session (it ended), the fields are kept as a
/// signed-out form post's are and the answer is 401 `{ "error": "signed_out", "kept", "sign_in" }`
/// (`kept`: whether they were; `sign_in`: the page to sign in on, which leads back to the form).
pub async fn autosave(State(state): State<AppState>, post: RegistrationPost) -> Response {
    let now = OffsetDateTime::now_utc();
    let post = match post {
        RegistrationPost::SignedIn(post) => post,
        RegistrationPost::SignedOut { form, page } => {
            let (response, kept, sign_in) = park(&state, form, &page, now).await;
            let mut answer = (
                StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({
                    "error": "signed_out",
                    "kept": kept,
                    "sign_in": sign_in,
                })),
            )
                .into_response();
            // The parked form's cookie, when it was kept.
            for cookie in response.headers().get_all(header::SET_COOKIE) {
                answer
                    .headers_mut()
                    .append(header::SET_COOKIE, cookie.clone());
            }
            return answer;
        }
    };
    let mut posted = match PostedForm::read(&post.form.fields) {
        Ok(posted) => posted,
        Err(TooManyRows) => {
            return autosave_refused(StatusCode::PAYLOAD_TOO_LARGE, "too_many_rows");
        }
    };
    // Autosave only saves: a button's action (there is none in what the script sends) is not
    // applied, and no file is read.
    posted.action = None;
    match handle(&state, &post.capability, posted, Vec::new(), now).await {
        Ok(Ok(location)) => {
            let draft_id = location
                .trim_start_matches("/register/")
                .split(['?', '#'])
                .next()
                .unwrap_or_default()
                .to_string();
            (
                StatusCode::OK,
                [(header::CACHE_CONTROL, "no-store")],
                axum::Json(serde_json::json!({
                    "draft_id": draft_id,
                    "saved_at": crate::store::timestamp(now),
                })),
            )
                .into_response()
        }
        Ok(Err(Unsaved::TooManyDrafts)) => {
            autosave_refused(StatusCode::CONFLICT, "too_many_drafts")
        }
        Ok(Err(Unsaved::TooLarge)) => autosave_refused(StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        Err(error) => {
            tracing::error!(error = %error, "the registration form could not be autosaved");
            autosave_refused(StatusCode::INTERNAL_SERVER_ERROR, "not_saved")
        }
    }
}

fn autosave_refused(status: StatusCode, code: &'static str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": code }))).into_response()
}

/// Keeps a registration form posted with no session (`store::parked_forms`: its text fields; its
/// files are not kept) under a fresh token set in this browser's `appreg_parked` cookie, and
/// sends the browser to sign in, coming back to the form. Returns that answer, whether the form
/// was kept, and the sign-in page's address.
async fn park(
    state: &AppState,
    form: FormInput,
    page: &str,
    now: OffsetDateTime,
) -> (Response, bool, String) {
    // Back to the draft the form was on, when it says which.
    let page = form
        .fields
        .iter()
        .find(|(name, _)| name == registration::draft::fields::names::DRAFT_ID)
        .map(|(_, id)| id.trim())
        .filter(|id| {
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(|| page.to_string(), |id| format!("/register/{id}"));
    let had_files = !form.uploads.is_empty();
    let fields: Vec<(String, String)> = form
        .fields
        .into_iter()
        .filter(|(name, _)| {
            name != registration::draft::fields::names::CSRF_TOKEN
                && name != registration::draft::fields::names::ACTION
        })
        .collect();
    let token = crate::identity::sessions::SessionToken::generate();
    let kept = match serde_json::to_string(&fields) {
        Ok(json) => {
            match crate::store::parked_forms::park(&state.pool, &token.id(), &json, had_files, now)
                .await
            {
                Ok(kept) => kept,
                Err(error) => {
                    tracing::error!(error = %format!("{error:#}"), "a signed-out form post could not be kept");
                    false
                }
            }
        }
        Err(_) => false,
    };
    let sign_in = format!(
        "{}&kept={}",
        app::backend::sign_in_path(&page),
        if kept { "1" } else { "0" }
    );
    let mut response = Redirect::to(&sign_in).into_response();
    if kept {
        let cookies = super::session::cookie_policy(state);
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies.set(Cookie::ParkedForm, token.expose()),
        );
    }
    (response, kept, sign_in)
}

/// After `admin` signed in in a browser holding a parked form's cookie (`token`): the form as a
/// draft of their organisation — the draft it was on, when that is theirs, else a new one; its
/// button is not pressed again (it may have been Submit: they check it first) — and the form
/// page to go to. `None` when nothing is kept under the token (taken already, or over a day
/// old), or the form was for another organisation (it is dropped: a shared computer's next
/// user never sees another organisation's form).
pub async fn restore_parked(
    state: &AppState,
    admin: &LocalAdminOf,
    token: &str,
    now: OffsetDateTime,
) -> anyhow::Result<Option<String>> {
    let id = crate::identity::sessions::SessionToken::new(token).id();
    let Some((json, had_files)) = crate::store::parked_forms::take(&state.pool, &id, now).await?
    else {
        return Ok(None);
    };
    let fields: Vec<(String, String)> = serde_json::from_str(&json)?;
    let Ok(mut posted) = PostedForm::read(&fields) else {
        return Ok(None);
    };
    // Only for someone of the organisation the form was for (its hidden ODS code): on a shared
    // computer, another organisation's administrator signing in next never sees it.
    if !posted
        .draft
        .ods_code
        .trim()
        .eq_ignore_ascii_case(admin.ods_code())
    {
        return Ok(None);
    }
    posted.action = None;
    let restored = if had_files { "files" } else { "1" };
    Ok(match handle(state, admin, posted, Vec::new(), now).await? {
        Ok(location) => {
            let (path, _) = location.split_once(['?', '#']).unwrap_or((&location, ""));
            Some(format!("{path}?restored={restored}"))
        }
        // Nothing could be saved (the organisation keeps 50 drafts, or it is too large): the
        // form page as usual; the person still has what they typed in their other tab.
        Err(_) => None,
    })
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
    posted: PostedForm,
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
    let mut change_refused: Option<String> = None;
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
            // A renewal or change that is not one, or that cannot be opened now: the draft is
            // kept and its page says what to do.
            Err(SubmitError::NotAChange(refusal)) => {
                change_refused = Some(match &refusal {
                    ChangeRefusal::NotARenewal { fields } => {
                        format!(
                            "change_refused={}&changed={}",
                            refusal.as_str(),
                            fields.join(",")
                        )
                    }
                    _ => format!("change_refused={}", refusal.as_str()),
                });
            }
            Err(SubmitError::NotLive(_)) => {
                change_refused = Some("change_refused=not_live".to_string());
            }
            Err(SubmitError::ChangeOpen) => {
                change_refused = Some("change_refused=change_in_review".to_string());
            }
            // Every validation slot was busy: the draft is kept, the page asks to try again.
            Err(SubmitError::Busy) => busy = true,
            Err(SubmitError::WrongOrganisation) => {
                anyhow::bail!("a draft's ODS code was not its administrator's organisation")
            }
            Err(SubmitError::NotRejected(_)) => {
                anyhow::bail!("submitting a draft answered as starting one from a rejected request")
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
        purpose: existing.as_ref().and_then(|stored| stored.owner.purpose),
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
            change_refused,
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Notice {
    /// A revision could not be submitted because its request no longer waits for changes.
    not_awaiting_changes: bool,
    /// A renewal or change was refused: the query that says why (`change_refused=code`, and
    /// `changed=` with the fields a renewal may not change).
    change_refused: Option<String>,
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
            fragment = Some(section_id(*list));
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
    if let Some(refused) = notice.change_refused.as_deref() {
        query.push(refused);
        // The page says why at its top.
        fragment = Some("change-refused".to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

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
