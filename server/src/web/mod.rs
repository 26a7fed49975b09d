//! The HTTP layer: routes, security headers, and the translation between HTTP and `registration`.
//! It holds no rules.

pub mod accounts_pages;
pub mod api;
pub mod assets;
pub mod body;
pub mod checkpoint;
pub mod cookies;
pub mod deletion_pages;
pub mod form;
pub mod form_post;
mod headers;
mod load;
pub mod nhsmail;
pub mod origin;
pub mod pages;
pub mod review_pages;
pub mod serve;
pub mod session;
pub mod sign_in;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sqlx::AnyPool;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::signing::KeyRing;
use crate::store::directory::ServerDirectory;

/// The hard cap on any request body outside the JSON API (which answers its own 413 in JSON).
const PAGE_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub pool: AnyPool,
    /// The organisation and mailbox directory.
    pub directory: Arc<ServerDirectory>,
    /// The record-signing keys.
    pub keys: Arc<KeyRing>,
    /// Where receipts and decision notices go.
    pub mailer: Arc<crate::notify::Mailer>,
    /// The database's single writer (see `store::WriteLock`).
    pub writer: Arc<crate::store::WriteLock>,
    /// How much work the desk takes on at once (`crate::limits`).
    pub limits: Arc<crate::limits::Limits>,
    /// The site configuration Leptos renders with.
    pub leptos_options: LeptosOptions,
    /// The tenant and the client secrets' key (after approval: `crate::applications`).
    pub applications: Arc<crate::applications::Settings>,
    /// How people may sign in (local passwords, the OpenID provider).
    pub sign_in: Arc<crate::identity::SignInMethods>,
}

impl AppState {
    /// Where account changes are made and signed (`identity::accounts`).
    pub fn change_log(&self) -> crate::identity::accounts::ChangeLog<'_> {
        crate::identity::accounts::ChangeLog {
            pool: &self.pool,
            keys: &self.keys,
            writer: &self.writer,
        }
    }

    /// What the domain functions (registrations, review) work with.
    pub fn desk(&self) -> crate::registrations::Desk<'_> {
        crate::registrations::Desk {
            pool: &self.pool,
            directory: &self.directory,
            limits: &self.limits,
            keys: &self.keys,
            mailer: &self.mailer,
            writer: &self.writer,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// What every request meets before its route ([`edge_of_the_desk`]).
#[derive(Clone)]
struct Edge {
    limits: Arc<crate::limits::Limits>,
    origin: Arc<origin::PublicOrigin>,
    https: bool,
}

/// Every request, in one layer (one boxed future a request, not one per concern): refused if it
/// changes state from another site ([`origin`]), run within the limits ([`load`]), and its
/// answer given the security headers ([`headers`]) and, for the site's files, its caching
/// ([`assets`]).
async fn edge_of_the_desk(
    axum::extract::State(edge): axum::extract::State<Edge>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path().to_owned();
    let mut response = match origin::refusal(&request, &edge.origin) {
        Some(refused) => refused,
        None => load::guarded(&edge.limits, request, next).await,
    };
    headers::add(&mut response, edge.https);
    assets::cache(&path, &mut response);
    response
}

/// The pages' route list, generated once per process. Leptos generates it by running the app
/// with resource loading suppressed through a process-wide flag; a page whose resource is first
/// polled while that flag is up waits for ever (leptos-rs/leptos#4773, open upstream). Generated
/// once, before any router exists, no page can be rendering meanwhile: a second router (another
/// desk in this process, a test) reuses the list.
fn page_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// The whole application as a router (tests call it without a socket).
pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let pages = Router::<AppState>::new()
        .route("/register", post(form::register))
        .route("/register/autosave", post(form::autosave))
        // Local Administrator pages: the sign-in page's and the request page's form posts.
        .route("/sign-in", post(sign_in::sign_in))
        .route("/sign-in/nhsmail", get(nhsmail::begin))
        .route("/sign-in/nhsmail/callback", get(nhsmail::callback))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/reset-password/{token}", post(sign_in::reset_password))
        .route("/account/password", post(sign_in::change_password))
        // The desk administrators' Accounts pages (docs/sign-in.md).
        .route("/accounts", post(accounts_pages::add))
        .route("/accounts/{id}/role", post(accounts_pages::set_role))
        .route("/accounts/{id}/disable", post(accounts_pages::disable))
        .route("/accounts/{id}/enable", post(accounts_pages::enable))
        .route(
            "/accounts/{id}/password-reset",
            post(accounts_pages::password_reset),
        )
        .route("/requests/{reference}/revise", post(form::revise))
        .route(
            "/requests/{reference}/copy",
            post(form::start_from_rejected),
        )
        // A live application's renewal or change: opens its draft (docs/lifecycle.md).
        .route("/requests/{reference}/renewal", post(form::start_renewal))
        .route(
            "/requests/{reference}/change",
            post(form::start_other_change),
        )
        .route("/register/{draft_id}/delete", post(form::delete_draft))
        .route("/review/{reference}/decisions", post(review_pages::decide))
        .route("/review/{reference}/claim", post(review_pages::claim))
        .route("/review/{reference}/release", post(review_pages::release))
        .route(
            "/review/{reference}/implementation",
            post(review_pages::implement),
        )
        // A registered application's deletion and recovery (docs/lifecycle.md).
        .route(
            "/requests/{reference}/deletion",
            post(deletion_pages::request_deletion),
        )
        .route(
            "/requests/{reference}/recovery",
            post(deletion_pages::request_recovery),
        )
        .route(
            "/requests/{reference}/withdrawal",
            post(deletion_pages::withdraw),
        )
        .route(
            "/review/{reference}/lifecycle-decisions",
            post(deletion_pages::answer),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let backend = pages::PagesBackend::handle(state.clone());
                move || leptos::context::provide_context(backend.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        // The 404 page has the header too, which asks the backend who is signed in.
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            {
                let backend = pages::PagesBackend::handle(state.clone());
                move || leptos::context::provide_context(backend.clone())
            },
            app::shell,
        ))
        .layer(RequestBodyLimitLayer::new(PAGE_BODY_LIMIT));
    let edge = Edge {
        limits: Arc::clone(&state.limits),
        origin: Arc::new(origin::PublicOrigin::of(state.keys.issuer())),
        https: session::cookie_policy(&state).is_secure(),
    };
    Router::new()
        .merge(api::router())
        .merge(pages)
        .merge(assets::site_files(&state.leptos_options.site_root))
        .route("/catalogue/{file}", get(assets::permission_catalogue))
        .layer(assets::compression())
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.limits.settings.body_read_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(edge, edge_of_the_desk))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
