//! Load shedding and the request timeout: every request but `/healthz` takes a permit of
//! [`crate::limits::Limits::in_flight`] or is answered 503 at once, and is answered 503 if it
//! takes longer than the request timeout. A health check therefore answers even when the desk
//! is full, so that a load balancer can tell "busy" from "down".

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::api::ApiError;
use super::serve::OverConnectionLimit;
use crate::limits::Limits;

/// The one path never shed.
const HEALTH_CHECK: &str = "/healthz";

/// Seconds a shed client is asked to wait.
const RETRY_AFTER_SECONDS: u32 = 2;

/// Runs `request` within the limits: shed at once when they are full, 503 when too slow.
pub async fn guarded(limits: &Limits, request: Request, next: Next) -> Response {
    if request.uri().path() == HEALTH_CHECK {
        return next.run(request).await;
    }
    let api = is_json_route(request.uri().path());
    if request.extensions().get::<OverConnectionLimit>().is_some() {
        return busy(api);
    }
    let Ok(permit) = limits.in_flight.clone().try_acquire_owned() else {
        return busy(api);
    };
    // Named in the log line when the answer is too slow (the path only: a query may hold a
    // secret).
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let answered = tokio::time::timeout(limits.settings.request_timeout, next.run(request)).await;
    drop(permit);
    answered.unwrap_or_else(|_| {
        tracing::warn!(
            %method,
            path,
            "a request took longer than the request timeout and was answered 503"
        );
        too_slow(api)
    })
}

/// Whether errors on `path` are JSON (the API and the well-known documents) or plain text.
fn is_json_route(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/.well-known/")
}

/// 503 with `Retry-After`: the desk is full right now.
fn busy(api: bool) -> Response {
    unavailable(
        api,
        "busy",
        "The service is busy right now. Try again in a few seconds.",
    )
}

/// 503: the answer took longer than the request timeout.
fn too_slow(api: bool) -> Response {
    unavailable(
        api,
        "timeout",
        "The service took too long to answer. Try again in a few seconds; if it keeps happening, tell the service desk.",
    )
}

fn unavailable(api: bool, error: &'static str, message: &'static str) -> Response {
    let mut response = if api {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, error, message).into_response()
    } else {
        super::form_post::plain(StatusCode::SERVICE_UNAVAILABLE, message)
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    response
}
