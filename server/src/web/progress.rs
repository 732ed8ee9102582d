//! `/`: progress against the plan's targets as of a date — the three indicators province-wide,
//! a bar chart per indicator by district with the target line, the district table, and the
//! yearly report's downloads. The figures are `crate::progress::report`'s, as the API's.

use super::chart::{bar_chart, Bar};
use super::error::PageError;
use super::i18n::{indicator_description, indicator_name, t, today, Lang};
use super::layout;
use super::session::{encode, WebUser};
use crate::progress::{report, ProgressReport};
use crate::service::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::{html, Markup};
use sachhon_shared::indicators::Indicator;
use serde::Deserialize;

/// Query of `/`.
#[derive(Deserialize)]
pub struct ProgressQuery {
    as_of: Option<String>,
}

/// `GET /?as_of=DATE`.
pub async fn page(
    State(state): State<AppState>,
    WebUser(user): WebUser,
    lang: Lang,
    Query(query): Query<ProgressQuery>,
) -> Result<Response, PageError> {
    let as_of = query
        .as_of
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(today);
    let progress = report(&*state.store, as_of.trim(), None).await?;
    let here = format!("/?as_of={}", encode(&progress.as_of));
    let title = lang.t(&t::PROGRESS_TITLE);
    Ok(layout::show(
        lang,
        &user,
        title,
        &here,
        body(&progress, lang, title),
    ))
}

fn body(progress: &ProgressReport, lang: Lang, title: &str) -> Markup {
    let as_of = encode(&progress.as_of);
    html! {
        h1 { (title) }
        form.inline method="get" action="/" {
            label for="as_of" { (lang.t(&t::AS_OF)) }
            input #as_of type="date" name="as_of" value=(progress.as_of) required;
            @if lang == Lang::En {
                input type="hidden" name="lang" value="en";
            }
            button type="submit" { (lang.t(&t::SHOW)) }
        }
        p.muted {
            (lang.t(&t::AS_OF)) " " strong.as-of { (lang.date(&progress.as_of)) }
            " · " (lang.t(&t::MILESTONE)) " " strong.milestone { (lang.date(&progress.milestone)) }
        }
        div.downloads {
            a href={"/api/v1/progress.xlsx?as_of=" (as_of)} download { (lang.t(&t::YEARLY_REPORT)) }
            a href={"/api/v1/progress.csv?as_of=" (as_of)} download { (lang.t(&t::CSV_TABLE)) }
        }
        section.indicators {
            @for (i, indicator) in progress.indicators.iter().enumerate() {
                @let name = lang.t(&indicator_name(indicator.key));
                @let bars: Vec<Bar<'_>> = progress.by_district.iter().map(|d| Bar {
                    label: &d.district,
                    value: d.indicators.get(i).and_then(|x| x.value),
                }).collect();
                div.indicator-row {
                    (card(indicator, lang))
                    figure.chart {
                        (bar_chart(indicator.key, name, &bars, indicator.target, lang))
                        figcaption {
                            (name) " · " (lang.t(&t::BY_DISTRICT)) " · "
                            (lang.t(&t::TARGET)) " " (lang.percent(indicator.target))
                        }
                    }
                }
            }
        }
        h2 { (lang.t(&t::BY_DISTRICT)) }
        (district_table(progress, lang))
    }
}

fn card(indicator: &Indicator, lang: Lang) -> Markup {
    html! {
        article.card.indicator data-key=(indicator.key) {
            h2 { (lang.t(&indicator_name(indicator.key))) }
            p.muted.area { (lang.t(&t::PROVINCE)) }
            p.figure {
                span.value { (value_text(indicator, lang)) }
                span.fraction { (indicator.numerator) "/" (indicator.denominator) }
            }
            p {
                span.target { (lang.t(&t::TARGET)) " " (lang.percent(indicator.target)) }
                " "
                (verdict(indicator, lang))
            }
            p.muted {
                (lang.t(&indicator_description(indicator.key)))
                @if let Some(floor) = indicator.min_savings_pct {
                    " " (lang.number(floor)) "% " (lang.t(&t::PER_UNIT))
                }
            }
        }
    }
}

fn value_text(indicator: &Indicator, lang: Lang) -> String {
    indicator
        .value
        .map_or_else(|| "—".to_string(), |v| lang.percent(v))
}

fn verdict(indicator: &Indicator, lang: Lang) -> Markup {
    html! {
        @if indicator.value.is_none() {
            span.badge.none { (lang.t(&t::NO_DATA)) }
        } @else if indicator.met {
            span.badge.met { (lang.t(&t::MET)) }
        } @else {
            span.badge.not-met { (lang.t(&t::NOT_MET)) }
        }
    }
}

fn district_table(progress: &ProgressReport, lang: Lang) -> Markup {
    html! {
        div.table-wrap {
            table.districts {
                thead {
                    tr {
                        th { (lang.t(&t::DISTRICT)) }
                        @for indicator in &progress.indicators {
                            th.num { (lang.t(&indicator_name(indicator.key))) }
                        }
                    }
                }
                tbody {
                    @for district in &progress.by_district {
                        tr data-district=(district.district) {
                            td { (district.district) }
                            @for indicator in &district.indicators {
                                td.num {
                                    (value_text(indicator, lang))
                                    " "
                                    span.muted { "(" (indicator.numerator) "/" (indicator.denominator) ")" }
                                }
                            }
                        }
                    }
                    tr.total {
                        th { (lang.t(&t::PROVINCE)) }
                        @for indicator in &progress.indicators {
                            th.num {
                                (value_text(indicator, lang)) " (" (indicator.numerator) "/" (indicator.denominator) ")"
                            }
                        }
                    }
                }
            }
        }
    }
}
