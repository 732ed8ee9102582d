//! Extractors: JSON, text and binary bodies, queries and path ids whose rejections are
//! problem+json. Who is calling is [`crate::auth::callers`].

use crate::problem::{from_rejection, ApiError};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::str::FromStr;

/// A JSON body; a bad one is answered 400 (syntax), 413 (size), 415 (type) or 422 (values).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// A JSON body that may be left out: no body reads as `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers();
        let empty = !headers.contains_key(axum::http::header::CONTENT_TYPE)
            && headers
                .get(axum::http::header::CONTENT_LENGTH)
                .is_none_or(|length| length == "0");
        if empty {
            return Ok(Self(T::default()));
        }
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(value)| Self(value))
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    from_rejection(rejection.status(), rejection.body_text())
}

/// A query string; one that does not deserialize (a key given twice, …) is answered 400.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|e| ApiError::Malformed(e.body_text()))
    }
}

/// Path segments as text; one that is not UTF-8 once decoded is answered 400.
pub struct PathText<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathText<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|e| ApiError::Malformed(e.body_text()))
    }
}

/// A text body; one that is not UTF-8 is answered 400, one over the limit 413.
pub struct Text(pub String);

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        String::from_request(req, state)
            .await
            .map(Self)
            .map_err(|e| from_rejection(e.status(), e.body_text()))
    }
}

/// A body as bytes, of any type; one over the route's limit is answered 413.
pub struct Bytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for Bytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::body::Bytes::from_request(req, state)
            .await
            .map(Self)
            .map_err(|e| from_rejection(e.status(), e.body_text()))
    }
}

/// An id in the path; one that does not parse is answered 404, since no such record exists.
pub struct PathId<T>(pub T);

impl<T: FromStr + Send, S: Send + Sync> FromRequestParts<S> for PathId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::Malformed(e.body_text()))?;
        text.parse()
            .map(Self)
            .map_err(|_| ApiError::NotFound(format!("{text:?} is not a known id")))
    }
}
