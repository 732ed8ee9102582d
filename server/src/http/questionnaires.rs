//! Questionnaires and responses: definitions and their versions, the merged view of a
//! response, resolving a conflict, the office's review, and the exports.

use super::export::{self, Cell, Table};
use super::extract::{Bytes, Json, PathId, PathText, Query};
use crate::auth::callers::{Admin, Office};
use crate::problem::ApiError;
use crate::registry::questionnaires;
use crate::service::AppState;
use crate::store::Store;
use crate::xlsform::{self, Refusal};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sachhon_shared::doc::FieldValue;
use sachhon_shared::questionnaire::{Definition, ResponseView};
use sachhon_shared::{QuestionnaireId, ResponseId};
use serde::Deserialize;
use serde_json::{json, Value};

/// Checks a definition and publishes it: version 1 of a new questionnaire (201), or the next
/// version of `existing` (200).
async fn publish(
    store: &dyn Store,
    existing: Option<QuestionnaireId>,
    definition: &Definition,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let (id, version) = questionnaires::publish(store, existing, definition).await?;
    let status = match existing {
        Some(_) => StatusCode::OK,
        None => StatusCode::CREATED,
    };
    Ok((status, axum::Json(json!({ "id": id, "version": version }))))
}

/// `POST /api/v1/questionnaires`: publishes version 1 of a new questionnaire.
///
/// Besides the types, a definition needs at least one question, unique keys of lowercase
/// letters, digits and `_`, choices on choice questions only, and `min ≤ max` on number
/// questions only (422 with the JSON path in `field`).
#[utoipa::path(
    post,
    path = "/api/v1/questionnaires",
    operation_id = "create_questionnaire",
    tag = "questionnaires",
    security(("bearer" = ["admin"])),
    request_body = Definition,
    responses((status = 201, description = "Published as version 1.",
        body = super::openapi::Published)),
)]
pub async fn create(
    State(state): State<AppState>,
    _: Admin,
    Json(definition): Json<Definition>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    publish(&*state.store, None, &definition).await
}

/// Query of `POST /api/v1/questionnaires/xlsform`.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct XlsformQuery {
    /// Publish the form as the next version of this questionnaire instead of a new one.
    questionnaire: Option<uuid::Uuid>,
}

/// `POST /api/v1/questionnaires/xlsform`: publishes an XLSForm (ODK, Kobo) as version 1 of a
/// new questionnaire, or with `?questionnaire=ID` as the next version of that one.
///
/// The body is the `.xlsx` workbook, whatever its `Content-Type`. Carried: `select_one`,
/// `select_multiple`, `integer`, `decimal`, `text` and `note` rows; labels in Vietnamese and
/// English (`label::Vietnamese (vi)`, `label::English (en)`, a plain `label` in the settings'
/// `default_language`, else Vietnamese); `constraint` ranges such as `. >= 0 and . <= 100` on
/// numbers; a `score` column in `choices`; `form_title` and `pass_mark` in `settings`.
/// Everything else that holds a value is refused, never dropped: 422 with `errors`, one item
/// per cell at fault (`sheet`, `row` from 1, `column` letter, `header`, `cell` such as
/// `survey!C7`, `message`), `field` the first `cell`. A body that is no `.xlsx` is refused
/// the same way, with no `sheet`.
#[utoipa::path(
    post,
    path = "/api/v1/questionnaires/xlsform",
    operation_id = "import_xlsform",
    tag = "questionnaires",
    security(("bearer" = ["admin", "office"])),
    params(XlsformQuery),
    request_body(content = super::openapi::Binary,
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        description = "The XLSForm workbook (sheets `survey`, `choices`, `settings`)."),
    responses(
        (status = 201, description = "Published as version 1 of a new questionnaire.",
            body = super::openapi::Published),
        (status = 200, description = "Published as the next version of `questionnaire`.",
            body = super::openapi::Published),
    ),
)]
pub async fn import_xlsform(
    State(state): State<AppState>,
    _: Office,
    Query(query): Query<XlsformQuery>,
    Bytes(body): Bytes,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let definition = xlsform::parse(&body).map_err(refused)?;
    let existing = query.questionnaire.map(QuestionnaireId);
    publish(&*state.store, existing, &definition)
        .await
        .map_err(|error| match (error, existing) {
            (ApiError::NotFound(_), Some(id)) => ApiError::invalid(
                "questionnaire",
                format!("no questionnaire {id}; leave questionnaire out to publish a new one"),
            ),
            (error, _) => error,
        })
}

/// The answer to a refused XLSForm: every refusal in `errors` (the first hundred), the first
/// few in `detail`.
fn refused(refusals: Vec<Refusal>) -> ApiError {
    const LISTED: usize = 100;
    const IN_DETAIL: usize = 5;
    let count = refusals.len();
    let mut detail = format!(
        "the XLSForm cannot be imported ({count} problem{}): {}",
        if count == 1 { "" } else { "s" },
        refusals
            .iter()
            .take(IN_DETAIL)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    );
    if count > IN_DETAIL {
        detail.push_str(&format!(
            "; and {} more in errors{}",
            count - IN_DETAIL,
            if count > LISTED {
                format!(" (the first {LISTED} are listed)")
            } else {
                String::new()
            }
        ));
    }
    let errors = refusals
        .iter()
        .take(LISTED)
        .map(|refusal| {
            json!({
                "sheet": refusal.sheet,
                "row": refusal.row,
                "column": refusal.column.as_ref().map(|c| &c.letter),
                "header": refusal.column.as_ref().and_then(|c| c.header.as_ref()),
                "cell": refusal.location(),
                "message": refusal.message,
            })
        })
        .collect();
    ApiError::InvalidEach {
        field: refusals.first().and_then(Refusal::location),
        detail,
        errors,
    }
}

/// `PUT /api/v1/questionnaires/{id}`: publishes the next version; responses keep theirs.
#[utoipa::path(
    put,
    path = "/api/v1/questionnaires/{id}",
    operation_id = "update_questionnaire",
    tag = "questionnaires",
    security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "The questionnaire.")),
    request_body = Definition,
    responses((status = 200, description = "Published as the next version.",
        body = super::openapi::Published)),
)]
pub async fn update(
    State(state): State<AppState>,
    _: Admin,
    PathId(id): PathId<QuestionnaireId>,
    Json(definition): Json<Definition>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    publish(&*state.store, Some(id), &definition).await
}

/// `GET /api/v1/questionnaires/{id}`: the newest version.
#[utoipa::path(
    get,
    path = "/api/v1/questionnaires/{id}",
    operation_id = "get_questionnaire",
    tag = "questionnaires",
    security(("bearer" = ["admin", "office"])),
    params(("id" = uuid::Uuid, Path, description = "The questionnaire.")),
    responses((status = 200, description = "The newest version and its definition.",
        body = super::openapi::QuestionnaireVersion)),
)]
pub async fn get(
    State(state): State<AppState>,
    _: Office,
    PathId(id): PathId<QuestionnaireId>,
) -> Result<axum::Json<Value>, ApiError> {
    let (version, definition) = latest(&*state.store, id).await?;
    Ok(axum::Json(
        json!({ "id": id, "version": version, "definition": definition }),
    ))
}

async fn latest(store: &dyn Store, id: QuestionnaireId) -> Result<(u32, Definition), ApiError> {
    store
        .questionnaire(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no questionnaire {id}")))
}

/// `GET /api/v1/responses/{id}`: answers with their concurrent values, and the conflicts.
#[utoipa::path(
    get,
    path = "/api/v1/responses/{id}",
    operation_id = "get_response",
    tag = "questionnaires",
    security(("bearer" = ["admin", "office"])),
    params(("id" = uuid::Uuid, Path, description = "The response.")),
    responses((status = 200, description = "The merged response.", body = ResponseView)),
)]
pub async fn response(
    State(state): State<AppState>,
    _: Office,
    PathId(id): PathId<ResponseId>,
) -> Result<axum::Json<ResponseView>, ApiError> {
    Ok(axum::Json(crate::review::view(&*state.store, id).await?.0))
}

/// Body of `PUT /api/v1/responses/{id}/answers/{key}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// The answer, typed as its question: a choice key, a list of choice keys, a number, a
    /// boolean or a string.
    #[schema(value_type = Value)]
    value: FieldValue,
}

/// `PUT /api/v1/responses/{id}/answers/{key}`: the office's value supersedes every value it
/// has seen; every replica converges on it.
///
/// The value is checked against the response's questionnaire version (422, `field: value`).
#[utoipa::path(
    put,
    path = "/api/v1/responses/{id}/answers/{key}",
    operation_id = "resolve_answer",
    tag = "questionnaires",
    security(("bearer" = ["admin", "office"])),
    params(
        ("id" = uuid::Uuid, Path, description = "The response."),
        ("key" = String, Path, description = "The question's key."),
    ),
    request_body = Resolution,
    responses((status = 200, description = "The merged response.", body = ResponseView)),
)]
pub async fn resolve(
    State(state): State<AppState>,
    _: Office,
    PathText((id, key)): PathText<(String, String)>,
    Json(resolution): Json<Resolution>,
) -> Result<axum::Json<ResponseView>, ApiError> {
    let id: ResponseId = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("{id:?} is not a known id")))?;
    Ok(axum::Json(
        crate::review::resolve_answer(&*state.store, id, &key, resolution.value).await?,
    ))
}

/// Body of `POST /api/v1/responses/{id}/review`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// The review.
    #[schema(value_type = super::openapi::ReviewState)]
    state: String,
    /// What the issues are (required with `has_issues`).
    #[schema(max_length = 10000)]
    comment: Option<String>,
}

/// `POST /api/v1/responses/{id}/review`: `received`, `has_issues` (with a comment) or
/// `approved`; it reaches the phone that answered on its next pull.
#[utoipa::path(
    post,
    path = "/api/v1/responses/{id}/review",
    operation_id = "review_response",
    tag = "questionnaires",
    security(("bearer" = ["admin", "office"])),
    params(("id" = uuid::Uuid, Path, description = "The response.")),
    request_body = ReviewInput,
    responses((status = 200, description = "The reviewed response.", body = ResponseView)),
)]
pub async fn review(
    State(state): State<AppState>,
    _: Office,
    PathId(id): PathId<ResponseId>,
    Json(input): Json<ReviewInput>,
) -> Result<axum::Json<ResponseView>, ApiError> {
    Ok(axum::Json(
        crate::review::review_response(&*state.store, id, &input.state, input.comment).await?,
    ))
}

/// Query of the exports.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `en` for English headers; Vietnamese otherwise.
    lang: Option<String>,
}

/// `GET /api/v1/questionnaires/{id}/responses.csv`: one row per response, one column per
/// question.
#[utoipa::path(
    get,
    path = "/api/v1/questionnaires/{id}/responses.csv",
    operation_id = "responses_csv",
    tag = "questionnaires",
    security(("bearer" = ["admin", "office"])),
    params(("id" = uuid::Uuid, Path, description = "The questionnaire."), ExportQuery),
    responses((status = 200, description = "The responses as CSV.", body = String,
        content_type = "text/csv")),
)]
pub async fn responses_csv(
    State(state): State<AppState>,
    _: Office,
    PathId(id): PathId<QuestionnaireId>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let table = responses_table(&*state.store, id, query.lang.as_deref()).await?;
    Ok(export::download(
        export::csv(&table)?,
        export::CSV,
        &format!("responses-{id}.csv"),
    ))
}

/// `GET /api/v1/questionnaires/{id}/responses.xlsx`: the same table as a workbook.
#[utoipa::path(
    get,
    path = "/api/v1/questionnaires/{id}/responses.xlsx",
    operation_id = "responses_xlsx",
    tag = "questionnaires",
    security(("bearer" = ["admin", "office"])),
    params(("id" = uuid::Uuid, Path, description = "The questionnaire."), ExportQuery),
    responses((status = 200, description = "The responses as XLSX.", body = super::openapi::Binary,
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
)]
pub async fn responses_xlsx(
    State(state): State<AppState>,
    _: Office,
    PathId(id): PathId<QuestionnaireId>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let table = responses_table(&*state.store, id, query.lang.as_deref()).await?;
    Ok(export::download(
        export::xlsx(&[table])?,
        export::XLSX,
        &format!("responses-{id}.xlsx"),
    ))
}

/// One row per response, one column per question of the newest version but its notes
/// (labels in `lang`);
/// a conflicted answer shows its values as `a | b`.
async fn responses_table(
    store: &dyn Store,
    id: QuestionnaireId,
    lang: Option<&str>,
) -> Result<Table, ApiError> {
    let lang = lang.unwrap_or("vi");
    let (_, definition) = latest(store, id).await?;
    let english = lang == "en";
    let fixed = if english {
        ["response", "facility", "district", "version", "answered at"]
    } else {
        ["phiếu", "cơ sở", "huyện", "phiên bản", "ngày trả lời"]
    };
    let mut headers: Vec<String> = fixed.iter().map(|h| h.to_string()).collect();
    headers.extend(definition.answerable().map(|q| {
        q.label
            .as_ref()
            .map_or(q.key.clone(), |l| l.in_lang(lang).to_string())
    }));
    let tail = if english {
        ["score", "passes", "review"]
    } else {
        ["điểm", "đạt", "duyệt"]
    };
    headers.extend(tail.iter().map(|h| h.to_string()));
    let mut rows = Vec::new();
    for row in store.responses_of(id).await? {
        let (view, _) = crate::review::view(store, row.id).await?;
        let mut cells = vec![
            Cell::Text(row.id.to_string()),
            Cell::from(row.facility_name),
            Cell::from(row.district),
            Cell::from(view.version.map(|v| v as f64)),
            Cell::from(view.answered_at.clone()),
        ];
        cells.extend(
            definition
                .answerable()
                .map(|q| answer_cell(view.answers.get(&q.key))),
        );
        cells.push(Cell::from(view.score));
        cells.push(view.passes.map_or(Cell::Empty, Cell::Bool));
        cells.push(Cell::from(view.review.state.clone()));
        rows.push(cells);
    }
    Ok(Table {
        name: if english {
            "Responses".into()
        } else {
            "Phiếu trả lời".into()
        },
        headers,
        rows,
    })
}

fn answer_cell(values: Option<&Vec<FieldValue>>) -> Cell {
    let Some(values) = values.filter(|v| !v.is_empty()) else {
        return Cell::Empty;
    };
    if let [single] = values.as_slice() {
        if let Some(n) = single.as_f64() {
            return Cell::Number(n);
        }
    }
    let text = |value: &FieldValue| match value {
        FieldValue::String(s) => s.clone(),
        FieldValue::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or(i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    Cell::Text(values.iter().map(text).collect::<Vec<_>>().join(" | "))
}
