//! Reading a page's form post, and the checks every one of them makes before its handler runs:
//! [`FormPost`] is a signed-in account with the capability the route needs, carrying the
//! session's CSRF token, and the form's fields (and certificate files) read within the route's
//! size limit. (The cross-site check comes first, for every request: `web::origin`.)
//!
//! Field values are never logged.

use std::marker::PhantomData;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, OptionalFromRequestParts, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use registration::limits::MAX_CERTIFICATE_BYTES;

use super::AppState;
use super::body::BodyError;
use crate::identity::{
    DeskAdmin, Identity, LocalAdminOf, Reviewer, SignedIn, csrf, require_any_local_admin,
    require_desk_admin, require_reviewer,
};

/// The largest body a registration form post may have (a certificate is at most 64 KiB; the
/// rest is text).
pub const FORM_BODY_LIMIT: usize = super::PAGE_BODY_LIMIT;

/// What a post whose token is not the session's is told (the page was loaded in another session,
/// or another site made it).
pub const EXPIRED: &str = "This form has expired (your session changed since the page was loaded). Go back, reload the page and try again.";

/// The capability a route's form post needs, and what someone without it is told (403).
pub trait PostCapability: Sized {
    /// The 403 answer's words.
    const REFUSAL: &'static str;

    /// The capability, when `identity` has it.
    fn of(identity: &Identity) -> Option<Self>;
}

impl PostCapability for LocalAdminOf {
    const REFUSAL: &'static str = "Only your organisation's Local Administrators can make or change its registration requests. Reviewers decide on them from the review queue.";

    fn of(identity: &Identity) -> Option<Self> {
        require_any_local_admin(identity).ok()
    }
}

/// Any signed-in account (changing its own password).
impl PostCapability for Identity {
    const REFUSAL: &'static str = "Sign in to do this.";

    fn of(identity: &Identity) -> Option<Self> {
        Some(identity.clone())
    }
}

impl PostCapability for Reviewer {
    const REFUSAL: &'static str = "Only a reviewer can do this: decide on registration requests, record them as created in NHSmail, and confirm or decline deletions and recoveries.";

    fn of(identity: &Identity) -> Option<Self> {
        require_reviewer(identity).ok()
    }
}

impl PostCapability for DeskAdmin {
    const REFUSAL: &'static str =
        "Only a desk administrator can add or change accounts. Ask the desk's administrators.";

    fn of(identity: &Identity) -> Option<Self> {
        require_desk_admin(identity).ok()
    }
}

/// How a route's form is read: its size limit, what a person is told past it, and whether it may
/// carry files.
pub trait FormKind {
    /// The most bytes read.
    const LIMIT: usize;
    /// What someone whose post is over [`Self::LIMIT`] is told.
    const TOO_LARGE: &'static str;
    /// Whether `multipart/form-data` (files) is accepted besides URL-encoded fields.
    const FILES: bool;
}

/// The registration form: text and certificate files.
pub struct RegistrationForm;

impl FormKind for RegistrationForm {
    const LIMIT: usize = FORM_BODY_LIMIT;
    const TOO_LARGE: &'static str = TOO_LARGE.1;
    const FILES: bool = true;
}

/// A form that carries only its token and a button (sign out, revise, delete a draft).
pub struct SmallForm;

impl FormKind for SmallForm {
    const LIMIT: usize = 16 * 1024;
    const TOO_LARGE: &'static str = "The form is too large.";
    const FILES: bool = false;
}

/// The reviewer's decision form: a reason of `MAX_REASON_CHARS` characters of up to four UTF-8
/// bytes each, percent-encoded, and a little more.
pub struct DecisionForm;

impl FormKind for DecisionForm {
    const LIMIT: usize = 64 * 1024;
    const TOO_LARGE: &'static str =
        "The decision form is too large. Go back, shorten the reason and try again.";
    const FILES: bool = false;
}

/// The reviewer's "Record the application as created" form: a few IDs, or the JSON Graph
/// answered pasted whole (a few KiB; an application with many redirect URIs more).
pub struct ImplementationPost;

impl FormKind for ImplementationPost {
    const LIMIT: usize = 256 * 1024;
    const TOO_LARGE: &'static str = "The form is too large. Go back and paste only the JSON Graph answered for the application.";
    const FILES: bool = false;
}

/// A page's form post from a signed-in account with capability `C`, carrying the session's CSRF
/// token, read as a form of kind `K`. Without a session the post is answered with a redirect to
/// sign in (coming back to the page the form was on); without the capability, 403 with
/// [`PostCapability::REFUSAL`]; with the wrong token, 403 [`EXPIRED`]. The capability is checked
/// before the body is read: nothing is read for someone who may not post.
pub struct FormPost<C, K = SmallForm> {
    /// What the account may do here.
    pub capability: C,
    /// The account and its session.
    pub signed_in: SignedIn,
    /// The form's fields and files.
    pub form: FormInput,
    kind: PhantomData<K>,
}

impl<C, K> FromRequest<AppState> for FormPost<C, K>
where
    C: PostCapability + Send,
    K: FormKind + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Some(signed_in) = session_of(&mut parts, state).await? else {
            let page = page_of_post(parts.uri.path());
            return Err(Redirect::to(&app::backend::sign_in_path(&page)).into_response());
        };
        FormPost::read(Request::from_parts(parts, body), state, signed_in).await
    }
}

/// The post's live session, if it has one (a failure reading it is answered as the API would).
async fn session_of(
    parts: &mut http::request::Parts,
    state: &AppState,
) -> Result<Option<SignedIn>, Response> {
    <SignedIn as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)
}

/// A registration form post (`POST /register`, `POST /register/autosave`): a [`FormPost`] while
/// its session lasts; when there is none (it ended while the person was typing, or they signed
/// out in another tab), the form as it was posted, for the handler to keep until they sign in
/// again (`web::form`) instead of losing it. The cross-site check has been made (`web::origin`);
/// there is no session to check a CSRF token against, and nothing is done with the fields but
/// keeping them for whoever signs in next in this browser as a Local Administrator.
pub enum RegistrationPost {
    /// Signed in, with the capability and the session's token.
    SignedIn(FormPost<LocalAdminOf, RegistrationForm>),
    /// No session: the form as posted, and the page it came from.
    SignedOut {
        /// The fields and files posted.
        form: FormInput,
        /// The form's page (where signing in leads back to).
        page: String,
    },
}

impl FromRequest<AppState> for RegistrationPost {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let signed_in = session_of(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        match signed_in {
            Some(signed_in) => FormPost::read(request, state, signed_in)
                .await
                .map(RegistrationPost::SignedIn),
            None => {
                let page = page_of_post(request.uri().path());
                let form = read_form(state, request)
                    .await
                    .map_err(IntoResponse::into_response)?;
                Ok(RegistrationPost::SignedOut { form, page })
            }
        }
    }
}

impl<C, K> FormPost<C, K>
where
    C: PostCapability + Send,
    K: FormKind + Send,
{
    /// The post of `signed_in`: refused without the capability (before the body is read) or
    /// with the wrong token.
    async fn read(
        request: Request,
        state: &AppState,
        signed_in: SignedIn,
    ) -> Result<Self, Response> {
        let Some(capability) = C::of(&signed_in.identity) else {
            return Err(plain(StatusCode::FORBIDDEN, C::REFUSAL));
        };
        let form = if K::FILES {
            read_form(state, request)
                .await
                .map_err(IntoResponse::into_response)?
        } else {
            FormInput {
                fields: urlencoded_fields(request, K::LIMIT, K::TOO_LARGE).await?,
                uploads: Vec::new(),
            }
        };
        if !csrf::field_matches(&form.fields, &signed_in.session) {
            return Err(plain(StatusCode::FORBIDDEN, EXPIRED));
        }
        Ok(FormPost {
            capability,
            signed_in,
            form,
            kind: PhantomData,
        })
    }
}

impl<C, K> FormPost<C, K> {
    /// The value of the field `name` (the first, if posted twice).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The page a form post came from, where signing in leads back to: the post's own address for
/// `POST /register` and `POST /accounts`, its parent for the actions posted from a page
/// (`…/revise`, `…/copy`, `…/renewal`, `…/change`, `…/decisions`, `…/implementation`,
/// `…/delete`, and an account's `…/role`, `…/disable`, `…/enable`, `…/password-reset`).
fn page_of_post(path: &str) -> String {
    if path == "/register/autosave" {
        return "/register".to_string();
    }
    match path.rsplit_once('/') {
        Some((
            page,
            "revise" | "copy" | "renewal" | "change" | "decisions" | "implementation" | "delete"
            | "role" | "disable" | "enable" | "password-reset",
        )) if !page.is_empty() => page.to_string(),
        _ => path.to_string(),
    }
}

/// The fields of a URL-encoded form post of at most `limit` bytes; otherwise a plain-text 415 or
/// 413 (`too_large` says what to do).
pub async fn urlencoded_fields(
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
pub struct FormInput {
    /// Text fields in the order posted.
    pub fields: Vec<(String, String)>,
    /// Non-empty file parts named `certificate`.
    pub uploads: Vec<Upload>,
}

/// A certificate file part of a post.
pub enum Upload {
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
pub fn plain(status: StatusCode, message: &'static str) -> Response {
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

/// Reads a multipart or URL-encoded form of at most [`FORM_BODY_LIMIT`] bytes.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_in_leads_back_to_the_page_the_form_was_on() {
        assert_eq!(page_of_post("/register"), "/register");
        assert_eq!(
            page_of_post("/requests/AR-AAAA-AAAA/revise"),
            "/requests/AR-AAAA-AAAA"
        );
        assert_eq!(
            page_of_post("/review/AR-AAAA-AAAA/decisions"),
            "/review/AR-AAAA-AAAA"
        );
        assert_eq!(page_of_post("/register/abc/delete"), "/register/abc");
        assert_eq!(
            page_of_post("/review/AR-AAAA-AAAA/implementation"),
            "/review/AR-AAAA-AAAA"
        );
        assert_eq!(page_of_post("/accounts"), "/accounts");
        assert_eq!(page_of_post("/accounts/ab12/disable"), "/accounts/ab12");
        assert_eq!(
            page_of_post("/accounts/ab12/password-reset"),
            "/accounts/ab12"
        );
    }
}
