//! Errors of the web pages, answered as a small HTML page in both languages (the API's
//! problem+json would mean nothing to a person). 5xx pages carry no internals; they are logged.

use super::i18n::t;
use super::layout;
use crate::problem::ApiError;
use crate::registry::SetupError;
use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

/// An error page.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    /// A page with a status and a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

/// The id a page's path or form names; one that does not parse names nothing: 404 ("no
/// `what` `text`").
pub fn parse_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, PageError> {
    text.parse()
        .map_err(|_| PageError::not_found(format!("no {what} {text}")))
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        let (status, message) = match error {
            ApiError::Malformed(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "not logged in".into()),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "this page does not take this method".into(),
            ),
            ApiError::Gap { expected } => (
                StatusCode::CONFLICT,
                format!("sequence gap: expected {expected}"),
            ),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m),
            ApiError::UnsupportedMediaType(m) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, m),
            ApiError::Invalid { detail, .. } | ApiError::InvalidEach { detail, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, detail)
            }
            ApiError::Internal(internal) => {
                tracing::error!(error = %internal, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; see the server log".into(),
                )
            }
        };
        Self { status, message }
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        ApiError::from(error).into()
    }
}

impl From<SetupError> for PageError {
    fn from(error: SetupError) -> Self {
        ApiError::from(error).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = format!(
            "{} {} · {} {}",
            t::ERROR.vi,
            self.status.as_u16(),
            t::ERROR.en,
            self.status.as_u16()
        );
        let body = html! {
            main.narrow {
                h1 { (title) }
                p.error { (self.message) }
                p { a href="/" { (t::HOME.vi) " · " (t::HOME.en) } }
            }
        };
        layout::respond(self.status, layout::bare(&title, "vi", body))
    }
}
