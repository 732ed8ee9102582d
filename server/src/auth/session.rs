//! Web sessions and CSRF protection, for the office pages and the JSON API alike.
//!
//! A session is a random token in the `sachhon_session` cookie (HttpOnly, SameSite=Strict,
//! Path=/, Secure over https, 12 h); the database keeps only its SHA-256 and the session's
//! CSRF token. Every form carries that CSRF token in a hidden `csrf` field and a POST without
//! it is refused (403) before anything is read or written. The login form, shown before any
//! session exists, is bound to a pre-session cookie (`sachhon_login`) instead: its CSRF field
//! is derived from that cookie's random value.
//!
//! The JSON API accepts the session cookie too ([`super::callers`]); there a request that
//! changes something must carry the CSRF token in an `X-CSRF-Token` header.

use crate::problem::ApiError;
use crate::service::AppState;
use crate::store::SessionUser;
use crate::tokens;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};

/// The session cookie.
pub const SESSION_COOKIE: &str = "sachhon_session";
/// The pre-session cookie of the login form.
pub const LOGIN_COOKIE: &str = "sachhon_login";
/// How long a session lasts.
pub const SESSION_SECONDS: i64 = 12 * 60 * 60;
/// How long a login form stays valid.
pub const LOGIN_FORM_SECONDS: i64 = 60 * 60;
/// The header that carries the CSRF token of cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of a cookie in the request, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    crate::time::unix_ms(time::OffsetDateTime::now_utc())
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// The account of the request's session cookie, if it names a live session.
pub async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SessionUser>, ApiError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(state.store.session(&tokens::hash(token), now_ms()).await?)
}

/// The session user of an API request made with the cookie, if any; a cookie-authenticated
/// request that changes something must carry the CSRF token in [`CSRF_HEADER`].
pub async fn api_user(parts: &Parts, state: &AppState) -> Result<Option<SessionUser>, ApiError> {
    let Some(user) = current(state, &parts.headers).await? else {
        return Ok(None);
    };
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let header = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if !safe && !same_secret(header, &user.csrf_token) {
        return Err(ApiError::Forbidden(format!(
            "a request authenticated by the session cookie needs its CSRF token in {CSRF_HEADER}"
        )));
    }
    Ok(Some(user))
}

/// Whether cookies must be `Secure`: the server serves HTTPS itself, or is reached over
/// https (a TLS proxy in front, `--public-url https://…`).
pub fn secure(state: &AppState) -> bool {
    state.https || state.public_url.starts_with("https://")
}

/// A `Set-Cookie` value for one of our cookies.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that removes one of our cookies.
pub fn clear_cookie(name: &str, secure: bool) -> HeaderValue {
    set_cookie(name, "", 0, secure)
}

/// The CSRF token of the login form, derived from the pre-session cookie's value: only a page
/// that can read that HttpOnly cookie's value (none but the server) can make it.
pub fn login_csrf(pre_session: &str) -> String {
    tokens::hash(&format!("sachhon login form {pre_session}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; sachhon_session=abc ; b=2"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, LOGIN_COOKIE), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", "x"));
    }

    #[test]
    fn cookies_are_strict_and_http_only() {
        let value = set_cookie(SESSION_COOKIE, "t", 43200, true);
        let text = value.to_str().unwrap_or_default();
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Strict"));
        assert!(text.contains("Path=/") && text.contains("Secure"));
        assert!(text.contains("Max-Age=43200"));
    }
}
