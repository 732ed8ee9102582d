//! The one error type of the HTTP layer, answered as `application/problem+json` (RFC 9457).
//! 5xx answers never carry internals; they are logged instead.

use crate::registry::{Refusal, SetupError};
use crate::store::StoreError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request cannot be parsed.
    Malformed(String),
    /// 401: no or bad credentials.
    Unauthorized,
    /// 403: authenticated but not allowed.
    Forbidden(String),
    /// 404: the named thing does not exist.
    NotFound(String),
    /// 405: the path exists, but not with this method.
    MethodNotAllowed,
    /// 409: a push with a sequence gap; the device resends from `expected`.
    Gap {
        /// The sequence number the server expects next.
        expected: u64,
    },
    /// 409: conflicts with the stored state.
    Conflict(String),
    /// 413: the body is over the route's limit.
    TooLarge(String),
    /// 415: the body is not of the expected media type.
    UnsupportedMediaType(String),
    /// 422: well-formed but invalid; `field` names the culprit when there is one.
    Invalid {
        /// The field at fault.
        field: Option<String>,
        /// What is wrong.
        detail: String,
    },
    /// 422: invalid in several places, each one an item of `errors`; `field` names the
    /// first.
    InvalidEach {
        /// The first place at fault.
        field: Option<String>,
        /// What is wrong, for a person.
        detail: String,
        /// Every place at fault.
        errors: Vec<serde_json::Value>,
    },
    /// 500: logged, answered without details.
    Internal(String),
}

impl ApiError {
    /// A 422 about one field.
    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        Self::Invalid {
            field: Some(field.to_string()),
            detail: detail.into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Gap { .. } | Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid { .. } | Self::InvalidEach { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Gap { .. } => "sync-gap",
            Self::Conflict(_) => "conflict",
            Self::TooLarge(_) => "too-large",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::Invalid { .. } | Self::InvalidEach { .. } => "invalid",
            Self::Internal(_) => "internal",
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Unauthorized => "missing or unknown bearer token".into(),
            Self::MethodNotAllowed => "this path does not take this method".into(),
            Self::Gap { expected } => {
                format!("sequence gap: resend your ops starting at seq {expected}")
            }
            Self::Internal(_) => "internal error; see the server log".into(),
            Self::Malformed(d)
            | Self::Forbidden(d)
            | Self::NotFound(d)
            | Self::Conflict(d)
            | Self::TooLarge(d)
            | Self::UnsupportedMediaType(d)
            | Self::Invalid { detail: d, .. }
            | Self::InvalidEach { detail: d, .. } => d.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(internal) = &self {
            tracing::error!(error = %internal, "request failed");
        }
        let mut body = json!({
            "type": format!("urn:sachhon:problem:{}", self.slug()),
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": self.detail(),
        });
        match &self {
            Self::Gap { expected } => body["expected_seq"] = json!(expected),
            Self::Invalid {
                field: Some(field), ..
            } => body["field"] = json!(field),
            Self::InvalidEach { field, errors, .. } => {
                if let Some(field) = field {
                    body["field"] = json!(field);
                }
                body["errors"] = json!(errors);
            }
            _ => {}
        }
        let mut response = (status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            StoreError::Gap { expected } => Self::Gap { expected },
            StoreError::Forbidden(detail) => Self::Forbidden(detail),
            StoreError::Invalid { field, message } => Self::Invalid {
                field,
                detail: message,
            },
            StoreError::Conflict(detail) => Self::Conflict(detail),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<SetupError> for ApiError {
    fn from(error: SetupError) -> Self {
        match error {
            SetupError::Refused(refused) => match &refused.refusal {
                Refusal::TaxCodeTaken(_) => Self::Conflict(refused.to_string()),
                // A definition's own path (`questions[2].choices`) is the field at fault.
                Refusal::Definition(invalid) => Self::invalid(&invalid.field, &invalid.message),
                _ => Self::invalid(refused.field, refused.to_string()),
            },
            SetupError::Store(error) => error.into(),
        }
    }
}

/// Maps a body-reading failure by its status: 413 over the limit, else malformed.
pub fn from_rejection(status: StatusCode, text: String) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(text),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(text),
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::Invalid {
            field: field_of(&text),
            detail: text,
        },
        _ => ApiError::Malformed(text),
    }
}

/// The field a serde error message is about: `missing field `x``, `unknown variant` at a
/// path, or the path prefix that axum puts before the message.
fn field_of(text: &str) -> Option<String> {
    if let Some(rest) = text.split("missing field `").nth(1) {
        return rest.split('`').next().map(str::to_string);
    }
    let message = text.split_once("target type: ").map_or(text, |(_, m)| m);
    let (path, _) = message.split_once(": ")?;
    (!path.contains(' ')).then(|| path.to_string())
}

/// The answer to a known path asked with a method it does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn the_field_is_found_in_serde_messages() {
        let missing = "Failed to deserialize the JSON body into the target type: missing field `name` at line 1 column 2";
        assert_eq!(field_of(missing).as_deref(), Some("name"));
        let typed = "Failed to deserialize the JSON body into the target type: cp_potential: invalid type: string \"x\", expected a boolean at line 1 column 20";
        assert_eq!(field_of(typed).as_deref(), Some("cp_potential"));
    }
}
