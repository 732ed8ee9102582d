//! `/events` and `/events/{id}`: the events, and one event's merged attendance — distinct
//! people, each with the first scan, the number of scans and whether a phone's clock was off —
//! reloaded every ten seconds while the workshop goes on.

use super::error::{parse_id, PageError};
use super::i18n::{t, Lang};
use super::layout::{self, Page};
use super::session::WebUser;
use crate::service::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;
use sachhon_shared::EventId;

/// Seconds between reloads of an attendance page.
pub const REFRESH_SECONDS: u32 = 10;

/// The name of an event kind.
pub fn kind_name(kind: Option<&str>, lang: Lang) -> &'static str {
    match kind {
        Some("awareness") => lang.t(&t::KIND_AWARENESS),
        Some("training") => lang.t(&t::KIND_TRAINING),
        _ => "",
    }
}

/// `GET /events`.
pub async fn list(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
) -> Result<Response, PageError> {
    let events = state.store.events().await?;
    let title = lang.t(&t::EVENTS_TITLE);
    let body = html! {
        h1 { (title) }
        p { a.new-event href=(lang.link("/events/new")) { "+ " (lang.t(&t::NEW_EVENT)) } }
        @if events.is_empty() {
            p.muted { (lang.t(&t::NO_EVENTS)) }
        } @else {
            div.table-wrap {
                table.events {
                    thead { tr {
                        th { (lang.t(&t::TITLE)) }
                        th { (lang.t(&t::KIND)) }
                        th { (lang.t(&t::STARTS_AT)) }
                        th { (lang.t(&t::DISTRICT)) }
                        th { (lang.t(&t::REGISTERED_PEOPLE)) }
                    } }
                    tbody {
                        @for event in &events {
                            tr {
                                td { a href=(lang.link(&format!("/events/{}", event.id))) {
                                    (event.title.as_deref().unwrap_or("—"))
                                } }
                                td { (kind_name(event.kind.as_deref(), lang)) }
                                td { (event.starts_at.as_deref().map(|s| lang.time(s)).unwrap_or_default()) }
                                td { (event.district.as_deref().unwrap_or("")) }
                                td { a.people href=(lang.link(&format!("/events/{}/people", event.id))) {
                                    (lang.t(&t::REGISTER))
                                } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::show(lang, &user, title, "/events", body))
}

/// `GET /events/{id}`: live attendance.
pub async fn attendance(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let unknown = || PageError::not_found(format!("no event {id}"));
    let id: EventId = parse_id(&id, "event")?;
    let event = state.store.event(id).await?.ok_or_else(unknown)?;
    let attendance = state.store.attendance(id).await?.ok_or_else(unknown)?;
    let people: Vec<_> = attendance
        .attendees
        .iter()
        .filter_map(|a| a.person_id)
        .collect();
    let names = state.store.person_names(&people).await?;
    let title = event.title.clone().unwrap_or_else(|| id.to_string());
    let body = html! {
        h1 { (title) }
        p.muted {
            (kind_name(event.kind.as_deref(), lang))
            @if let Some(starts) = &event.starts_at { " · " (lang.time(starts)) }
            @if let Some(district) = &event.district { " · " (district) }
        }
        p {
            a href=(lang.link(&format!("/events/{id}/people"))) { (lang.t(&t::REGISTERED_PEOPLE)) } " · "
            a href=(lang.link(&format!("/events/{id}/edit"))) { (lang.t(&t::EDIT_EVENT)) }
        }
        h2 { (lang.t(&t::ATTENDANCE)) }
        p.figure {
            span.count data-count=(attendance.attendees.len()) { (attendance.attendees.len()) }
            span.fraction { (lang.t(&t::PEOPLE_PRESENT)) }
        }
        p.muted { (lang.t(&t::LIVE_NOTE)) }
        @if attendance.attendees.is_empty() {
            p.muted { (lang.t(&t::NO_ATTENDEES)) }
        } @else {
            div.table-wrap {
                table.attendees {
                    thead { tr {
                        th { (lang.t(&t::ATTENDEE)) }
                        th { (lang.t(&t::FIRST_SCAN)) }
                        th.num { (lang.t(&t::SCANS)) }
                        th { (lang.t(&t::CLOCK)) }
                    } }
                    tbody {
                        @for attendee in &attendance.attendees {
                            @let name = attendee.person_id.and_then(|p| names.get(&p));
                            tr.attendee {
                                td { (name.map_or(lang.t(&t::UNKNOWN_PERSON), String::as_str)) }
                                td { (lang.time_ms(attendee.first_scan_at_ms)) }
                                td.num { (attendee.scans) }
                                td {
                                    @if attendee.revoked_ticket {
                                        span.badge.not-met { "⚠ " (lang.t(&t::REVOKED_TICKET)) }
                                    }
                                    @if attendee.clock_skewed {
                                        span.badge.not-met { "⚠ " (lang.t(&t::CLOCK_SKEWED)) }
                                    } @else {
                                        span.muted { (lang.t(&t::CLOCK_OK)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { a href=(lang.link("/events")) { "← " (lang.t(&t::BACK)) } }
    };
    let here = format!("/events/{id}");
    let page = Page {
        lang,
        user: Some(&user),
        title: &title,
        here: &here,
        refresh: Some(REFRESH_SECONDS),
    };
    Ok(layout::ok(layout::page(&page, body)))
}
