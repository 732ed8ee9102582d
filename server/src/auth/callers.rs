//! The authenticated callers of the API — the administrator, an office reader, an enrolled
//! device — as extractors: by bearer token (the admin token, an admin account's, or a device's
//! access token), or by the web session cookie for office and admin accounts.

use super::session::api_user;
use crate::problem::ApiError;
use crate::service::AppState;
use crate::store::{Author, UserRole};
use crate::tokens;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sachhon_shared::authority::Role;

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
        if let Some(user) = api_user(parts, state).await? {
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
