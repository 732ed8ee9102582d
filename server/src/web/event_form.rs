//! `/events/new` and `/events/{id}/edit`: an event's title, kind, start (Vietnam's time) and
//! district (from the list), checked as the API checks them; a refused form comes back with
//! what was typed and the refusal beside its input.

use super::error::{parse_id, PageError};
use super::form::{from_local_input, local_input, Fields, Posted, Shown};
use super::i18n::{t, Lang};
use super::layout::{self, csrf_field};
use super::session::{see_other, WebUser};
use crate::registry::districts::Districts;
use crate::registry::events::{self, EventInput};
use crate::registry::SetupError;
use crate::service::AppState;
use crate::store::SessionUser;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};
use sachhon_shared::schema::EVENT_KINDS;
use sachhon_shared::EventId;

/// `GET /events/new`.
pub async fn new(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
) -> Result<Response, PageError> {
    let districts = Districts::load(&*state.store).await?;
    Ok(page(&user, lang, None, &districts, &Shown::default()))
}

/// `POST /events/new`: creates the event, then shows its people page.
pub async fn create(
    State(state): State<AppState>,
    lang: Lang,
    Posted { user, form }: Posted,
) -> Result<Response, PageError> {
    match events::create(&*state.store, &input(&form)).await {
        Ok(id) => Ok(see_other(&lang.link(&format!("/events/{id}/people")))),
        Err(error) => refused(&state, &user, lang, None, form, error).await,
    }
}

/// `GET /events/{id}/edit`.
pub async fn edit(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id::<EventId>(&id, "event")?;
    let event = state
        .store
        .event(id)
        .await?
        .ok_or_else(|| PageError::not_found(format!("no event {id}")))?;
    let fields = Fields::from(vec![
        ("title".into(), event.title.unwrap_or_default()),
        ("kind".into(), event.kind.unwrap_or_default()),
        (
            "starts_at".into(),
            event
                .starts_at
                .as_deref()
                .map(local_input)
                .unwrap_or_default(),
        ),
        ("district".into(), event.district.unwrap_or_default()),
    ]);
    let shown = Shown {
        fields,
        refused: None,
    };
    let districts = Districts::load(&*state.store).await?;
    Ok(page(&user, lang, Some(id), &districts, &shown))
}

/// `POST /events/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    Posted { user, form }: Posted,
) -> Result<Response, PageError> {
    let id = parse_id::<EventId>(&id, "event")?;
    match events::update(&*state.store, id, &input(&form)).await {
        Ok(()) => Ok(see_other(&lang.link(&format!("/events/{id}")))),
        Err(error) => refused(&state, &user, lang, Some(id), form, error).await,
    }
}

/// The event the form describes.
fn input(form: &Fields) -> EventInput {
    EventInput {
        title: form.get("title").to_string(),
        kind: form.get("kind").to_string(),
        starts_at: from_local_input(form.get("starts_at")),
        district: form.get("district").to_string(),
    }
}

/// The form again, with what was typed, when a value was refused; other failures are errors.
async fn refused(
    state: &AppState,
    user: &SessionUser,
    lang: Lang,
    id: Option<EventId>,
    form: Fields,
    error: SetupError,
) -> Result<Response, PageError> {
    match error {
        SetupError::Refused(refused) => {
            let districts = Districts::load(&*state.store).await?;
            let shown = Shown::refused(form, refused);
            Ok(layout::with_status(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                page(user, lang, id, &districts, &shown),
            ))
        }
        SetupError::Store(error) => Err(error.into()),
    }
}

fn page(
    user: &SessionUser,
    lang: Lang,
    id: Option<EventId>,
    districts: &Districts,
    shown: &Shown,
) -> Response {
    let (title, here) = match id {
        None => (lang.t(&t::NEW_EVENT), "/events/new".to_string()),
        Some(id) => (lang.t(&t::EDIT_EVENT), format!("/events/{id}/edit")),
    };
    let body = html! {
        h1 { (title) }
        form.card.event-form method="post" action=(lang.link(&here)) {
            (csrf_field(user))
            (shown.text("title", &t::TITLE, lang))
            label for="kind" { (lang.t(&t::KIND)) }
            select id="kind" name="kind" {
                @for kind in EVENT_KINDS {
                    option value=(kind) selected[shown.fields.get("kind") == *kind] {
                        (super::events::kind_name(Some(kind), lang))
                    }
                }
            }
            (shown.error("kind", lang))
            (shown.input("starts_at", &t::STARTS_AT, lang, "datetime-local"))
            (district_select(districts, shown, lang))
            button type="submit" { (lang.t(&t::SAVE)) }
        }
        p { a href=(lang.link("/events")) { "← " (lang.t(&t::BACK)) } }
    };
    layout::show(lang, user, title, &here, body)
}

/// The district `select` of a form, the list's names in Vietnamese order.
pub fn district_select(districts: &Districts, shown: &Shown, lang: Lang) -> Markup {
    html! {
        label for="district" { (lang.t(&t::DISTRICT)) }
        select id="district" name="district" {
            @for district in districts.all() {
                option value=(district.name) selected[shown.fields.get("district") == district.name] {
                    (district.name)
                }
            }
        }
        (shown.error("district", lang))
    }
}
