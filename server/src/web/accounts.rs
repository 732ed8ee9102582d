//! `/accounts` (administrators): the office web accounts, a form that adds one, and a button
//! that disables one (its sessions end; the name stays, for the record) or enables it again.
//! `sachhon user add` does the same from the command line.

use super::error::PageError;
use super::form::{Posted, Shown};
use super::i18n::{t, Lang};
use super::layout::{self, csrf_field};
use super::password;
use super::session::{encode, see_other, WebUser};
use crate::service::AppState;
use crate::store::{SessionUser, UserRole};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

fn admin_only(user: &SessionUser, lang: Lang) -> Result<(), PageError> {
    match user.role {
        UserRole::Admin => Ok(()),
        UserRole::Office => Err(PageError::forbidden(lang.t(&t::ADMIN_ONLY))),
    }
}

/// `GET /accounts`.
pub async fn list(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
) -> Result<Response, PageError> {
    admin_only(&user, lang)?;
    page(&state, &user, lang, &Shown::default(), None).await
}

/// The list and the form; `error` is a refusal to show beside the form.
async fn page(
    state: &AppState,
    user: &SessionUser,
    lang: Lang,
    shown: &Shown,
    error: Option<(&str, &str)>,
) -> Result<Response, PageError> {
    let accounts = state.store.users().await?;
    let title = lang.t(&t::ACCOUNTS_TITLE);
    let field_error = |field: &str| {
        html! {
            @if let Some((at, message)) = error.filter(|(at, _)| *at == field) {
                p.error role="alert" data-field=(at) { (message) }
            }
        }
    };
    let body = html! {
        h1 { (title) }
        div.table-wrap {
            table.accounts {
                thead { tr {
                    th { (lang.t(&t::USERNAME)) }
                    th { (lang.t(&t::ROLE)) }
                    th { (lang.t(&t::REGISTERED)) }
                    th { (lang.t(&t::STATUS)) }
                    th {}
                } }
                tbody {
                    @for account in &accounts {
                        tr data-account=(account.username) {
                            td { (account.username) }
                            td { @match account.role {
                                UserRole::Admin => (lang.t(&t::ROLE_ADMIN)),
                                UserRole::Office => (lang.t(&t::ROLE_OFFICE)),
                            } }
                            td { (lang.time(&account.created_at)) }
                            td { @if account.disabled_at.is_some() {
                                span.badge.not-met { (lang.t(&t::DISABLED)) }
                            } @else {
                                span.badge.met { (lang.t(&t::ACTIVE)) }
                            } }
                            td { @if account.username != user.username {
                                form.inline method="post"
                                    action=(lang.link(&format!("/accounts/{}/{}", encode(&account.username),
                                        if account.disabled_at.is_some() { "enable" } else { "disable" }))) {
                                    (csrf_field(user))
                                    button type="submit" { @if account.disabled_at.is_some() {
                                        (lang.t(&t::ENABLE))
                                    } @else { (lang.t(&t::DISABLE)) } }
                                }
                            } }
                        }
                    }
                }
            }
        }
        h2 { (lang.t(&t::NEW_ACCOUNT)) }
        form.card.new-account method="post" action=(lang.link("/accounts")) {
            (csrf_field(user))
            (shown.text("username", &t::USERNAME, lang))
            (field_error("username"))
            (shown.input("password", &t::PASSWORD, lang, "password"))
            (field_error("password"))
            label for="role" { (lang.t(&t::ROLE)) }
            select id="role" name="role" {
                option value="office" selected[shown.fields.get("role") != "admin"] { (lang.t(&t::ROLE_OFFICE)) }
                option value="admin" selected[shown.fields.get("role") == "admin"] { (lang.t(&t::ROLE_ADMIN)) }
            }
            button type="submit" { (lang.t(&t::CREATE)) }
        }
    };
    let response = layout::show(lang, user, title, "/accounts", body);
    Ok(match error {
        Some(_) => layout::with_status(StatusCode::UNPROCESSABLE_ENTITY, response),
        None => response,
    })
}

/// `POST /accounts`: adds an account (a name already taken is refused, not replaced).
pub async fn create(
    State(state): State<AppState>,
    lang: Lang,
    Posted { user, form }: Posted,
) -> Result<Response, PageError> {
    admin_only(&user, lang)?;
    let shown = Shown {
        fields: form.clone(),
        refused: None,
    };
    let username = match password::username(form.get("username")) {
        Ok(username) => username,
        Err(_) => {
            let message = lang.t(&t::BAD_USERNAME);
            return page(&state, &user, lang, &shown, Some(("username", message))).await;
        }
    };
    let taken = state.store.users().await?;
    if taken.iter().any(|account| account.username == username) {
        let message = lang.t(&t::USERNAME_TAKEN);
        return page(&state, &user, lang, &shown, Some(("username", message))).await;
    }
    let secret = form.get("password").to_string();
    if password::check(&secret).is_err() {
        let message = lang.t(&t::BAD_PASSWORD);
        return page(&state, &user, lang, &shown, Some(("password", message))).await;
    }
    let role = match form.get("role") {
        "admin" => UserRole::Admin,
        _ => UserRole::Office,
    };
    let hash = tokio::task::spawn_blocking(move || password::hash(&secret))
        .await
        .map_err(|e| PageError::from(crate::problem::ApiError::Internal(e.to_string())))?
        .map_err(|e| PageError::from(crate::problem::ApiError::Internal(e)))?;
    state.store.put_user(&username, &hash, role).await?;
    Ok(see_other(&lang.link("/accounts")))
}

/// `POST /accounts/{name}/disable`.
pub async fn disable(
    state: State<AppState>,
    lang: Lang,
    name: Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    set_disabled(state, lang, name, posted, true).await
}

/// `POST /accounts/{name}/enable`.
pub async fn enable(
    state: State<AppState>,
    lang: Lang,
    name: Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    set_disabled(state, lang, name, posted, false).await
}

async fn set_disabled(
    State(state): State<AppState>,
    lang: Lang,
    Path(name): Path<String>,
    Posted { user, .. }: Posted,
    disabled: bool,
) -> Result<Response, PageError> {
    admin_only(&user, lang)?;
    if name == user.username {
        return Err(PageError::forbidden(lang.t(&t::NOT_YOURSELF)));
    }
    state.store.set_user_disabled(&name, disabled).await?;
    Ok(see_other(&lang.link("/accounts")))
}
