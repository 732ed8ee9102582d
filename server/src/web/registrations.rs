//! `/events/{id}/people`: who is registered at an event, with the badge sheet to print; people
//! found by name and registered with one button; a new person registered in one form (their
//! facility named by its tax code).

use super::error::{parse_id, PageError};
use super::form::{Fields, Posted, Shown};
use super::i18n::{t, Lang};
use super::layout::{self, csrf_field};
use super::session::{see_other, WebUser};
use crate::registry::people::{self, PersonInput};
use crate::registry::{Refusal, Refused, SetupError};
use crate::service::AppState;
use crate::store::{EventRecord, Search, SessionUser};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::html;
use sachhon_shared::{EventId, PersonId};
use serde::Deserialize;

/// People found by one search.
const FOUND_LIMIT: u32 = 20;

/// The page's query: the name searched for.
#[derive(Debug, Default, Deserialize)]
pub struct PeopleQuery {
    #[serde(default)]
    q: String,
}

async fn event(state: &AppState, id: &str) -> Result<(EventId, EventRecord), PageError> {
    let unknown = || PageError::not_found(format!("no event {id}"));
    let id: EventId = parse_id(id, "event")?;
    let event = state.store.event(id).await?.ok_or_else(unknown)?;
    Ok((id, event))
}

/// `GET /events/{id}/people`.
pub async fn page(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Path(id): Path<String>,
    Query(query): Query<PeopleQuery>,
) -> Result<Response, PageError> {
    let (id, event) = event(&state, &id).await?;
    show(&state, &user, lang, id, &event, &query.q, &Shown::default()).await
}

async fn show(
    state: &AppState,
    user: &SessionUser,
    lang: Lang,
    id: EventId,
    event: &EventRecord,
    q: &str,
    shown: &Shown,
) -> Result<Response, PageError> {
    let registered = state.store.badges(id).await?;
    let found = match q.trim() {
        "" => Vec::new(),
        q => {
            let search = Search {
                q: q.to_string(),
                limit: FOUND_LIMIT,
                ..Search::default()
            };
            state.store.find_people(&search).await?.items
        }
    };
    let title = event.title.clone().unwrap_or_else(|| id.to_string());
    let here = format!("/events/{id}/people");
    let body = html! {
        h1 { (title) }
        p {
            a href=(lang.link(&format!("/events/{id}"))) { (lang.t(&t::ATTENDANCE)) } " · "
            a href=(lang.link(&format!("/events/{id}/edit"))) { (lang.t(&t::EDIT_EVENT)) } " · "
            a.badges href=(format!("/api/v1/events/{id}/badges")) { (lang.t(&t::BADGE_SHEET)) }
        }
        h2 { (lang.t(&t::REGISTERED_PEOPLE)) " (" (registered.len()) ")" }
        @if registered.is_empty() {
            p.muted { (lang.t(&t::NO_REGISTRATIONS)) }
        } @else {
            ul.registered {
                @for badge in &registered {
                    li { (badge.person_name.as_deref().unwrap_or("—"))
                        @if let Some(facility) = &badge.facility_name { " · " (facility) } }
                }
            }
        }
        h2 { (lang.t(&t::FIND_PERSON)) }
        form.inline.search method="get" action=(here) {
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            input type="search" name="q" value=(q) aria-label=(lang.t(&t::NAME));
            button type="submit" { (lang.t(&t::SEARCH)) }
        }
        @if !q.trim().is_empty() && found.is_empty() {
            p.muted { (lang.t(&t::NO_PEOPLE)) }
        }
        @for person in &found {
            form.inline.register method="post" action=(lang.link(&format!("{here}/register"))) {
                (csrf_field(user))
                input type="hidden" name="person_id" value=(person.id);
                span { (person.name.as_deref().unwrap_or("—"))
                    @if let Some(facility) = &person.facility_name { " · " (facility) } }
                button type="submit" { (lang.t(&t::REGISTER)) }
            }
        }
        h2 { (lang.t(&t::NEW_PERSON)) }
        form.card.new-person method="post" action=(lang.link(&format!("{here}/new"))) {
            (csrf_field(user))
            (shown.text("name", &t::NAME, lang))
            (shown.text("facility_tax_code", &t::FACILITY_TAX_CODE, lang))
            (shown.error("facility_id", lang))
            label.choice {
                input type="checkbox" name="cp_staff" value="true" checked[shown.fields.checked("cp_staff")];
                (lang.t(&t::CP_STAFF))
            }
            (shown.text("phone", &t::PHONE, lang))
            button type="submit" { (lang.t(&t::REGISTER)) }
        }
    };
    let response = layout::show(lang, user, &title, &here, body);
    Ok(match shown.refused {
        Some(_) => layout::with_status(axum::http::StatusCode::UNPROCESSABLE_ENTITY, response),
        None => response,
    })
}

/// `POST /events/{id}/people/register`: registers a person found by search.
pub async fn register(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    Posted { form, .. }: Posted,
) -> Result<Response, PageError> {
    let (id, _) = event(&state, &id).await?;
    let person: PersonId = parse_id(form.get("person_id"), "person")?;
    people::register(&*state.store, id, person).await?;
    Ok(see_other(&lang.link(&format!("/events/{id}/people"))))
}

/// `POST /events/{id}/people/new`: a new person, registered at once.
pub async fn create(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    Posted { user, form }: Posted,
) -> Result<Response, PageError> {
    let (id, event) = event(&state, &id).await?;
    match new_person(&state, id, &form).await {
        Ok(()) => Ok(see_other(&lang.link(&format!("/events/{id}/people")))),
        Err(SetupError::Refused(refused)) => {
            let shown = Shown::refused(form, refused);
            show(&state, &user, lang, id, &event, "", &shown).await
        }
        Err(SetupError::Store(error)) => Err(error.into()),
    }
}

async fn new_person(state: &AppState, event: EventId, form: &Fields) -> Result<(), SetupError> {
    let store = &*state.store;
    let tax_code = form.get("facility_tax_code").trim();
    let facility_id =
        match tax_code {
            "" => None,
            code => Some(store.facility_by_tax_code(code).await?.ok_or_else(|| {
                Refused::new("facility_id", Refusal::NoFacility(code.to_string()))
            })?),
        };
    let input = PersonInput {
        name: form.get("name").to_string(),
        facility_id,
        cp_staff: form.checked("cp_staff"),
        phone: Some(form.get("phone").to_string()),
    };
    let person = people::create(store, &input).await?;
    people::register(store, event, person).await?;
    Ok(())
}
