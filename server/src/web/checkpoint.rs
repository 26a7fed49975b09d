//! `GET /.well-known/appreg-checkpoint`: the latest signed checkpoint of the log
//! ([`crate::store::checkpoints`]), for anyone to keep a copy of (no sign-in, like the JWKS).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};

use super::AppState;
use super::api::ApiError;

/// `GET /.well-known/appreg-checkpoint`: the latest checkpoint of the log.
#[utoipa::path(get, path = "/.well-known/appreg-checkpoint", tag = "records",
    responses(
        (status = 200, description = "The latest signed checkpoint of the log: `{ size, root, kid, issued_at, jws }`. `jws` is an ES256 JWS (`typ` `appreg-checkpoint+jwt`, claims `iss`, `iat`, `size`, `root`) verifiable with /.well-known/jwks.json; `appreg log verify --checkpoint` checks a log against it.", body = Object),
        (status = 404, description = "No checkpoint has been made yet (`no_checkpoint`).", body = crate::web::api::openapi::ErrorBody),
    ))]
pub async fn latest(State(state): State<AppState>) -> Result<Response, ApiError> {
    match crate::store::checkpoints::latest(&state.pool).await? {
        Some(checkpoint) => Ok((
            [(header::CACHE_CONTROL, "public, max-age=60")],
            Json(checkpoint.document()),
        )
            .into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_checkpoint",
            "The desk has not signed a checkpoint of its log yet: one is made every 100 entries, or with `appreg log checkpoint`.",
        )),
    }
}
