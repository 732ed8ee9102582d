//! `/facilities`: the registry of facilities, with the CP-potential flag that makes the
//! indicators' denominator.

use super::error::PageError;
use super::i18n::{t, Lang};
use super::layout::{self, Page};
use super::session::WebUser;
use crate::http::AppState;
use axum::extract::State;
use axum::response::Response;
use maud::html;

/// `GET /facilities`.
pub async fn list(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
) -> Result<Response, PageError> {
    let facilities = state.store.facilities().await?;
    let potential = facilities.iter().filter(|f| f.cp_potential).count();
    let title = lang.t(&t::FACILITIES_TITLE);
    let body = html! {
        h1 { (title) }
        p.muted {
            (facilities.len()) " " (lang.t(&t::FACILITIES_N)) " · "
            (potential) " " (lang.t(&t::WITH_POTENTIAL))
        }
        @if facilities.is_empty() {
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
                        @for facility in &facilities {
                            tr {
                                td { (facility.name.as_deref().unwrap_or("—")) }
                                td { (facility.tax_code.as_deref().unwrap_or("")) }
                                td { (facility.district.as_deref().unwrap_or("")) }
                                td { (facility.sector.as_deref().unwrap_or("")) }
                                td {
                                    @if facility.cp_potential {
                                        span.badge.met { (lang.t(&t::YES)) }
                                    } @else {
                                        span.muted { (lang.t(&t::NO)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let page = Page {
        lang,
        user: Some(&user),
        title,
        here: "/facilities",
        refresh: None,
    };
    Ok(layout::ok(layout::page(&page, body)))
}
