//! `/plan`: the plan's task table (the decision's appendix) with the office's follow-up — a
//! form per task to set its status and note.

use super::error::PageError;
use super::i18n::{t, Lang};
use super::layout::{self, csrf_field};
use super::session::{see_other, CsrfForm, CsrfToken, WebUser};
use crate::service::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;
use sachhon_shared::indicators::TASK_STATUSES;
use serde::Deserialize;

/// The longest note kept, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

fn status_name(status: &str, lang: Lang) -> &'static str {
    match status {
        "in_progress" => lang.t(&t::TASK_IN_PROGRESS),
        "done" => lang.t(&t::TASK_DONE),
        _ => lang.t(&t::TASK_NOT_STARTED),
    }
}

/// `GET /plan`.
pub async fn page(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
) -> Result<Response, PageError> {
    let plan = state.store.plan().await?;
    let title = lang.t(&t::PLAN_TITLE);
    let body = html! {
        h1 { (title) }
        p.muted { (plan.decision) }
        div.table-wrap {
            table.tasks {
                thead { tr {
                    th.num { (lang.t(&t::NUMBER)) }
                    th { (lang.t(&t::CONTENT)) }
                    th { (lang.t(&t::LEAD_AGENCY)) }
                    th { (lang.t(&t::COORDINATING)) }
                    th { (lang.t(&t::DEADLINE)) }
                    th { (lang.t(&t::STATUS)) " / " (lang.t(&t::NOTE)) }
                } }
                tbody {
                    @for task in &plan.tasks {
                        tr #{"task-" (task.number)} data-status=(task.status) {
                            td.num { (task.number) }
                            td { (task.content) }
                            td { (task.lead_agency) }
                            td { (task.coordinating_agencies) }
                            td { (task.deadline) }
                            td {
                                form.task method="post" action=(lang.link(&format!("/plan/tasks/{}", task.number))) {
                                    (csrf_field(&user))
                                    select name="status" aria-label=(lang.t(&t::STATUS)) {
                                        @for status in TASK_STATUSES {
                                            option value=(status) selected[task.status == *status] {
                                                (status_name(status, lang))
                                            }
                                        }
                                    }
                                    input type="text" name="note" value=(task.note)
                                        aria-label=(lang.t(&t::NOTE)) placeholder=(lang.t(&t::NOTE))
                                        maxlength=(MAX_NOTE_CHARS);
                                    button type="submit" { (lang.t(&t::SAVE)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::show(lang, &user, title, "/plan", body))
}

/// A task's follow-up as posted.
#[derive(Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

impl CsrfToken for TaskForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /plan/tasks/{number}`: checked by the store as the API's `PUT` is.
pub async fn update(
    State(state): State<AppState>,
    lang: Lang,
    Path(number): Path<String>,
    CsrfForm { form, .. }: CsrfForm<TaskForm>,
) -> Result<Response, PageError> {
    let number: u32 = number
        .parse()
        .map_err(|_| PageError::not_found(format!("no task {number}")))?;
    let note = form.note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(PageError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            format!("the note must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    state.store.update_task(number, &form.status, note).await?;
    Ok(see_other(&format!("{}#task-{number}", lang.link("/plan"))))
}
