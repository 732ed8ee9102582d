//! `/questionnaires`: every questionnaire's newest version with its responses, and the upload
//! that publishes a new questionnaire or a new version of one — an XLSForm workbook (`.xlsx`,
//! as ODK and KoboToolbox users make them) or a JSON definition (docs/api.md). A refused file
//! comes back with every refusal (sheet, row and column for an XLSForm).

use super::error::{parse_id, PageError};
use super::form::{say, Upload};
use super::i18n::{t, Lang};
use super::layout::{self, csrf_field};
use super::session::WebUser;
use crate::registry::questionnaires;
use crate::registry::SetupError;
use crate::service::AppState;
use crate::store::SessionUser;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use sachhon_shared::questionnaire::Definition;
use sachhon_shared::QuestionnaireId;

/// `GET /questionnaires`.
pub async fn list(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
) -> Result<Response, PageError> {
    page(&state, &user, lang, &[], None).await
}

/// The page, with the refusals of an upload and the version just published, if any.
async fn page(
    state: &AppState,
    user: &SessionUser,
    lang: Lang,
    refusals: &[String],
    published: Option<(QuestionnaireId, u32)>,
) -> Result<Response, PageError> {
    let all = state.store.questionnaires().await?;
    let title = lang.t(&t::QUESTIONNAIRES_TITLE);
    let body = html! {
        h1 { (title) }
        @if let Some((id, version)) = published {
            p.notice.published data-id=(id) { (lang.t(&t::PUBLISHED)) " · " (lang.t(&t::VERSION)) " " (version) }
        }
        @if !refusals.is_empty() {
            div.refusals role="alert" {
                p.error { (lang.t(&t::UPLOAD_REFUSED)) }
                ul { @for refusal in refusals { li.error { (refusal) } } }
            }
        }
        (upload_form(user, lang, "/questionnaires", &t::NEW_QUESTIONNAIRE))
        @if all.is_empty() {
            p.muted { (lang.t(&t::NO_QUESTIONNAIRES)) }
        } @else {
            div.table-wrap {
                table.questionnaires {
                    thead { tr {
                        th { (lang.t(&t::TITLE)) }
                        th.num { (lang.t(&t::VERSION)) }
                        th { (lang.t(&t::PUBLISHED)) }
                        th.num { (lang.t(&t::NAV_RESPONSES)) }
                        th { (lang.t(&t::NEW_VERSION)) }
                    } }
                    tbody {
                        @for questionnaire in &all {
                            tr data-questionnaire=(questionnaire.id) {
                                td { (questionnaire.title.in_lang(lang.code()))
                                    br; code.id { (questionnaire.id) } }
                                td.num { (questionnaire.version) }
                                td { (lang.time(&questionnaire.published_at)) }
                                td.num { (questionnaire.responses) }
                                td { (upload_form(user, lang,
                                    &format!("/questionnaires/{}/versions", questionnaire.id),
                                    &t::UPLOAD)) }
                            }
                        }
                    }
                }
            }
        }
    };
    let response = layout::show(lang, user, title, "/questionnaires", body);
    Ok(match refusals.is_empty() {
        true => response,
        false => layout::with_status(StatusCode::UNPROCESSABLE_ENTITY, response),
    })
}

fn upload_form(user: &SessionUser, lang: Lang, action: &str, button: &super::i18n::Text) -> Markup {
    html! {
        form.inline.upload method="post" action=(lang.link(action)) enctype="multipart/form-data" {
            (csrf_field(user))
            input type="file" name="file" accept=".xlsx,.json,application/json"
                aria-label=(lang.t(&t::QUESTIONNAIRE_FILE));
            button type="submit" { (lang.t(button)) }
        }
    }
}

/// `POST /questionnaires`: publishes version 1 of a new questionnaire from the file.
pub async fn create(
    State(state): State<AppState>,
    lang: Lang,
    upload: Upload,
) -> Result<Response, PageError> {
    publish(&state, lang, upload, None).await
}

/// `POST /questionnaires/{id}/versions`: publishes the next version from the file.
pub async fn new_version(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    upload: Upload,
) -> Result<Response, PageError> {
    let id: QuestionnaireId = parse_id(&id, "questionnaire")?;
    publish(&state, lang, upload, Some(id)).await
}

async fn publish(
    state: &AppState,
    lang: Lang,
    upload: Upload,
    existing: Option<QuestionnaireId>,
) -> Result<Response, PageError> {
    let definition = match upload.file("file") {
        None => Err(vec![lang.t(&t::NO_FILE).to_string()]),
        Some(bytes) => read_definition(bytes, lang),
    };
    let definition = match definition {
        Ok(definition) => definition,
        Err(refusals) => return page(state, &upload.user, lang, &refusals, None).await,
    };
    match questionnaires::publish(&*state.store, existing, &definition).await {
        Ok(published) => page(state, &upload.user, lang, &[], Some(published)).await,
        Err(SetupError::Refused(refused)) => {
            page(state, &upload.user, lang, &[say(&refused, lang)], None).await
        }
        Err(SetupError::Store(error)) => Err(error.into()),
    }
}

/// The definition in an uploaded file: an XLSForm workbook (a zip, `PK…`) or JSON; what
/// cannot be read is answered as the page's refusals.
fn read_definition(bytes: &[u8], lang: Lang) -> Result<Definition, Vec<String>> {
    if bytes.starts_with(b"PK") {
        return crate::xlsform::parse(bytes)
            .map_err(|refusals| refusals.iter().map(ToString::to_string).collect());
    }
    serde_json::from_slice(bytes)
        .map_err(|error| vec![format!("{}: {error}", lang.t(&t::NOT_A_DEFINITION))])
}
