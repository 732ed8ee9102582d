//! `/responses` and `/responses/{id}`: questionnaire responses to review, one response's
//! answers with every concurrent value, conflicts highlighted with a form to resolve each, and
//! the review form. Both forms go through the API's own code path
//! (`http::questionnaires::{resolve_answer, review_response}`), so the checks are the same.

use super::error::{parse_id, PageError};
use super::i18n::{t, Lang};
use super::layout::{self, csrf_field};
use super::session::{encode, see_other, CsrfForm, CsrfToken, WebUser};
use crate::problem::ApiError;
use crate::registry::districts::Districts;
use crate::review::{resolve_answer, review_response, view};
use crate::service::AppState;
use crate::store::{ResponseQuery, SessionUser};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use sachhon_shared::doc::FieldValue;
use sachhon_shared::questionnaire::{meta, Definition, QuestionKind};
use sachhon_shared::ResponseId;
use serde::Deserialize;

/// How many responses a page of the list shows.
const PAGE_SIZE: u32 = 100;

/// The list's query: a district, and the page (from 0).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    district: String,
    #[serde(default)]
    page: u32,
}

fn review_name(state: Option<&str>, lang: Lang) -> &'static str {
    match state {
        Some("received") => lang.t(&t::REVIEW_RECEIVED),
        Some("has_issues") => lang.t(&t::REVIEW_HAS_ISSUES),
        Some("approved") => lang.t(&t::REVIEW_APPROVED),
        _ => lang.t(&t::NOT_REVIEWED),
    }
}

fn yes_no(value: bool, lang: Lang) -> &'static str {
    lang.t(if value { &t::YES } else { &t::NO })
}

/// `GET /responses`: those in conflict first.
pub async fn list(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let mut responses = state
        .store
        .response_summaries(&ResponseQuery {
            facility: None,
            district: Some(query.district.clone()).filter(|d| !d.is_empty()),
            offset: query.page.saturating_mul(PAGE_SIZE),
            limit: PAGE_SIZE + 1,
        })
        .await?;
    let more = responses.len() > PAGE_SIZE as usize;
    responses.truncate(PAGE_SIZE as usize);
    let districts = Districts::load(&*state.store).await?;
    let page_link = |page: u32| {
        lang.link(&format!(
            "/responses?district={}&page={page}",
            encode(&query.district)
        ))
    };
    let title = lang.t(&t::RESPONSES_TITLE);
    let body = html! {
        h1 { (title) }
        form.inline.search method="get" action="/responses" {
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            select name="district" aria-label=(lang.t(&t::DISTRICT)) {
                option value="" { (lang.t(&t::ALL_DISTRICTS)) }
                @for district in districts.all() {
                    option value=(district.name) selected[district.name == query.district] { (district.name) }
                }
            }
            button type="submit" { (lang.t(&t::SHOW)) }
        }
        @if responses.is_empty() {
            p.muted { (lang.t(&t::NO_RESPONSES)) }
        } @else {
            div.table-wrap {
                table.responses {
                    thead { tr {
                        th { (lang.t(&t::FACILITY)) }
                        th { (lang.t(&t::DISTRICT)) }
                        th { (lang.t(&t::ANSWERED_AT)) }
                        th { (lang.t(&t::PASSES)) }
                        th.num { (lang.t(&t::CONFLICTS)) }
                        th { (lang.t(&t::REVIEW)) }
                    } }
                    tbody {
                        @for r in &responses {
                            tr class=[(r.conflicts > 0).then_some("conflict")] {
                                td { a href=(lang.link(&format!("/responses/{}", r.id))) {
                                    (r.facility_name.as_deref().unwrap_or("—"))
                                } }
                                td { (r.district.as_deref().unwrap_or("")) }
                                td { (r.answered_at.as_deref().map(|a| lang.time(a)).unwrap_or_default()) }
                                td { (yes_no(r.passes, lang)) }
                                td.num { (r.conflicts) }
                                td { (review_name(r.review.as_deref(), lang)) }
                            }
                        }
                    }
                }
            }
        }
        p.pages {
            @if query.page > 0 {
                a rel="prev" href=(page_link(query.page - 1)) { "← " (lang.t(&t::PREVIOUS_PAGE)) } " "
            }
            @if more {
                a.next rel="next" href=(page_link(query.page + 1)) { (lang.t(&t::NEXT_PAGE)) " →" }
            }
        }
    };
    Ok(layout::show(lang, &user, title, "/responses", body))
}

/// `GET /responses/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id::<ResponseId>(&id, "response")?;
    render(&state, lang, &user, id, None).await
}

/// The response page, with the error of a refused form when there was one.
async fn render(
    state: &AppState,
    lang: Lang,
    user: &SessionUser,
    id: ResponseId,
    error: Option<(StatusCode, String)>,
) -> Result<Response, PageError> {
    let (view, definition) = view(&*state.store, id).await?;
    let facility = match view.facility_id {
        Some(facility) => state.store.facility(facility).await?,
        None => None,
    };
    let title = format!(
        "{} · {}",
        lang.t(&t::RESPONSE_TITLE),
        facility
            .as_ref()
            .and_then(|f| f.name.clone())
            .unwrap_or_else(|| id.to_string())
    );
    let mut keys: Vec<&String> = Vec::new();
    if let Some(definition) = &definition {
        keys.extend(
            definition
                .questions
                .iter()
                .map(|q| &q.key)
                .filter(|k| view.answers.contains_key(*k)),
        );
    }
    keys.extend(
        view.answers
            .keys()
            .filter(|k| !keys.contains(k))
            .collect::<Vec<_>>(),
    );
    let action = |path: &str| lang.link(&format!("/responses/{id}/{path}"));
    let body = html! {
        h1 { (title) }
        @if let Some((_, message)) = &error {
            p.error role="alert" { (message) }
        }
        p.muted {
            @if let Some(definition) = &definition {
                (lang.t(&t::QUESTIONNAIRE)) ": " (definition.title.in_lang(lang.code()))
                @if let Some(version) = view.version { " (" (lang.t(&t::VERSION)) " " (version) ")" }
                " · "
            }
            @if let Some(facility) = &facility {
                (facility.district.as_deref().unwrap_or("")) " · "
            }
            @if let Some(at) = &view.answered_at { (lang.t(&t::ANSWERED_AT)) " " (lang.time(at)) }
        }
        p {
            (lang.t(&t::SCORE)) " " strong { (view.score.map(|s| lang.number(s)).unwrap_or_else(|| "—".into())) }
            " · " (lang.t(&t::PASSES)) " " strong { (view.passes.map_or("—", |p| yes_no(p, lang))) }
            " · " (lang.t(&t::REVIEW)) " " strong.review-state { (review_name(view.review.state.as_deref(), lang)) }
        }
        @if !view.conflicts.is_empty() {
            p.notice { (lang.t(&t::CONFLICT_NOTE)) }
        }
        div.table-wrap {
            table.answers {
                thead { tr {
                    th { (lang.t(&t::QUESTION)) }
                    th { (lang.t(&t::ANSWER)) }
                } }
                tbody {
                    @for key in &keys {
                        @let values = view.answers.get(*key).map(Vec::as_slice).unwrap_or_default();
                        @let conflicted = view.conflicts.contains(*key);
                        tr class=[conflicted.then_some("conflict")] data-key=(key) {
                            td { (question_label(definition.as_ref(), key, lang)) }
                            td {
                                @if conflicted {
                                    strong { (lang.t(&t::CONFLICT)) }
                                    ul.conflict-values {
                                        @for value in values {
                                            li { (shown(definition.as_ref(), key, value, lang)) }
                                        }
                                    }
                                    (resolve_form(user, &action(&format!("answers/{}", super::session::encode(key))), definition.as_ref(), key, values, lang))
                                } @else {
                                    @for value in values { (shown(definition.as_ref(), key, value, lang)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (lang.t(&t::REVIEW)) }
        form.card method="post" action=(action("review")) {
            (csrf_field(user))
            label for="state" { (lang.t(&t::REVIEW_STATE)) }
            select #state name="state" {
                @for state in meta::REVIEW_STATES {
                    option value=(state) selected[view.review.state.as_deref() == Some(*state)] {
                        (review_name(Some(state), lang))
                    }
                }
            }
            label for="comment" { (lang.t(&t::COMMENT)) }
            textarea #comment name="comment" rows="3" { (view.review.comment.as_deref().unwrap_or("")) }
            p { button type="submit" { (lang.t(&t::SAVE_REVIEW)) } }
        }
        p { a href=(lang.link("/responses")) { "← " (lang.t(&t::BACK)) } }
    };
    let here = format!("/responses/{id}");
    let status = error.map_or(StatusCode::OK, |(status, _)| status);
    Ok(layout::with_status(
        status,
        layout::show(lang, user, &title, &here, body),
    ))
}

fn resolve_form(
    user: &SessionUser,
    action: &str,
    definition: Option<&Definition>,
    key: &str,
    values: &[FieldValue],
    lang: Lang,
) -> Markup {
    html! {
        form.resolve method="post" action=(action) {
            (csrf_field(user))
            @for (i, value) in values.iter().enumerate() {
                label.choice {
                    input type="radio" name="choice" value=(value.to_string()) checked[i == 0];
                    (shown(definition, key, value, lang))
                }
            }
            label { (lang.t(&t::OR_TYPE)) }
            input type="text" name="typed" autocomplete="off";
            p { button type="submit" { (lang.t(&t::RESOLVE)) } }
        }
    }
}

fn question_label(definition: Option<&Definition>, key: &str, lang: Lang) -> String {
    definition
        .and_then(|d| d.question(key))
        .and_then(|q| q.label.as_ref())
        .map_or_else(|| key.to_string(), |l| l.in_lang(lang.code()).to_string())
}

/// An answer as a person reads it: choice labels, yes/no, numbers in the page's style.
fn shown(definition: Option<&Definition>, key: &str, value: &FieldValue, lang: Lang) -> String {
    let question = definition.and_then(|d| d.question(key));
    let choice = |text: &str| {
        question
            .and_then(|q| q.choices.iter().find(|c| c.key == text))
            .and_then(|c| c.label.as_ref())
            .map_or_else(|| text.to_string(), |l| l.in_lang(lang.code()).to_string())
    };
    match value {
        FieldValue::Null => "—".into(),
        FieldValue::Bool(b) => yes_no(*b, lang).into(),
        FieldValue::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| lang.number(f)),
        FieldValue::String(s) if question.is_some_and(|q| q.kind == QuestionKind::Text) => {
            s.clone()
        }
        FieldValue::String(s) => choice(s),
        FieldValue::Array(items) => items
            .iter()
            .map(|item| item.as_str().map_or_else(|| item.to_string(), choice))
            .collect::<Vec<_>>()
            .join(", "),
        FieldValue::Object(_) => value.to_string(),
    }
}

/// The resolve form as posted: one of the concurrent values (as JSON) or a typed one.
#[derive(Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    csrf: String,
    choice: Option<String>,
    typed: Option<String>,
}

impl CsrfToken for ResolveForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /responses/{id}/answers/{key}`.
pub async fn resolve(
    State(state): State<AppState>,
    lang: Lang,
    Path((id, key)): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm<ResolveForm>,
) -> Result<Response, PageError> {
    let id = parse_id::<ResponseId>(&id, "response")?;
    let value = match chosen_value(&state, id, &key, &form, lang).await {
        Ok(value) => value,
        Err(error) => return render_refused(&state, lang, &user, id, error).await,
    };
    match resolve_answer(&*state.store, id, &key, value).await {
        Ok(_) => Ok(see_other(&lang.link(&format!("/responses/{id}")))),
        Err(error) => render_refused(&state, lang, &user, id, error).await,
    }
}

/// The value a resolve form names: the typed text read as the question's type (as a phone's
/// `--set` is), else the chosen concurrent value.
async fn chosen_value(
    state: &AppState,
    id: ResponseId,
    key: &str,
    form: &ResolveForm,
    lang: Lang,
) -> Result<FieldValue, ApiError> {
    if let Some(typed) = form
        .typed
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let (_, definition) = view(&*state.store, id).await?;
        let definition = definition.ok_or_else(|| {
            ApiError::Conflict("the response's questionnaire version is unknown".into())
        })?;
        return definition
            .parse_answer(key, typed)
            .map_err(|e| ApiError::invalid("value", e.message));
    }
    let choice = form
        .choice
        .as_deref()
        .ok_or_else(|| ApiError::invalid("value", lang.t(&t::CHOOSE_OR_TYPE)))?;
    serde_json::from_str(choice).map_err(|_| ApiError::invalid("value", lang.t(&t::CHOOSE_OR_TYPE)))
}

/// The review form as posted.
#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    comment: Option<String>,
}

impl CsrfToken for ReviewForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /responses/{id}/review`.
pub async fn review(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<ReviewForm>,
) -> Result<Response, PageError> {
    let id = parse_id::<ResponseId>(&id, "response")?;
    match review_response(&*state.store, id, &form.state, form.comment).await {
        Ok(_) => Ok(see_other(&lang.link(&format!("/responses/{id}")))),
        Err(error) => render_refused(&state, lang, &user, id, error).await,
    }
}

/// A refused form: the page again with the reason (a value the questionnaire does not allow is
/// 422), or the error page when the response itself is the problem.
async fn render_refused(
    state: &AppState,
    lang: Lang,
    user: &SessionUser,
    id: ResponseId,
    error: ApiError,
) -> Result<Response, PageError> {
    match error {
        ApiError::Invalid { detail, .. } => {
            render(
                state,
                lang,
                user,
                id,
                Some((StatusCode::UNPROCESSABLE_ENTITY, detail)),
            )
            .await
        }
        ApiError::Conflict(detail) => {
            render(state, lang, user, id, Some((StatusCode::CONFLICT, detail))).await
        }
        other => Err(other.into()),
    }
}
