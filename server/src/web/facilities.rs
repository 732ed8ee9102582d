//! `/facilities`: the registry of facilities, searchable by name or tax code (accents and case
//! ignored), filtered by district, in Vietnamese order, a page at a time; a facility's own page
//! (`/facilities/{id}`) with its id, people, responses and the events its people attended; and
//! the CSV import (`/facilities/import`), previewed before anything is written.

use super::error::{parse_id, PageError};
use super::form::{say, Upload};
use super::i18n::{t, Lang};
use super::layout::{self, csrf_field};
use super::session::{encode, WebUser};
use crate::registry::districts::Districts;
use crate::registry::facilities::{self, ImportReport, LineStatus};
use crate::service::AppState;
use crate::store::{ListCursor, ResponseQuery, Search};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{html, Markup};
use sachhon_shared::facility_csv::{self, CsvError};
use sachhon_shared::FacilityId;
use serde::Deserialize;

/// Facilities on one page of the list.
const PAGE_SIZE: u32 = 50;

/// The list's query: search text, district, and the cursor of the page.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    district: String,
    after: Option<String>,
}

/// `GET /facilities`.
pub async fn list(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let districts = Districts::load(&*state.store).await?;
    let search = Search {
        q: query.q.clone(),
        district: Some(query.district.clone()).filter(|d| !d.is_empty()),
        facility: None,
        after: query.after.as_deref().map(ListCursor::parse).transpose()?,
        limit: PAGE_SIZE,
    };
    let found = state.store.find_facilities(&search).await?;
    let (total, potential) = state.store.count_facilities(&search).await?;
    let title = lang.t(&t::FACILITIES_TITLE);
    let next = found.next.map(|cursor| {
        lang.link(&format!(
            "/facilities?q={}&district={}&after={}",
            encode(&query.q),
            encode(&query.district),
            cursor.format()
        ))
    });
    let body = html! {
        h1 { (title) }
        p { a.import href=(lang.link("/facilities/import")) { (lang.t(&t::IMPORT_CSV)) } }
        p.muted.count {
            (total) " " (lang.t(&t::FACILITIES_N)) " · "
            (potential) " " (lang.t(&t::WITH_POTENTIAL))
        }
        form.inline.search method="get" action="/facilities" {
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            input type="search" name="q" value=(query.q) placeholder=(lang.t(&t::SEARCH_NAME_TAX))
                aria-label=(lang.t(&t::SEARCH_NAME_TAX));
            select name="district" aria-label=(lang.t(&t::DISTRICT)) {
                option value="" { (lang.t(&t::ALL_DISTRICTS)) }
                @for district in districts.all() {
                    option value=(district.name) selected[district.name == query.district] { (district.name) }
                }
            }
            button type="submit" { (lang.t(&t::SEARCH)) }
        }
        @if found.items.is_empty() {
            p.muted { (lang.t(&t::NO_FACILITIES)) }
        } @else {
            div.table-wrap {
                table.facilities {
                    thead { tr {
                        th { (lang.t(&t::NAME)) }
                        th { (lang.t(&t::TAX_CODE)) }
                        th { (lang.t(&t::DISTRICT)) }
                        th { (lang.t(&t::SECTOR)) }
                        th { (lang.t(&t::CP_POTENTIAL)) }
                    } }
                    tbody {
                        @for facility in &found.items {
                            tr data-facility=(facility.id) {
                                td { a href=(lang.link(&format!("/facilities/{}", facility.id))) {
                                    (facility.name.as_deref().unwrap_or("—"))
                                } }
                                td { (facility.tax_code.as_deref().unwrap_or("")) }
                                td { (facility.district.as_deref().unwrap_or("")) }
                                td { (facility.sector.as_deref().unwrap_or("")) }
                                td { (yes_no(facility.cp_potential, lang)) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(next) = next {
            p { a.next rel="next" href=(next) { (lang.t(&t::NEXT_PAGE)) " →" } }
        }
    };
    Ok(layout::show(lang, &user, title, "/facilities", body))
}

fn yes_no(value: bool, lang: Lang) -> Markup {
    html! {
        @if value { span.badge.met { (lang.t(&t::YES)) } } @else { span.muted { (lang.t(&t::NO)) } }
    }
}

/// `GET /facilities/{id}`: the facility, its people, its responses and the events its people
/// attended.
pub async fn detail(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let unknown = || PageError::not_found(format!("no facility {id}"));
    let facility_id: FacilityId = parse_id(&id, "facility")?;
    let store = &*state.store;
    let facility = store.facility(facility_id).await?.ok_or_else(unknown)?;
    let people = store
        .find_people(&Search {
            facility: Some(facility_id),
            limit: crate::store::MAX_PAGE,
            ..Search::default()
        })
        .await?;
    let responses = store
        .response_summaries(&ResponseQuery {
            facility: Some(facility_id),
            limit: 100,
            ..ResponseQuery::default()
        })
        .await?;
    let attended = store.facility_attendance(facility_id).await?;
    let title = facility.name.clone().unwrap_or_else(|| id.clone());
    let body = html! {
        h1 { (title) }
        dl.facility {
            dt { "ID" } dd { code.id { (facility_id) } }
            dt { (lang.t(&t::TAX_CODE)) } dd { (facility.tax_code.as_deref().unwrap_or("")) }
            dt { (lang.t(&t::DISTRICT)) } dd { (facility.district.as_deref().unwrap_or("")) }
            dt { (lang.t(&t::SECTOR)) } dd { (facility.sector.as_deref().unwrap_or("")) }
            dt { (lang.t(&t::CP_POTENTIAL)) } dd { (yes_no(facility.cp_potential, lang)) }
        }
        h2 { (lang.t(&t::PEOPLE)) }
        @if people.items.is_empty() {
            p.muted { (lang.t(&t::NO_PEOPLE)) }
        } @else {
            ul.people {
                @for person in &people.items {
                    li { (person.name.as_deref().unwrap_or("—"))
                        @if person.cp_staff { " · " span.badge.met { (lang.t(&t::CP_STAFF)) } } }
                }
            }
        }
        h2 { (lang.t(&t::NAV_RESPONSES)) }
        @if responses.is_empty() {
            p.muted { (lang.t(&t::NO_RESPONSES)) }
        } @else {
            ul.responses {
                @for response in &responses {
                    li { a href=(lang.link(&format!("/responses/{}", response.id))) {
                        (response.answered_at.as_deref().map(|at| lang.time(at)).unwrap_or_default())
                    } " · "
                        @if response.passes { span.badge.met { (lang.t(&t::PASSES)) } }
                        @else { span.badge.not-met { (lang.t(&t::DOES_NOT_PASS)) } }
                    }
                }
            }
        }
        h2 { (lang.t(&t::ATTENDANCE)) }
        @if attended.is_empty() {
            p.muted { (lang.t(&t::NO_ATTENDANCE)) }
        } @else {
            ul.attended {
                @for attended in &attended {
                    li { a href=(lang.link(&format!("/events/{}", attended.event.id))) {
                        (attended.event.title.as_deref().unwrap_or("—"))
                    } " · " (attended.people) " " (lang.t(&t::PEOPLE_PRESENT)) }
                }
            }
        }
        p { a href=(lang.link("/facilities")) { "← " (lang.t(&t::BACK)) } }
    };
    Ok(layout::show(
        lang,
        &user,
        &title,
        &format!("/facilities/{id}"),
        body,
    ))
}

/// `GET /facilities/import`: the upload form.
pub async fn import_form(WebUser(user): WebUser, lang: Lang) -> Result<Response, PageError> {
    let body = import_page(&user, lang, None, None);
    Ok(layout::show(
        lang,
        &user,
        lang.t(&t::IMPORT_CSV),
        "/facilities/import",
        body,
    ))
}

/// `POST /facilities/import`: with `step=preview`, what the file would create, update and
/// refuse, and a button that imports the same file; with `step=import`, the import itself.
pub async fn import(
    State(state): State<AppState>,
    lang: Lang,
    upload: Upload,
) -> Result<Response, PageError> {
    let csv = match upload.file("file") {
        Some(bytes) => String::from_utf8(bytes.to_vec()).ok(),
        None => Some(upload.fields.get("csv").to_string()),
    };
    let write = upload.fields.get("step") == "import";
    let outcome = match csv.as_deref().map(facility_csv::parse) {
        None => Err(lang.t(&t::NOT_UTF8).to_string()),
        Some(Err(CsvError::WrongHeader)) => Err(lang.t(&t::WRONG_HEADER).to_string()),
        Some(Err(error)) => Err(error.to_string()),
        Some(Ok(lines)) => Ok(facilities::import(&*state.store, lines, write).await?),
    };
    let body = match outcome {
        Ok(report) => import_page(
            &upload.user,
            lang,
            Some((csv.unwrap_or_default(), report, write)),
            None,
        ),
        Err(message) => import_page(&upload.user, lang, None, Some(message)),
    };
    Ok(layout::show(
        lang,
        &upload.user,
        lang.t(&t::IMPORT_CSV),
        "/facilities/import",
        body,
    ))
}

/// The import page: the form, then a preview (with the confirming button) or the result.
fn import_page(
    user: &crate::store::SessionUser,
    lang: Lang,
    report: Option<(String, ImportReport, bool)>,
    error: Option<String>,
) -> Markup {
    let action = lang.link("/facilities/import");
    html! {
        h1 { (lang.t(&t::IMPORT_CSV)) }
        p.muted { (lang.t(&t::IMPORT_NOTE)) }
        @if let Some(error) = error { p.error role="alert" { (error) } }
        @match report {
            None => {
                form.card.import method="post" action=(action) enctype="multipart/form-data" {
                    (csrf_field(user))
                    input type="hidden" name="step" value="preview";
                    label for="file" { (lang.t(&t::CSV_FILE)) }
                    input type="file" id="file" name="file" accept=".csv,text/csv";
                    button type="submit" { (lang.t(&t::PREVIEW)) }
                }
            }
            Some((csv, report, written)) => {
                @if written {
                    p.notice.done { (lang.t(&t::IMPORT_DONE)) }
                } @else {
                    p.notice { (lang.t(&t::PREVIEW_NOTE)) }
                }
                p.summary {
                    span.created { (report.imported) " " (lang.t(&t::WILL_CREATE)) } " · "
                    span.updated { (report.updated) " " (lang.t(&t::WILL_UPDATE)) } " · "
                    span.refused { (report.errors.len()) " " (lang.t(&t::REFUSED_LINES)) }
                }
                @if !report.errors.is_empty() {
                    h2 { (lang.t(&t::REFUSED_LINES)) }
                    ul.refused-lines {
                        @for line in &report.errors {
                            li data-line=(line.line) {
                                (lang.t(&t::LINE)) " " (line.line) ": "
                                @match &line.refused {
                                    Some(refused) => (say(refused, lang)),
                                    None => (line.message),
                                }
                            }
                        }
                    }
                }
                div.table-wrap {
                    table.import-rows {
                        thead { tr {
                            th.num { (lang.t(&t::LINE)) }
                            th { (lang.t(&t::NAME)) }
                            th { (lang.t(&t::STATUS)) }
                            @if written { th { "ID" } }
                        } }
                        tbody {
                            @for row in &report.rows {
                                tr data-line=(row.line) {
                                    td.num { (row.line) }
                                    td {
                                        @if written {
                                            a href=(lang.link(&format!("/facilities/{}", row.id))) { (row.name) }
                                        } @else { (row.name) }
                                    }
                                    td { @match row.status {
                                        LineStatus::Created => (lang.t(&t::STATUS_CREATED)),
                                        LineStatus::Updated => (lang.t(&t::STATUS_UPDATED)),
                                    } }
                                    @if written { td { code { (row.id) } } }
                                }
                            }
                        }
                    }
                }
                @if !written && !report.rows.is_empty() {
                    form.confirm method="post" action=(action) enctype="multipart/form-data" {
                        (csrf_field(user))
                        input type="hidden" name="step" value="import";
                        textarea name="csv" hidden { (csv) }
                        button type="submit" { (lang.t(&t::IMPORT_CONFIRM)) }
                    }
                }
                p { a href=(action) { (lang.t(&t::IMPORT_ANOTHER)) } }
            }
        }
    }
}
