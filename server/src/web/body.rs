//! Why a request body could not be read, for every handler that reads one: too large (413), too
//! slow (408: the client stopped sending for the body-read timeout), or broken (400).

use std::error::Error;

/// What went wrong while reading a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Over the route's size limit.
    TooLarge,
    /// The client stopped sending before the body was complete.
    TooSlow,
    /// The connection broke or the framing was invalid.
    Unreadable,
}

impl BodyError {
    /// Classifies a body-reading error by what caused it.
    pub fn of(error: &(dyn Error + 'static)) -> BodyError {
        let mut cause: Option<&(dyn Error + 'static)> = Some(error);
        while let Some(error) = cause {
            if error.is::<tower_http::timeout::TimeoutError>() {
                return BodyError::TooSlow;
            }
            if error.is::<http_body_util::LengthLimitError>() {
                return BodyError::TooLarge;
            }
            cause = error.source();
        }
        BodyError::Unreadable
    }

    /// The status to answer with.
    pub fn status(self) -> http::StatusCode {
        match self {
            BodyError::TooLarge => http::StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::TooSlow => http::StatusCode::REQUEST_TIMEOUT,
            BodyError::Unreadable => http::StatusCode::BAD_REQUEST,
        }
    }

    /// What to tell someone whose form or request was not read (`too_large` is the route's own
    /// wording of its size limit).
    pub fn message(self, too_large: &'static str) -> &'static str {
        match self {
            BodyError::TooLarge => too_large,
            BodyError::TooSlow => {
                "The request arrived too slowly and was not read. Check your connection and try again."
            }
            BodyError::Unreadable => "The request could not be read. Please try again.",
        }
    }
}
