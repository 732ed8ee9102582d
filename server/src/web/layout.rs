//! The one layout of the pages: head with the inline style sheet (no external assets: the
//! office LAN may be offline), the navigation, and the security headers of every page.

use super::i18n::{t, Lang, Text};
use crate::store::{SessionUser, UserRole};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The style sheet, inline. Mobile first: one column, tables scroll sideways inside their box.
const STYLE: &str = r#"
:root{--ink:#1d2733;--muted:#5b6776;--line:#d8dee6;--bg:#f5f7f9;--card:#fff;--brand:#1f6f50;--warn:#b45309;--bad:#b91c1c;--good:#15803d}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--brand)}
header.top{background:var(--brand);color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
header.top a{color:#fff}
header.top .brand{font-weight:700;text-decoration:none;margin-right:auto}
nav.main{display:flex;flex-wrap:wrap;gap:.25rem .9rem}
nav.main a{text-decoration:none;padding:.15rem 0;border-bottom:2px solid transparent}
nav.main a.current{border-bottom-color:#fff}
.account{display:flex;gap:.5rem;align-items:center;font-size:.9rem}
.account form{margin:0}
.account button{background:transparent;color:#fff;border:1px solid #fff8;padding:.2rem .6rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
main.narrow{max-width:26rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.muted{color:var(--muted)}
.error{color:var(--bad);font-weight:600}
.notice{background:#fff7ed;border:1px solid #fed7aa;padding:.5rem .75rem;border-radius:.4rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:.75rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem}
.card h2{margin:0 0 .25rem;font-size:1rem}
.figure{font-size:1.8rem;font-weight:700;margin:.25rem 0}
.fraction{color:var(--muted);font-size:1rem;font-weight:400;margin-left:.4rem}
.badge{display:inline-block;border-radius:1rem;padding:.05rem .6rem;font-size:.85rem;font-weight:600}
.badge.met{background:#dcfce7;color:var(--good)}
.badge.not-met{background:#fee2e2;color:var(--bad)}
.badge.none{background:#e5e7eb;color:var(--muted)}
.table-wrap{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:.5rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;color:var(--muted);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap}
tr.conflict td{background:#fff7ed}
.conflict-values{margin:0;padding-left:1.1rem}
form.inline{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
label{display:block;font-size:.9rem;margin:.4rem 0 .15rem}
input,select,textarea,button{font:inherit;padding:.4rem .55rem;border:1px solid var(--line);border-radius:.35rem;max-width:100%}
input[type=text],input[type=password],textarea{width:100%}
button{background:var(--brand);color:#fff;border-color:var(--brand);cursor:pointer}
.downloads{display:flex;flex-wrap:wrap;gap:.5rem 1rem;margin:.5rem 0 1rem}
figure.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.5rem}
figure.chart svg{width:100%;height:auto;display:block}
figure.chart figcaption{font-size:.9rem;color:var(--muted);padding:0 .25rem}
.indicator-row{display:grid;grid-template-columns:minmax(14rem,1fr) 2fr;gap:.75rem;margin-bottom:.75rem;align-items:stretch}
.card .area{margin:0;font-size:.85rem}
.qr{max-width:20rem;background:#fff;padding:1rem;border:1px solid var(--line)}
.qr img{width:100%;height:auto;display:block}
.choice{display:flex;gap:.4rem;align-items:center;margin:.2rem 0}
.choice input{width:auto}
@media (max-width:40rem){main{padding:.75rem}h1{font-size:1.2rem}.figure{font-size:1.5rem}.indicator-row{grid-template-columns:1fr}svg.chart text{font-size:20px}}
"#;

/// The frame of a page.
pub struct Page<'a> {
    /// Its language.
    pub lang: Lang,
    /// The logged-in user (none on the login page).
    pub user: Option<&'a SessionUser>,
    /// The `<title>` and heading.
    pub title: &'a str,
    /// The current path and query without `lang`, for the navigation and the language switch.
    pub here: &'a str,
    /// Reload every this many seconds (live views).
    pub refresh: Option<u32>,
}

const NAV: [(&str, Text); 7] = [
    ("/", t::NAV_PROGRESS),
    ("/events", t::NAV_EVENTS),
    ("/responses", t::NAV_RESPONSES),
    ("/facilities", t::NAV_FACILITIES),
    ("/questionnaires", t::NAV_QUESTIONNAIRES),
    ("/devices", t::NAV_DEVICES),
    ("/plan", t::NAV_PLAN),
];

/// A page with the navigation.
pub fn page(page: &Page<'_>, body: Markup) -> Markup {
    let lang = page.lang;
    let other = match lang {
        Lang::Vi => Lang::En,
        Lang::En => Lang::Vi,
    };
    let section = page.here.split('?').next().unwrap_or("/");
    let current = |path: &str| {
        if path == "/" {
            section == "/"
        } else {
            section.starts_with(path)
        }
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(page.title, page.refresh))
            body {
                header.top {
                    a.brand href=(lang.link("/")) { (lang.t(&t::APP)) " · " (lang.t(&t::PROVINCE_NAME)) }
                    @if let Some(user) = page.user {
                        nav.main {
                            @for (path, text) in NAV {
                                a class=[current(path).then_some("current")] href=(lang.link(path)) { (lang.t(&text)) }
                            }
                            @if user.role == UserRole::Admin {
                                a class=[current("/accounts").then_some("current")] href=(lang.link("/accounts")) { (lang.t(&t::NAV_ACCOUNTS)) }
                            }
                        }
                    }
                    div.account {
                        a href=(other.link(page.here)) hreflang=(other.code()) lang=(other.code()) { (lang.t(&t::OTHER_LANG)) }
                        @if let Some(user) = page.user {
                            span title=(lang.t(&t::SIGNED_IN_AS)) { (user.username) }
                            form method="post" action=(lang.link("/logout")) {
                                (csrf_field(user))
                                button type="submit" { (lang.t(&t::LOGOUT)) }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// `response` answered with `status` instead (a refused form: 422).
pub fn with_status(status: StatusCode, mut response: Response) -> Response {
    *response.status_mut() = status;
    response
}

/// A 200 page for a logged-in user: `body` in the layout, titled `title`, at `here`.
pub fn show(lang: Lang, user: &SessionUser, title: &str, here: &str, body: Markup) -> Response {
    let frame = Page {
        lang,
        user: Some(user),
        title,
        here,
        refresh: None,
    };
    ok(page(&frame, body))
}

/// A page without navigation (errors).
pub fn bare(title: &str, lang: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang) {
            (head(title, None))
            body { (body) }
        }
    }
}

fn head(title: &str, refresh: Option<u32>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            @if let Some(seconds) = refresh {
                meta http-equiv="refresh" content=(seconds);
            }
            title { (title) " · sachhon" }
            style { (PreEscaped(STYLE)) }
        }
    }
}

/// The hidden CSRF field every form of a session carries.
pub fn csrf_field(user: &SessionUser) -> Markup {
    html! { input type="hidden" name="csrf" value=(user.csrf_token); }
}

/// An HTML answer with the headers of every page: no caching (pages show live data and carry
/// CSRF tokens), no framing, no scripts or outside resources (CSP).
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    let fixed = [
        (CONTENT_TYPE, "text/html; charset=utf-8"),
        (CACHE_CONTROL, "no-store"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "same-origin"),
        (
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// A 200 page.
pub fn ok(markup: Markup) -> Response {
    respond(StatusCode::OK, markup)
}
