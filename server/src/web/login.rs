//! `/login` and `/logout`. A failed login says only that the name or the password is wrong,
//! and takes as long whether or not the account exists; failed tries are throttled per
//! account and per address ([`throttle`](super::throttle)).

use super::error::PageError;
use super::i18n::{t, Lang};
use super::layout::{self, Page};
use super::password;
use super::session::{encode, safe_next, see_other, CsrfForm, CsrfToken};
use super::throttle::Refusal;
use crate::auth::session::{
    self, clear_cookie, login_csrf, same_secret, set_cookie, LOGIN_COOKIE, LOGIN_FORM_SECONDS,
    SESSION_COOKIE, SESSION_SECONDS,
};
use crate::service::AppState;
use crate::store::NewSession;
use crate::tokens;
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use std::net::SocketAddr;

/// Query of `GET /login`.
#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// The login form as posted.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

/// A pre-session value as we make them; anything else is replaced.
fn well_formed(value: &str) -> bool {
    tokens::is_well_formed(value)
}

/// Usernames are compared in lower case, without surrounding blanks.
pub fn normalise_username(name: &str) -> String {
    name.trim().to_lowercase()
}

/// `GET /login`: the form, bound to a pre-session cookie.
pub async fn form(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let next = safe_next(query.next.as_deref());
    if session::current(&state, &headers).await?.is_some() {
        return Ok(see_other(&next));
    }
    Ok(login_page(&state, lang, &headers, &next, None))
}

/// The login page; `failure` (with its status) when a try was refused.
fn login_page(
    state: &AppState,
    lang: Lang,
    headers: &HeaderMap,
    next: &str,
    failure: Option<(StatusCode, &str)>,
) -> Response {
    let sent = session::cookie(headers, LOGIN_COOKIE).filter(|value| well_formed(value));
    let pre_session = sent.map_or_else(tokens::generate, str::to_string);
    let here = format!("/login?next={}", encode(next));
    let title = lang.t(&t::LOGIN_TITLE);
    let body = html! {
        div.narrow {
            h1 { (title) }
            @if let Some((_, message)) = failure {
                p.error role="alert" { (message) }
            }
            form.card method="post" action=(lang.link("/login")) {
                input type="hidden" name="csrf" value=(login_csrf(&pre_session));
                input type="hidden" name="next" value=(next);
                label for="username" { (lang.t(&t::USERNAME)) }
                input #username type="text" name="username" autocomplete="username" required autofocus;
                label for="password" { (lang.t(&t::PASSWORD)) }
                input #password type="password" name="password" autocomplete="current-password" required;
                p { button type="submit" { (lang.t(&t::LOGIN_BUTTON)) } }
            }
        }
    };
    let page = Page {
        lang,
        user: None,
        title,
        here: &here,
        refresh: None,
    };
    let status = failure.map_or(StatusCode::OK, |(status, _)| status);
    let mut response = layout::respond(status, layout::page(&page, body));
    // A refused try sets no cookie: the browser keeps the pre-session it has.
    if sent.is_none() {
        response.headers_mut().append(
            SET_COOKIE,
            set_cookie(
                LOGIN_COOKIE,
                &pre_session,
                LOGIN_FORM_SECONDS,
                session::secure(state),
            ),
        );
    }
    response
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    let bound = session::cookie(&headers, LOGIN_COOKIE)
        .is_some_and(|pre| same_secret(&form.csrf, &login_csrf(pre)));
    if !bound {
        let message = lang.t(&t::LOGIN_EXPIRED);
        return Ok(login_page(
            &state,
            lang,
            &headers,
            &next,
            Some((StatusCode::FORBIDDEN, message)),
        ));
    }
    let username = normalise_username(&form.username);
    let address = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    if let Err(refusal) = state.logins.admit(&username, address) {
        return Ok(throttled(&state, lang, &headers, &next, refusal));
    }
    let user = state.store.user(&username).await?;
    let stored = user.as_ref().map_or_else(
        || password::decoy_hash().to_string(),
        |u| u.password_hash.clone(),
    );
    // argon2 takes tens of milliseconds of CPU: off the async threads, on the throttle's own.
    let matches = match state.logins.verify(form.password, stored).await {
        Ok(matches) => matches,
        Err(refusal) => return Ok(throttled(&state, lang, &headers, &next, refusal)),
    };
    let Some(user) = user.filter(|_| matches) else {
        tracing::info!("refused a login");
        state.logins.failed(&username, address);
        let message = lang.t(&t::LOGIN_FAILED);
        return Ok(login_page(
            &state,
            lang,
            &headers,
            &next,
            Some((StatusCode::UNAUTHORIZED, message)),
        ));
    };
    state.logins.succeeded(&username);
    let token = tokens::generate();
    let token_hash = tokens::hash(&token);
    let csrf_token = tokens::generate();
    state
        .store
        .create_session(&NewSession {
            token_hash: &token_hash,
            user_id: &user.id,
            csrf_token: &csrf_token,
            expires_at_ms: session::now_ms() + SESSION_SECONDS * 1000,
        })
        .await?;
    tracing::info!(role = %user.role, "logged in");
    let secure = session::secure(&state);
    let mut response = see_other(&lang_aware(&next, lang));
    let headers = response.headers_mut();
    headers.append(
        SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, SESSION_SECONDS, secure),
    );
    headers.append(SET_COOKIE, clear_cookie(LOGIN_COOKIE, secure));
    Ok(response)
}

/// The login page refusing a try unchecked (429), with how long to wait.
fn throttled(
    state: &AppState,
    lang: Lang,
    headers: &HeaderMap,
    next: &str,
    refusal: Refusal,
) -> Response {
    tracing::warn!(?refusal, "throttled a login");
    let message = lang.t(&t::LOGIN_THROTTLED);
    let mut page = login_page(
        state,
        lang,
        headers,
        next,
        Some((StatusCode::TOO_MANY_REQUESTS, message)),
    );
    let wait = match refusal {
        Refusal::TooManyFailures(left) => left.as_secs().max(1),
        Refusal::Busy => 1,
    };
    page.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(wait));
    page
}

/// `next` in the language of the login page, unless it names one already.
fn lang_aware(next: &str, lang: Lang) -> String {
    if next.contains("lang=") {
        next.to_string()
    } else {
        lang.link(next)
    }
}

/// The logout form as posted.
#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

impl CsrfToken for LogoutForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /logout`: the session ends on the server, not only in the browser.
pub async fn logout(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    _: CsrfForm<LogoutForm>,
) -> Result<Response, PageError> {
    if let Some(token) = session::cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(&tokens::hash(token)).await?;
    }
    let mut response = see_other(&lang.link("/login"));
    response.headers_mut().append(
        SET_COOKIE,
        clear_cookie(SESSION_COOKIE, session::secure(&state)),
    );
    Ok(response)
}
