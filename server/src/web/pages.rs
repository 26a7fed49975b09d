//! The server's side of the pages: what `app`'s server functions ask for.

use std::sync::Arc;

use app::backend::applications::{
    ApplicationRow, ApplicationsPage, ApplicationsQuery, ExpiringPage, ExpiringRow,
};
use app::backend::{
    Access, ApplicationLife, Backend, BackendHandle, BoxFuture, DecisionRow, DraftRow, FormPage,
    HandedBack, OrganisationLabel, PageError, PageFuture, QueuePage, QueueQuery, RequestPage,
    RequestRow, RequestsPage, ReviewDetail, Revision, StepForm, StepRow, SubmissionPage,
    VersionRow, Viewer,
};
use registration::directory::OrganisationDirectory;
use registration::rules::certificate;
use registration::{RegistrationDraft, validate_draft};
use time::OffsetDateTime;

use super::AppState;
use super::cookies::Cookie;
use super::session;
use crate::applications::SecretError;
use crate::identity::{
    Role, SignedIn, require_any_local_admin, require_desk_admin, require_local_admin,
    require_reviewer,
};
use crate::identity::{csrf, sessions};
use crate::registrations;
use crate::review;
use crate::store::drafts;

/// Answers the pages from the database and the directory.
pub struct PagesBackend {
    state: AppState,
}

impl PagesBackend {
    /// The handle the pages find in context.
    pub fn handle(state: AppState) -> BackendHandle {
        BackendHandle(Arc::new(PagesBackend { state }))
    }
}

/// The signed-in account of the request being rendered or the server function being called
/// (leptos_axum puts the request's parts in context), or `None`.
pub async fn signed_in_from_context(state: &AppState) -> anyhow::Result<Option<SignedIn>> {
    let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() else {
        return Ok(None);
    };
    let Some(token) = session::token_from_headers(&parts.headers, session::cookie_policy(state))
    else {
        return Ok(None);
    };
    Ok(sessions::resume(&state.pool, &token, OffsetDateTime::now_utc()).await?)
}

/// Logs the detail and tells the page only that something went wrong.
pub(crate) fn internal(error: impl Into<anyhow::Error>) -> PageError {
    let error = error.into();
    tracing::error!(error = %format!("{error:#}"), "a page could not be answered");
    PageError::Service
}

impl Backend for PagesBackend {
    fn viewer(&self) -> BoxFuture<'_, Result<Option<Viewer>, PageError>> {
        Box::pin(async move {
            let signed_in = signed_in_from_context(&self.state)
                .await
                .map_err(internal)?;
            Ok(signed_in.map(|signed_in| Viewer {
                email: signed_in.identity.email.clone(),
                role: signed_in.identity.role,
                ods_code: signed_in.identity.ods_code.clone(),
                csrf_token: signed_in.session.csrf_token_for_page(),
                local_passwords: self.state.sign_in.local,
            }))
        })
    }

    fn sign_in_form(&self) -> BoxFuture<'_, Result<app::backend::SignInForm, PageError>> {
        Box::pin(async move {
            let cookies = session::cookie_policy(&self.state);
            let present = leptos::prelude::use_context::<http::request::Parts>()
                .and_then(|parts| cookies.read(&parts.headers, Cookie::SignInForm))
                .filter(|token| csrf::is_token_shaped(token));
            // The page carries the cookie's token masked (identity::csrf: pages are compressed).
            let token = match present {
                Some(token) => token,
                None => {
                    let token = csrf::new_token();
                    if let Some(response) =
                        leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
                    {
                        response.append_header(
                            http::header::SET_COOKIE,
                            cookies.set(Cookie::SignInForm, &token),
                        );
                    }
                    token
                }
            };
            Ok(app::backend::SignInForm {
                csrf_token: csrf::masked(&token),
                nhsmail: self.state.sign_in.nhsmail.is_some(),
                local: self.state.sign_in.local,
                idle_minutes: sessions::IDLE_TIMEOUT.whole_minutes(),
            })
        })
    }

    fn account_page(&self) -> PageFuture<'_, app::backend::AccountPage> {
        Box::pin(async move {
            let Some(signed_in) = signed_in_from_context(&self.state)
                .await
                .map_err(internal)?
            else {
                return Ok(Access::SignIn);
            };
            Ok(Access::Page(app::backend::AccountPage {
                email: signed_in.identity.email.clone(),
                csrf_token: signed_in.session.csrf_token_for_page(),
                min_length: crate::identity::passwords::MIN_LENGTH,
            }))
        })
    }

    fn password_reset(
        &self,
        token: String,
    ) -> BoxFuture<'_, Result<Option<app::backend::PasswordReset>, PageError>> {
        Box::pin(async move {
            let email = crate::identity::accounts::password_reset_for(
                &self.state.pool,
                &token,
                OffsetDateTime::now_utc(),
            )
            .await
            .map_err(internal)?;
            Ok(email.map(|email| app::backend::PasswordReset {
                email,
                min_length: crate::identity::passwords::MIN_LENGTH,
            }))
        })
    }

    // Local Administrator pages

    fn form_page(&self, draft_id: Option<String>, checked: bool) -> PageFuture<'_, FormPage> {
        Box::pin(async move {
            let (signed_in, admin) = match self.local_admin().await? {
                Ok(found) => found,
                Err(refusal) => return Ok(refusal),
            };
            let identity = &signed_in.identity;
            let pool = &self.state.pool;
            let now = OffsetDateTime::now_utc();
            let (draft_id, mut draft, show_findings, (reference, purpose)) = match draft_id {
                None => (None, RegistrationDraft::new_form(), false, (None, None)),
                Some(id) => match drafts::load_for(pool, &admin, &id)
                    .await
                    .map_err(internal)?
                {
                    None => return Ok(Access::NotFound),
                    // Once checked, a draft keeps showing its findings on every later round trip.
                    Some(stored) => (
                        Some(stored.id),
                        stored.draft,
                        checked || stored.checked,
                        (stored.owner.reference, stored.owner.purpose),
                    ),
                },
            };
            // The form posts for the administrator's organisation whatever the draft says.
            draft.ods_code = admin.clone();
            let revision = match reference {
                Some(reference) => registrations::find(pool, identity, &reference)
                    .await
                    .map_err(internal)?
                    .map(|latest| Revision {
                        reference: latest.reference,
                        next_version: latest.version + 1,
                        purpose: purpose.or(latest
                            .purpose
                            .filter(|_| latest.status == registrations::Status::ChangesRequested)),
                    }),
                None => None,
            };
            // Validation is CPU work: on the blocking pool (`crate::validation`). The kept
            // certificates' details are made there too, so that rendering never validates.
            // When every slot is busy, the page still shows everything typed, without findings
            // or certificate details (the busy notice, if any, comes from the form's redirect).
            let (report, certificates) = if show_findings || !draft.certificates.is_empty() {
                let directory = Arc::clone(&self.state.directory);
                let draft = draft.clone();
                crate::validation::on_pool(&self.state.limits, move || {
                    let report =
                        show_findings.then(|| validate_draft(&draft, directory.rules(), now));
                    let certificates = match &report {
                        Some(report) => report.certificates.clone(),
                        None => certificate::check(&draft.certificates, now, &mut Vec::new()),
                    };
                    (report, certificates)
                })
                .await
                .unwrap_or_default()
            } else {
                (None, Vec::new())
            };
            Ok(Access::Page(FormPage {
                catalogue: app::pages::register::catalogue_shown(&draft),
                draft_id,
                draft,
                report,
                certificates,
                now: now.unix_timestamp(),
                organisation: self.organisation(&admin),
                revision,
                csrf_token: signed_in.session.csrf_token_for_page(),
                tenant_id: self.state.directory.tenant_id().to_string(),
                directory: self.state.directory.slice_for(&admin),
                session_idle_seconds: sessions::IDLE_TIMEOUT.whole_seconds(),
            }))
        })
    }

    fn submission(&self, reference: String) -> PageFuture<'_, SubmissionPage> {
        Box::pin(async move {
            let signed_in = match self.reader_of_requests().await? {
                Ok(signed_in) => signed_in,
                Err(refusal) => return Ok(refusal),
            };
            let stored = registrations::find(&self.state.pool, &signed_in.identity, &reference)
                .await
                .map_err(internal)?;
            Ok(match stored {
                None => Access::NotFound,
                Some(stored) => Access::Page(SubmissionPage {
                    reference: stored.reference,
                    version: stored.version,
                    status: stored.status,
                    ods_code: stored.ods_code,
                    organisation_name: stored.organisation_name,
                    application_name: stored.application_name,
                    submitted_at: stored.submitted_at,
                    report: stored.report,
                }),
            })
        })
    }

    fn requests_page(&self, page: u32) -> PageFuture<'_, RequestsPage> {
        Box::pin(async move {
            let (signed_in, ods_code) = match self.local_admin().await? {
                Ok(found) => found,
                // A reviewer's list of requests is the review queue.
                Err(Access::OnlyFor(Role::LocalAdmin)) => {
                    return Ok(Access::Redirect("/review".to_string()));
                }
                Err(refusal) => return Ok(refusal),
            };
            let pool = &self.state.pool;
            let listed = registrations::list(
                pool,
                &signed_in.identity,
                &registrations::Filter::default(),
                page.max(1),
            )
            .await
            .map_err(internal)?;
            let drafts = drafts::list_for(pool, &ods_code).await.map_err(internal)?;
            Ok(Access::Page(RequestsPage {
                organisation: self.organisation(&ods_code),
                requests: listed
                    .items
                    .into_iter()
                    .map(|summary| RequestRow {
                        reference: summary.reference,
                        version: summary.version,
                        status: summary.status,
                        application_name: summary.application_name,
                        submitted_at: summary.submitted_at,
                    })
                    .collect(),
                page: listed.page,
                per_page: listed.per_page,
                total: listed.total,
                drafts: drafts
                    .into_iter()
                    .map(|draft| DraftRow {
                        id: draft.id,
                        application_name: draft.application_name,
                        reference: draft.reference,
                        updated_at: draft.updated_at,
                    })
                    .collect(),
                csrf_token: signed_in.session.csrf_token_for_page(),
            }))
        })
    }

    // Reviewers' pages (web::review_pages)

    fn review_queue(&self, query: QueueQuery) -> PageFuture<'_, QueuePage> {
        Box::pin(super::review_pages::queue(&self.state, query))
    }

    fn latest_version(&self, reference: String) -> BoxFuture<'_, Result<Option<i64>, PageError>> {
        Box::pin(super::review_pages::latest_version(&self.state, reference))
    }

    fn review_detail(&self, reference: String, since: Option<i64>) -> PageFuture<'_, ReviewDetail> {
        Box::pin(super::review_pages::detail(&self.state, reference, since))
    }

    // Registered applications (both roles)

    fn applications_page(&self, query: ApplicationsQuery) -> PageFuture<'_, ApplicationsPage> {
        Box::pin(async move {
            let signed_in = match self.reader_of_requests().await? {
                Ok(signed_in) => signed_in,
                Err(refusal) => return Ok(refusal),
            };
            let identity = &signed_in.identity;
            let now = OffsetDateTime::now_utc();
            let listed = crate::inventory::registered_page(
                &self.state.pool,
                identity,
                query.ods_code().as_deref(),
                Some(query.page()),
            )
            .await
            .map_err(internal)?;
            Ok(Access::Page(ApplicationsPage {
                every_organisation: require_reviewer(identity).is_ok(),
                page: listed.page,
                per_page: listed.per_page,
                total: listed.total,
                applications: listed
                    .items
                    .into_iter()
                    .map(|application| ApplicationRow {
                        organisation: OrganisationLabel {
                            ods_code: application.ods_code,
                            name: application.organisation_name,
                        }
                        .text(),
                        credentials: application
                            .credentials
                            .into_iter()
                            .map(|credential| {
                                let days_left = credential.days_left(now);
                                (credential.into(), days_left)
                            })
                            .collect(),
                        reference: application.reference,
                        application_name: application.application_name,
                        status: application.status,
                        application_id: application.application_id,
                    })
                    .collect(),
            }))
        })
    }

    fn expiring_page(&self, within_days: u32) -> PageFuture<'_, ExpiringPage> {
        Box::pin(async move {
            let signed_in = match self.reader_of_requests().await? {
                Ok(signed_in) => signed_in,
                Err(refusal) => return Ok(refusal),
            };
            let applications = crate::inventory::registered(&self.state.pool, &signed_in.identity)
                .await
                .map_err(internal)?;
            let rows = crate::inventory::expiring(
                &applications,
                OffsetDateTime::now_utc(),
                i64::from(within_days),
            );
            Ok(Access::Page(ExpiringPage {
                within_days,
                rows: rows
                    .into_iter()
                    .map(|row| ExpiringRow {
                        organisation: OrganisationLabel {
                            ods_code: row.ods_code,
                            name: row.organisation_name,
                        }
                        .text(),
                        credential: app::backend::CredentialRow {
                            kind: row.kind.to_string(),
                            id: row.id,
                            expires_at: row.expires_at,
                            replaced: false,
                        },
                        days_left: row.days_left,
                        reference: row.reference,
                        application_name: row.application_name,
                    })
                    .collect(),
            }))
        })
    }

    fn request_page(&self, reference: String, version: Option<i64>) -> PageFuture<'_, RequestPage> {
        Box::pin(async move {
            let signed_in = match self.reader_of_requests().await? {
                Ok(signed_in) => signed_in,
                Err(refusal) => return Ok(refusal),
            };
            let identity = &signed_in.identity;
            let pool = &self.state.pool;
            let versions = registrations::find_versions(pool, identity, &reference)
                .await
                .map_err(internal)?;
            let Some(latest) = versions.last() else {
                return Ok(Access::NotFound);
            };
            let shown = match version {
                None => latest,
                Some(n) => match versions.iter().find(|stored| stored.version == n) {
                    Some(stored) => stored,
                    None => return Ok(Access::NotFound),
                },
            };
            let decisions = review::decisions(pool, identity, &reference)
                .await
                .map_err(internal)?;
            let is_owner = require_local_admin(identity, &latest.ods_code).is_ok();
            let revision_draft = if is_owner {
                registrations::revision_draft(pool, &latest.ods_code, &latest.reference)
                    .await
                    .map_err(internal)?
            } else {
                None
            };
            let live = crate::applications::live_facts(pool, latest)
                .await
                .map_err(internal)?;
            // Who withdrew the latest version, when and why.
            let withdrawal = if latest.status == registrations::Status::Withdrawn {
                crate::store::application_steps::list(pool, &reference)
                    .await
                    .map_err(internal)?
                    .into_iter()
                    .rev()
                    .find(|step| {
                        step.step == registration::lifecycle::Step::WithdrawRequest
                            && step.version == latest.version
                    })
                    .map(|step| StepRow {
                        n: step.n,
                        step: step.step,
                        reason: step.reason,
                        actor_email: step.actor_email,
                        taken_at: step.taken_at,
                    })
            } else {
                None
            };
            // The client secret, for the organisation's Local Administrators only (reviewers
            // are refused by the same function as the API's `GET …/secret`).
            let has_secret = live.as_ref().is_some_and(|live| {
                live.credentials
                    .iter()
                    .any(|credential| credential.kind == "secret")
            });
            let secret = if has_secret && is_owner {
                match crate::applications::secret(
                    pool,
                    &self.state.applications,
                    identity,
                    &reference,
                    OffsetDateTime::now_utc(),
                )
                .await
                {
                    Ok(secret) => Some(HandedBack::Shown {
                        value: secret.value,
                        secret_id: secret.secret_id,
                        expires_at: secret.expires_at,
                        visible_until: secret.visible_until,
                    }),
                    Err(SecretError::Gone { visible_until }) => {
                        Some(HandedBack::Destroyed { visible_until })
                    }
                    Err(SecretError::NotFound | SecretError::Forbidden) => None,
                    Err(SecretError::Store(error)) => return Err(internal(error)),
                }
            } else {
                None
            };
            // A live application's page is never kept by the browser or a proxy: within the 72
            // hours it holds the client secret (and the page served from the browser's history
            // after them must not either).
            if live.is_some()
                && let Some(response) =
                    leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
            {
                response.insert_header(
                    http::header::CACHE_CONTROL,
                    http::HeaderValue::from_static("no-store"),
                );
            }
            // The application's own status (its live version's) and whether a renewal or change
            // of it is open (a later version, not rejected).
            let application_status = live.as_ref().map(|live| live.status);
            let change_open = live
                .as_ref()
                .is_some_and(|live| registrations::is_change_open(live.version, latest));
            let row = |stored: &registrations::StoredRegistration| VersionRow {
                version: stored.version,
                status: stored.status,
                submitted_at: stored.submitted_at.clone(),
                submitted_by: stored.submitted_by_email.clone(),
            };
            Ok(Access::Page(RequestPage {
                reference: latest.reference.clone(),
                status: latest.status,
                latest_version: latest.version,
                version: row(shown),
                organisation: OrganisationLabel {
                    ods_code: shown.ods_code.clone(),
                    name: shown.organisation_name.clone(),
                },
                request: shown.request.clone(),
                report: shown.report.clone(),
                versions: versions.iter().map(row).collect(),
                decisions: decisions
                    .into_iter()
                    .map(|decision| DecisionRow {
                        version: decision.version,
                        decision: decision.decision,
                        reason: decision.reason,
                        reviewer_email: decision.reviewer_email,
                        decided_at: decision.decided_at,
                    })
                    .collect(),
                copy_csrf_token: (is_owner
                    && latest.status.is_ended_unapproved()
                    && live.is_none())
                .then(|| signed_in.session.csrf_token_for_page()),
                withdraw_csrf_token: (is_owner && latest.status.is_withdrawable())
                    .then(|| signed_in.session.csrf_token_for_page()),
                withdrawal,
                revise_csrf_token: (is_owner
                    && latest.status == registrations::Status::ChangesRequested)
                    .then(|| signed_in.session.csrf_token_for_page()),
                revision_draft,
                change_csrf_token: (is_owner
                    && application_status == Some(registrations::Status::Live)
                    && !change_open)
                    .then(|| signed_in.session.csrf_token_for_page()),
                purpose: latest.purpose,
                life: match application_status {
                    Some(application_status) => {
                        let history =
                            crate::deletion::history(pool, &reference, application_status)
                                .await
                                .map_err(internal)?;
                        let csrf_token = signed_in.session.csrf_token_for_page();
                        let recoverable =
                            history.recoverable_until.as_deref().is_some_and(|until| {
                                crate::store::timestamp(OffsetDateTime::now_utc()).as_str() < until
                            });
                        let form = match application_status {
                            // A deletion waits until an open renewal or change is decided.
                            registrations::Status::Live if is_owner && !change_open => {
                                Some(StepForm::RequestDeletion { csrf_token })
                            }
                            registrations::Status::Deleted if is_owner && recoverable => {
                                Some(StepForm::RequestRecovery { csrf_token })
                            }
                            registrations::Status::DeletionRequested if is_owner => {
                                Some(StepForm::Withdraw {
                                    csrf_token,
                                    step: registration::lifecycle::Step::WithdrawDeletion,
                                })
                            }
                            registrations::Status::RecoveryRequested if is_owner => {
                                Some(StepForm::Withdraw {
                                    csrf_token,
                                    step: registration::lifecycle::Step::WithdrawRecovery,
                                })
                            }
                            _ => None,
                        };
                        Some(application_life(history, form))
                    }
                    None => None,
                },
                live: live.map(crate::applications::LiveFacts::into_page),
                secret,
            }))
        })
    }

    // Desk administrators' pages (web::accounts_pages)

    fn accounts_page(&self) -> PageFuture<'_, app::backend::accounts::AccountsPage> {
        Box::pin(super::accounts_pages::list(&self.state))
    }

    fn account_detail(&self, id: String) -> PageFuture<'_, app::backend::accounts::AccountDetail> {
        Box::pin(super::accounts_pages::detail(&self.state, id))
    }
}

impl PagesBackend {
    /// The signed-in Local Administrator and their organisation's ODS code, or what to answer
    /// anyone else.
    async fn local_admin<T>(&self) -> Result<Result<(SignedIn, String), Access<T>>, PageError> {
        let Some(signed_in) = signed_in_from_context(&self.state)
            .await
            .map_err(internal)?
        else {
            return Ok(Err(Access::SignIn));
        };
        match require_any_local_admin(&signed_in.identity) {
            Ok(admin) => {
                let ods_code = admin.ods_code().to_string();
                Ok(Ok((signed_in, ods_code)))
            }
            Err(_) => Ok(Err(wrong_role(&signed_in.identity, Role::LocalAdmin))),
        }
    }

    /// The signed-in account, when it may read requests and applications (a Local
    /// Administrator or a reviewer: each function then shows what is theirs to see), or what to
    /// answer anyone else.
    async fn reader_of_requests<T>(&self) -> Result<Result<SignedIn, Access<T>>, PageError> {
        let Some(signed_in) = signed_in_from_context(&self.state)
            .await
            .map_err(internal)?
        else {
            return Ok(Err(Access::SignIn));
        };
        if require_desk_admin(&signed_in.identity).is_ok() {
            return Ok(Err(Access::AccountsOnly));
        }
        Ok(Ok(signed_in))
    }

    /// The organisation `ods_code` with its name from the directory.
    fn organisation(&self, ods_code: &str) -> OrganisationLabel {
        OrganisationLabel {
            ods_code: ods_code.to_string(),
            name: self
                .state
                .directory
                .organisation(ods_code)
                .map(|organisation| organisation.name),
        }
    }
}

/// What a page for `page_for` answers a signed-in account with another role: a desk
/// administrator is told that they manage accounts only, anyone else whose page it is.
pub(crate) fn wrong_role<T>(identity: &crate::identity::Identity, page_for: Role) -> Access<T> {
    if require_desk_admin(identity).is_ok() {
        Access::AccountsOnly
    } else {
        Access::OnlyFor(page_for)
    }
}

/// A registered application's deletion and recovery as the pages show them.
pub fn application_life(
    history: crate::deletion::History,
    form: Option<StepForm>,
) -> ApplicationLife {
    let row = |taken: crate::deletion::Taken| StepRow {
        n: taken.n,
        step: taken.step,
        reason: taken.reason,
        actor_email: taken.actor_email,
        taken_at: taken.taken_at,
    };
    ApplicationLife {
        // A withdrawn renewal or change is the request page's to show, not the application's.
        steps: history
            .steps
            .into_iter()
            .filter(|taken| taken.step != registration::lifecycle::Step::WithdrawRequest)
            .map(row)
            .collect(),
        waiting: history.waiting.map(row),
        deleted_at: history.deleted_at,
        recoverable_until: history.recoverable_until,
        form,
    }
}
