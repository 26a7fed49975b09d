//! One module a page.

pub mod access;
mod accounts;
mod applications;
mod deletion;
mod live;
mod not_found;
mod password;
pub mod register;
pub mod requests;
pub mod review;
mod sign_in;
mod start;
mod submitted;

use leptos::prelude::*;

pub use accounts::{AccountPage, AccountsListPage};
pub use applications::{ApplicationsListPage, ExpiringListPage};
pub use not_found::NotFound;
pub use password::{ChangePasswordPage, ResetPasswordPage};
pub use register::RegisterPage;
pub use requests::{RequestPage, RequestsListPage};
pub use review::{ReviewDetailPage, ReviewQueuePage};
pub use sign_in::SignInPage;
pub use start::StartPage;
pub use submitted::SubmittedPage;

/// Shown when the server could not answer (status 500); the detail is in the server's log.
#[component]
pub fn ServiceProblem() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::INTERNAL_SERVER_ERROR);
    }
    view! {
        <crate::PageTitle text="Sorry, there is a problem with the service" />
        <h1>"Sorry, there is a problem with the service"</h1>
        <p>"Try again later. Anything you saved as a draft is kept."</p>
    }
}
