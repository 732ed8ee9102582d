//! Extractors: JSON bodies and path ids whose rejections are problem+json, and the
//! authenticated callers (admin, office reader, device) — by bearer token, or by the web
//! session cookie for office and admin accounts.

use super::problem::{from_rejection, ApiError};
use super::AppState;
use crate::store::{Author, UserRole};
use crate::tokens;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sachhon_shared::authority::Role;
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

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::Unauthorized)
}

/// Who is calling: the owner of a bearer token, or the user of a web session.
enum Caller {
    Admin,
    Device(Author),
    OfficeUser,
}

async fn caller(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    // Without a bearer token, the web session cookie: the JSON API works from the browser
    // (admin accounts count as the administrator; writes need the CSRF header).
    if !parts.headers.contains_key(AUTHORIZATION) {
        if let Some(user) = crate::web::session::api_user(parts, state).await? {
            return Ok(match user.role {
                UserRole::Admin => Caller::Admin,
                UserRole::Office => Caller::OfficeUser,
            });
        }
    }
    let hash = tokens::hash(bearer(parts)?);
    if state.admin_token_hash.as_deref() == Some(hash.as_str())
        || state.store.is_admin_token(&hash).await?
    {
        return Ok(Caller::Admin);
    }
    match state.store.author_by_token(&hash).await? {
        Some(author) => Ok(Caller::Device(author)),
        None => Err(ApiError::Unauthorized),
    }
}

/// The administrator.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match caller(parts, state).await? {
            Caller::Admin => Ok(Self),
            Caller::Device(_) | Caller::OfficeUser => {
                Err(ApiError::Forbidden("this needs the admin token".into()))
            }
        }
    }
}

/// A reader of the office's views: the administrator or an office device.
pub struct Office;

impl FromRequestParts<AppState> for Office {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match caller(parts, state).await? {
            Caller::Admin | Caller::OfficeUser => Ok(Self),
            Caller::Device(author) if author.principal.role == Role::Office => Ok(Self),
            Caller::Device(_) => Err(ApiError::Forbidden(
                "this needs the admin token or an office device".into(),
            )),
        }
    }
}

/// An enrolled, unrevoked device.
pub struct Device(pub Author);

impl FromRequestParts<AppState> for Device {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match caller(parts, state).await? {
            Caller::Device(author) => Ok(Self(author)),
            Caller::Admin | Caller::OfficeUser => Err(ApiError::Forbidden(
                "sync needs a device token; enrol a device first".into(),
            )),
        }
    }
}
