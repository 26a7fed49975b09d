//! Never losing what was typed (issue 18, part 2; docs/form.md "Autosave and signing out"), in
//! the browser:
//!
//! - **Autosave**: a few seconds after the person stops typing, the form's fields (as the page
//!   would post them, without files or a button) go to `POST /register/autosave`, which saves
//!   the draft as "Save draft" does; the draft's id comes back into the form's hidden field, and
//!   a line under the buttons says when it was saved.
//! - **"You will be signed out soon"**: the session ends after the server's idle timeout without a
//!   round trip. Five minutes before, a dialog says so, with "Stay signed in" (asks the server,
//!   which renews the session) and "Sign out"; at the timeout it says the person was signed out
//!   and links to sign in again, back to the draft.
//! - A save that finds the session ended is kept by the server for this browser (the same as a
//!   post without JavaScript: `web::form::park`), and signing in again restores it.
//!
//! Without JavaScript none of this runs: every button posts and saves the draft, and a post after
//! the session ended is kept all the same.

use leptos::prelude::*;

/// How long after the last edit the form is saved.
#[cfg_attr(
    not(feature = "hydrate"),
    expect(dead_code, reason = "only the browser saves as the person types")
)]
const AUTOSAVE_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// How long before the session's end the warning shows.
const WARN_BEFORE_SECONDS: i64 = 5 * 60;

/// How often the page compares the time since its last round trip with the session's timeout.
#[cfg_attr(
    not(feature = "hydrate"),
    expect(dead_code, reason = "only the browser keeps time")
)]
const CLOCK_TICK: std::time::Duration = std::time::Duration::from_secs(5);

/// Where the last save stands, as the line under the buttons says it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    not(feature = "hydrate"),
    expect(dead_code, reason = "only the browser saves")
)]
pub(super) enum SaveStatus {
    /// Nothing saved by this page yet.
    Idle,
    /// Sending.
    Saving,
    /// Saved at this local time ("14:32").
    Saved(String),
    /// The session had ended: what was sent is kept for the next sign-in (`kept`), and where to
    /// sign in.
    SignedOut { kept: bool, sign_in: String },
    /// Not saved: what to do.
    Failed(&'static str),
}

/// What the session dialog shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SessionWarning {
    /// Nothing: the session has time left.
    None,
    /// It ends within [`WARN_BEFORE_SECONDS`].
    EndsSoon,
    /// It has ended.
    Ended,
}

/// The form's autosave and session clock, shared by its parts.
#[derive(Clone, Copy)]
pub(super) struct Autosave {
    /// The stored draft's id ("" until the first save of a new form).
    pub draft_id: RwSignal<String>,
    pub status: RwSignal<SaveStatus>,
    pub warning: RwSignal<SessionWarning>,
    /// When the server last heard from this page (milliseconds since the epoch, the browser's
    /// clock): the page's load, a save, "Stay signed in".
    last_round_trip: StoredValue<f64>,
    /// The session's idle timeout, seconds.
    idle_seconds: i64,
    /// A save is being sent.
    #[cfg_attr(not(feature = "hydrate"), expect(dead_code, reason = "browser only"))]
    in_flight: StoredValue<bool>,
    /// An edit arrived while a save was being sent: save again after it.
    #[cfg_attr(not(feature = "hydrate"), expect(dead_code, reason = "browser only"))]
    again: StoredValue<bool>,
    /// The save waiting for the person to stop typing.
    #[cfg_attr(not(feature = "hydrate"), expect(dead_code, reason = "browser only"))]
    timer: StoredValue<Option<TimeoutHandle>>,
    /// The form is being posted (a button was pressed): no more autosaves from this page, so
    /// none races the post into a second draft.
    leaving: StoredValue<bool>,
}

impl Autosave {
    pub(super) fn new(draft_id: Option<String>, idle_seconds: i64) -> Autosave {
        Autosave {
            draft_id: RwSignal::new(draft_id.unwrap_or_default()),
            status: RwSignal::new(SaveStatus::Idle),
            warning: RwSignal::new(SessionWarning::None),
            last_round_trip: StoredValue::new(now_ms()),
            idle_seconds,
            in_flight: StoredValue::new(false),
            again: StoredValue::new(false),
            timer: StoredValue::new(None),
            leaving: StoredValue::new(false),
        }
    }

    /// Where signing in again leads back to: the draft, once there is one.
    fn sign_in_path(&self) -> String {
        let draft_id = self.draft_id.get_untracked();
        let page = if draft_id.is_empty() {
            "/register".to_string()
        } else {
            format!("/register/{draft_id}")
        };
        crate::backend::sign_in_path(&page)
    }

    /// Where "Sign in again" goes: as the server said when a save found the session ended (it
    /// says whether what was typed is kept), else back to the draft.
    pub(super) fn sign_in_href(&self) -> String {
        match self.status.get_untracked() {
            SaveStatus::SignedOut { sign_in, .. } => sign_in,
            _ => self.sign_in_path(),
        }
    }

    /// The local time at which the session ends if nothing happens ("14:32").
    pub(super) fn ends_at(&self) -> String {
        clock_text(self.last_round_trip.get_value() + (self.idle_seconds * 1000) as f64)
    }

    /// Starts saving after edits (`edited` changes on each) and keeping the session's time.
    #[cfg_attr(
        not(feature = "hydrate"),
        expect(unused_variables, reason = "only the browser saves and keeps time")
    )]
    pub(super) fn start(self, edited: impl Fn() + 'static) {
        #[cfg(feature = "hydrate")]
        {
            Effect::new(move |first: Option<()>| {
                edited();
                if first.is_none() || self.leaving.get_value() {
                    return;
                }
                if let Some(handle) = self.timer.get_value() {
                    handle.clear();
                }
                let handle = set_timeout_with_handle(move || self.save(), AUTOSAVE_AFTER).ok();
                self.timer.set_value(handle);
            });
            if let Ok(handle) = set_interval_with_handle(move || self.tick(), CLOCK_TICK) {
                on_cleanup(move || handle.clear());
            }
        }
    }

    /// The form is being posted: the post saves it; no autosave follows.
    pub(super) fn leave(self) {
        self.leaving.set_value(true);
        #[cfg(feature = "hydrate")]
        if let Some(handle) = self.timer.get_value() {
            handle.clear();
        }
    }

    /// Compares the time since the last round trip with the session's timeout.
    #[cfg_attr(not(feature = "hydrate"), expect(dead_code, reason = "browser only"))]
    fn tick(self) {
        let idle = (now_ms() - self.last_round_trip.get_value()) / 1000.0;
        let warning = if idle >= self.idle_seconds as f64 {
            SessionWarning::Ended
        } else if idle >= (self.idle_seconds - WARN_BEFORE_SECONDS) as f64 {
            SessionWarning::EndsSoon
        } else {
            SessionWarning::None
        };
        if self.warning.get_untracked() != warning {
            self.warning.set(warning);
        }
    }

    /// The server heard from this page now.
    #[cfg_attr(not(feature = "hydrate"), expect(dead_code, reason = "browser only"))]
    fn round_trip(self) {
        self.last_round_trip.set_value(now_ms());
        self.warning.set(SessionWarning::None);
    }

    /// Sends the form now (or after the save being sent, if one is).
    #[cfg_attr(not(feature = "hydrate"), expect(dead_code, reason = "browser only"))]
    fn save(self) {
        #[cfg(feature = "hydrate")]
        {
            if self.leaving.get_value() {
                return;
            }
            if self.in_flight.get_value() {
                self.again.set_value(true);
                return;
            }
            self.in_flight.set_value(true);
            self.status.set(SaveStatus::Saving);
            leptos::task::spawn_local(async move {
                let answer = browser::send_form().await;
                self.in_flight.set_value(false);
                match answer {
                    Ok(browser::Answer::Saved { draft_id }) => {
                        self.round_trip();
                        self.draft_id.set(draft_id);
                        self.status.set(SaveStatus::Saved(clock_text(now_ms())));
                    }
                    Ok(browser::Answer::SignedOut { kept, sign_in }) => {
                        self.warning.set(SessionWarning::Ended);
                        self.status.set(SaveStatus::SignedOut { kept, sign_in });
                        return;
                    }
                    Ok(browser::Answer::Refused(status)) => {
                        self.status.set(SaveStatus::Failed(refusal_text(status)));
                    }
                    Err(()) => self.status.set(SaveStatus::Failed(
                        "Your answers could not be saved just now (no connection?). They are still in the form: use Save draft, or keep typing and they will be saved again.",
                    )),
                }
                if self.again.get_value() {
                    self.again.set_value(false);
                    self.save();
                }
            });
        }
    }

    /// "Stay signed in": asks the server, which renews the session.
    pub(super) fn stay_signed_in(self) {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match browser::still_signed_in().await {
                Ok(true) => self.round_trip(),
                Ok(false) => self.warning.set(SessionWarning::Ended),
                Err(()) => {}
            }
        });
    }
}

/// What an autosave refused with a status says.
#[cfg_attr(not(feature = "hydrate"), expect(dead_code, reason = "browser only"))]
fn refusal_text(status: u16) -> &'static str {
    match status {
        409 => {
            "Not saved: your organisation already has 50 draft requests. Delete drafts you no longer need in Your requests, then use Save draft."
        }
        413 => {
            "Not saved: the form is larger than a draft can hold. Shorten the longest answers or remove rows you do not need."
        }
        403 => {
            "Not saved: this page is out of date (you signed in again in another tab). Use Save draft to save it, or reload the page."
        }
        _ => {
            "Your answers could not be saved just now. They are still in the form: use Save draft."
        }
    }
}

/// Now, in milliseconds since the epoch (the browser's clock; 0 on the server, where no time
/// is kept).
fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

/// A local time of day ("14:32") for milliseconds since the epoch.
fn clock_text(ms: f64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&ms.into());
        format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ms;
        String::new()
    }
}

/// The line under the form's buttons: when the draft was last saved by itself.
#[component]
pub(super) fn AutosaveStatus() -> impl IntoView {
    let autosave = expect_context::<Autosave>();
    view! {
        <p class="nhsuk-body-s appreg-autosave" id="autosave-status" role="status">
            {move || match autosave.status.get() {
                SaveStatus::Idle => String::new(),
                SaveStatus::Saving => "Saving your draft…".to_string(),
                SaveStatus::Saved(at) => format!("Draft saved at {at}"),
                SaveStatus::SignedOut { kept: true, .. } => "You were signed out. What you typed is kept in this browser: sign in again to carry on.".to_string(),
                SaveStatus::SignedOut { kept: false, .. } => "You were signed out, and the last changes could not be kept. Sign in again to carry on.".to_string(),
                SaveStatus::Failed(text) => text.to_string(),
            }}
        </p>
    }
}

/// The NHS.UK-style session dialog: "You will be signed out soon" with "Stay signed in" and
/// "Sign out"; then "You have been signed out" with "Sign in again".
#[component]
pub(super) fn SessionDialog(csrf_token: String) -> impl IntoView {
    let autosave = expect_context::<Autosave>();
    let dialog = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if autosave.warning.get() != SessionWarning::None
            && let Some(element) = dialog.get()
        {
            let _ = element.focus();
        }
    });
    move || {
        let csrf_token = csrf_token.clone();
        let (heading, text, actions) = match autosave.warning.get() {
            SessionWarning::None => return None,
            SessionWarning::EndsSoon => (
                "You will be signed out soon",
                format!(
                    "For your security, you will be signed out at {} if you do nothing. Your answers so far are saved in your draft.",
                    autosave.ends_at()
                ),
                view! {
                    <button class="nhsuk-button" type="button" id="stay-signed-in" on:click=move |_| autosave.stay_signed_in()>"Stay signed in"</button>
                    " "
                    <form method="post" action="/sign-out" class="appreg-inline-form">
                        <input type="hidden" name="csrf_token" value=csrf_token />
                        <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Sign out"</button>
                    </form>
                }
                .into_any(),
            ),
            SessionWarning::Ended => (
                "You have been signed out",
                "You were signed out because you did nothing for a while. Your answers are saved in your draft (anything typed since is kept in this browser): sign in again to carry on.".to_string(),
                view! {
                    <a class="nhsuk-button" id="sign-in-again" href=autosave.sign_in_href()>"Sign in again"</a>
                }
                .into_any(),
            ),
        };
        Some(view! {
            <div class="appreg-dialog-backdrop">
                <div class="appreg-dialog" role="alertdialog" aria-modal="true" aria-labelledby="session-dialog-heading"
                    aria-describedby="session-dialog-text" tabindex="-1" id="session-dialog" node_ref=dialog>
                    <h2 id="session-dialog-heading">{heading}</h2>
                    <p id="session-dialog-text">{text}</p>
                    <div class="appreg-button-row">{actions}</div>
                </div>
            </div>
        })
    }
}

/// The browser's side of the round trips.
#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen_futures::JsFuture;
    use web_sys::wasm_bindgen::{JsCast, JsValue};

    /// What `POST /register/autosave` answered.
    pub(super) enum Answer {
        Saved { draft_id: String },
        SignedOut { kept: bool, sign_in: String },
        Refused(u16),
    }

    /// Sends the registration form's fields (not its files) to `POST /register/autosave`.
    pub(super) async fn send_form() -> Result<Answer, ()> {
        let window = web_sys::window().ok_or(())?;
        let form: web_sys::HtmlFormElement = window
            .document()
            .and_then(|document| document.get_element_by_id("registration-form"))
            .and_then(|element| element.dyn_into().ok())
            .ok_or(())?;
        let data = web_sys::FormData::new_with_form(&form).map_err(|_| ())?;
        data.delete(registration::draft::fields::names::CERTIFICATE);
        let fields =
            web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).map_err(|_| ())?;
        let headers = web_sys::Headers::new().map_err(|_| ())?;
        headers
            .set("Content-Type", "application/x-www-form-urlencoded")
            .map_err(|_| ())?;
        headers.set("Accept", "application/json").map_err(|_| ())?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&JsValue::from(String::from(fields.to_string())));
        let response = fetch("/register/autosave", &init).await?;
        let status = response.status();
        let body = match response.json() {
            Ok(json) => JsFuture::from(json).await.unwrap_or(JsValue::NULL),
            Err(_) => JsValue::NULL,
        };
        let text = |name: &str| {
            js_sys::Reflect::get(&body, &JsValue::from_str(name))
                .ok()
                .and_then(|value| value.as_string())
        };
        Ok(match status {
            200 => Answer::Saved {
                draft_id: text("draft_id").ok_or(())?,
            },
            401 => Answer::SignedOut {
                kept: js_sys::Reflect::get(&body, &JsValue::from_str("kept"))
                    .ok()
                    .and_then(|value| value.as_bool())
                    .unwrap_or(false),
                sign_in: text("sign_in").unwrap_or_else(|| "/sign-in".to_string()),
            },
            other => Answer::Refused(other),
        })
    }

    /// Asks `GET /api/v1/session` (which renews a live session): whether it still is.
    pub(super) async fn still_signed_in() -> Result<bool, ()> {
        let init = web_sys::RequestInit::new();
        init.set_method("GET");
        Ok(fetch("/api/v1/session", &init).await?.ok())
    }

    /// `init` sent to `url` on this site, with the session's cookie.
    async fn fetch(url: &str, init: &web_sys::RequestInit) -> Result<web_sys::Response, ()> {
        let window = web_sys::window().ok_or(())?;
        init.set_credentials(web_sys::RequestCredentials::SameOrigin);
        JsFuture::from(window.fetch_with_str_and_init(url, init))
            .await
            .map_err(|_| ())?
            .dyn_into()
            .map_err(|_| ())
    }
}
