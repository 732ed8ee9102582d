//! The pages' side of sessions: the logged-in user of a page ([`WebUser`], or a redirect to
//! the login form), forms refused without the session's CSRF token ([`CsrfForm`]), and the
//! redirects the pages answer with. The session itself (cookies, lookup, CSRF rules) is
//! [`crate::auth::session`].

use super::error::PageError;
use super::i18n::{t, Lang};
use crate::auth::session::{current, same_secret};
use crate::service::AppState;
use crate::store::SessionUser;
use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use axum::http::header::LOCATION;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// A local path to go to after logging in; anything else (another site, `//host`) is `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control)
                && !path.starts_with("/login") =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

/// A 303 redirect.
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A logged-in user; without a live session the request is sent to `/login?next=…`.
pub struct WebUser(pub SessionUser);

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match current(state, &parts.headers).await {
            Ok(Some(user)) => Ok(Self(user)),
            Ok(None) => {
                // After logging in, come back here; a form's target is not a page to land on.
                let next = if parts.method == Method::GET {
                    parts
                        .uri
                        .path_and_query()
                        .map_or("/", |p| p.as_str())
                        .to_string()
                } else {
                    "/".to_string()
                };
                let lang = Lang::from_query(parts.uri.query());
                Err(see_other(
                    &lang.link(&format!("/login?next={}", encode(&next))),
                ))
            }
            Err(error) => Err(PageError::from(error).into_response()),
        }
    }
}

/// A form that carries its CSRF token.
pub trait CsrfToken {
    /// The `csrf` field as posted.
    fn csrf(&self) -> &str;
}

/// A form posted by a logged-in user with the session's CSRF token; anything else is refused
/// with 403 before the handler runs.
pub struct CsrfForm<T> {
    /// Who posted it.
    pub user: SessionUser,
    /// The form.
    pub form: T,
}

impl<T: DeserializeOwned + CsrfToken + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (user, refused, request) = posted(request, state).await?;
        let Form(form) = Form::<T>::from_request(request, state)
            .await
            .map_err(|_| refused.answer())?;
        if !same_secret(form.csrf(), &user.csrf_token) {
            return Err(refused.answer());
        }
        Ok(Self { user, form })
    }
}

/// What every posted form starts with: the logged-in user (or the redirect to the login
/// form), the 403 answer of a form that is refused, and the request to read the form from.
pub async fn posted(
    request: Request,
    state: &AppState,
) -> Result<(SessionUser, RefusedForm, Request), Response> {
    let (mut parts, body) = request.into_parts();
    let WebUser(user) = WebUser::from_request_parts(&mut parts, state).await?;
    let refused = RefusedForm(Lang::from_query(parts.uri.query()));
    Ok((user, refused, Request::from_parts(parts, body)))
}

/// A form refused before it is read (unreadable, or without the session's CSRF token): 403
/// in the page's language.
#[derive(Clone, Copy)]
pub struct RefusedForm(Lang);

impl RefusedForm {
    /// The answer.
    pub fn answer(self) -> Response {
        PageError::forbidden(self.0.t(&t::BAD_FORM)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/events?lang=en")), "/events?lang=en");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil",
            "/login?next=/",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
