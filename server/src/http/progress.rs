//! `/api/v1/progress` as JSON, CSV and the yearly report workbook; the plan's task table.

use super::export::{self, Cell, Table};
use super::extract::{Json, PathId, Query};
use crate::auth::callers::Office;
use crate::problem::ApiError;
use crate::progress::{report, ProgressReport};
use crate::service::AppState;
use axum::extract::State;
use axum::response::Response;
use sachhon_shared::indicators::{Indicator, Plan};
use serde::Deserialize;
use serde_json::{json, Value};

/// Query of the progress endpoints.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// The date, `YYYY-MM-DD` in 2000–2099; today (UTC) when left out.
    #[param(format = Date)]
    as_of: Option<String>,
    /// A district: the top-level indicators are that district's.
    district: Option<String>,
}

impl ProgressQuery {
    fn as_of(&self) -> String {
        self.as_of
            .clone()
            .unwrap_or_else(|| time::OffsetDateTime::now_utc().date().to_string())
    }
}

/// `GET /api/v1/progress?as_of=DATE[&district=NAME]`: the indicators against the milestone
/// `as_of` falls under, province-wide and per district.
#[utoipa::path(
    get,
    path = "/api/v1/progress",
    operation_id = "progress",
    tag = "progress",
    security(("bearer" = ["admin", "office"])),
    params(ProgressQuery),
    responses((status = 200, description = "The progress report.",
        body = super::openapi::ProgressReport)),
)]
pub async fn progress(
    State(state): State<AppState>,
    _: Office,
    Query(query): Query<ProgressQuery>,
) -> Result<axum::Json<ProgressReport>, ApiError> {
    let progress = report(&*state.store, &query.as_of(), query.district.as_deref()).await?;
    Ok(axum::Json(progress))
}

/// `GET /api/v1/progress.csv?as_of=DATE`: one row per indicator and area.
#[utoipa::path(
    get,
    path = "/api/v1/progress.csv",
    operation_id = "progress_csv",
    tag = "progress",
    security(("bearer" = ["admin", "office"])),
    params(ProgressQuery),
    responses((status = 200, description = "Columns `district, indicator, numerator, \
        denominator, value, target, met, min_savings_pct`, the province first.",
        body = String, content_type = "text/csv")),
)]
pub async fn progress_csv(
    State(state): State<AppState>,
    _: Office,
    Query(query): Query<ProgressQuery>,
) -> Result<Response, ApiError> {
    let progress = report(&*state.store, &query.as_of(), query.district.as_deref()).await?;
    let plan = state.store.plan().await?;
    let table = indicator_table("progress", &progress, &plan, None);
    Ok(export::download(
        export::csv(&table)?,
        export::CSV,
        &format!("progress-{}.csv", progress.as_of),
    ))
}

/// `GET /api/v1/progress.xlsx?as_of=DATE`: the yearly report — a cover sheet, one sheet per
/// indicator by district, and the task table.
#[utoipa::path(
    get,
    path = "/api/v1/progress.xlsx",
    operation_id = "progress_xlsx",
    tag = "progress",
    security(("bearer" = ["admin", "office"])),
    params(ProgressQuery),
    responses((status = 200, description = "The yearly report workbook.",
        body = super::openapi::Binary,
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
)]
pub async fn progress_xlsx(
    State(state): State<AppState>,
    _: Office,
    Query(query): Query<ProgressQuery>,
) -> Result<Response, ApiError> {
    let progress = report(&*state.store, &query.as_of(), query.district.as_deref()).await?;
    let plan = state.store.plan().await?;
    let mut sheets = vec![cover(&progress, &plan)];
    for key in sachhon_shared::indicators::INDICATORS {
        sheets.push(indicator_table(key, &progress, &plan, Some(key)));
    }
    sheets.push(tasks_table(&plan));
    Ok(export::download(
        export::xlsx(&sheets)?,
        export::XLSX,
        &format!("progress-{}.xlsx", progress.as_of),
    ))
}

const PROVINCE_ROW: &str = "Toàn tỉnh";

fn cover(progress: &ProgressReport, plan: &Plan) -> Table {
    let row = |label: &str, value: &str| vec![Cell::Text(label.into()), Cell::Text(value.into())];
    Table {
        name: "Báo cáo".into(),
        headers: vec!["Mục".into(), "Nội dung".into()],
        rows: vec![
            row("Tỉnh", &plan.province),
            row("Căn cứ", &plan.decision),
            row("Số liệu đến ngày", &progress.as_of),
            row("Mốc mục tiêu", &progress.milestone),
        ],
    }
}

/// Rows of (area, indicator); `only` keeps one indicator (a workbook sheet).
fn indicator_table(
    name: &str,
    progress: &ProgressReport,
    plan: &Plan,
    only: Option<&str>,
) -> Table {
    let headers = [
        "district",
        "indicator",
        "numerator",
        "denominator",
        "value",
        "target",
        "met",
        "min_savings_pct",
    ];
    let areas = std::iter::once((
        format!("{PROVINCE_ROW} {}", plan.province),
        &progress.indicators,
    ))
    .chain(
        progress
            .by_district
            .iter()
            .map(|d| (d.district.clone(), &d.indicators)),
    );
    let mut rows = Vec::new();
    for (area, indicators) in areas {
        for indicator in indicators
            .iter()
            .filter(|i| only.is_none_or(|k| k == i.key))
        {
            rows.push(indicator_row(&area, indicator));
        }
    }
    Table {
        name: name.into(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
    }
}

fn indicator_row(area: &str, indicator: &Indicator) -> Vec<Cell> {
    vec![
        Cell::Text(area.to_string()),
        Cell::Text(indicator.key.to_string()),
        Cell::Number(indicator.numerator as f64),
        Cell::Number(indicator.denominator as f64),
        Cell::from(indicator.value),
        Cell::Number(indicator.target),
        Cell::Bool(indicator.met),
        Cell::from(indicator.min_savings_pct),
    ]
}

fn tasks_table(plan: &Plan) -> Table {
    let headers = [
        "STT",
        "Nội dung",
        "Cơ quan thực hiện",
        "Cơ quan phối hợp",
        "Thời gian hoàn thành",
        "Tình trạng",
        "Ghi chú",
    ];
    Table {
        name: "Nhiệm vụ".into(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows: plan
            .tasks
            .iter()
            .map(|t| {
                vec![
                    Cell::Number(f64::from(t.number)),
                    Cell::Text(t.content.clone()),
                    Cell::Text(t.lead_agency.clone()),
                    Cell::Text(t.coordinating_agencies.clone()),
                    Cell::Text(t.deadline.clone()),
                    Cell::Text(t.status.clone()),
                    Cell::Text(t.note.clone()),
                ]
            })
            .collect(),
    }
}

/// `GET /api/v1/plan`: milestones, targets and tasks with their status.
#[utoipa::path(
    get,
    path = "/api/v1/plan",
    operation_id = "get_plan",
    tag = "progress",
    security(("bearer" = ["admin", "office"])),
    responses((status = 200, description = "The plan.", body = super::openapi::Plan)),
)]
pub async fn plan(State(state): State<AppState>, _: Office) -> Result<axum::Json<Plan>, ApiError> {
    Ok(axum::Json(state.store.plan().await?))
}

/// Body of `PUT /api/v1/plan/tasks/{number}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskUpdate {
    /// The task's status.
    #[schema(value_type = super::openapi::TaskStatus)]
    status: String,
    /// The office's note (empty when left out).
    #[serde(default)]
    #[schema(max_length = 10000)]
    note: String,
}

/// `PUT /api/v1/plan/tasks/{number}`: the office's follow-up of a task.
#[utoipa::path(
    put,
    path = "/api/v1/plan/tasks/{number}",
    operation_id = "update_plan_task",
    tag = "progress",
    security(("bearer" = ["admin", "office"])),
    params(("number" = u32, Path, description = "The task's number in the plan's appendix.")),
    request_body = TaskUpdate,
    responses((status = 200, description = "The follow-up as recorded.",
        body = super::openapi::TaskFollowUp)),
)]
pub async fn update_task(
    State(state): State<AppState>,
    _: Office,
    PathId(number): PathId<u32>,
    Json(update): Json<TaskUpdate>,
) -> Result<axum::Json<Value>, ApiError> {
    state
        .store
        .update_task(number, &update.status, &update.note)
        .await?;
    Ok(axum::Json(
        json!({ "number": number, "status": update.status, "note": update.note }),
    ))
}
