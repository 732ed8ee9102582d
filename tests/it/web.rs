//! The office web pages over plain HTTP, on both backends: accounts made by the real
//! `sachhon user add`, login with the form's CSRF token, sessions that logout ends, forms
//! refused without the session's CSRF token, the plan's follow-up, resolving a conflict and
//! reviewing from the response page, every page rendering the seeded programme, and the
//! devices page's last sync of each device.

mod client;
mod devices;
mod seed;
mod setup;

pub use client::{user_add, user_add_args, Body, WebClient, PASSWORD};
pub use seed::seed_programme;

use crate::on_both_backends;
use crate::questionnaires::publish;
use anyhow::Context;
use reqwest::{Method, StatusCode};
use sachhon_shared::questionnaire::meta;
use sachhon_shared::RecordKind;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{Backend, TestServer};
use serde_json::json;
use uuid::Uuid;

on_both_backends!(
    login_refuses_bad_passwords_and_logout_ends_the_session,
    forms_need_the_sessions_csrf_token,
    a_conflict_is_resolved_and_reviewed_from_the_response_page,
    user_add_updates_an_existing_user,
    every_page_shows_the_seeded_programme,
);

/// A server with an office account `hoa`.
pub(super) async fn with_office_user(backend: Backend) -> anyhow::Result<(TestServer, WebClient)> {
    let server = TestServer::start(backend).await?;
    let (code, json, stderr) = user_add(&server.database.url, "hoa", "office", PASSWORD).await?;
    anyhow::ensure!(code == 0, "user add exited {code}: {json} {stderr}");
    let client = WebClient::new(&server.url)?;
    Ok((server, client))
}

async fn login_refuses_bad_passwords_and_logout_ends_the_session(
    backend: Backend,
) -> anyhow::Result<()> {
    let (server, mut web) = with_office_user(backend).await?;

    let anonymous = web.get("/plan?lang=en").await?;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.location.as_deref(),
        Some("/login?next=/plan%3Flang%3Den&lang=en")
    );

    let form = web.get("/login").await?;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.cookie_line("sachhon_login").is_some());
    let csrf = form.csrf()?;
    let wrong = web
        .post(
            "/login",
            &[
                ("username", "hoa"),
                ("password", "not the password"),
                ("csrf", &csrf),
            ],
        )
        .await?;
    let unknown = web
        .post(
            "/login",
            &[
                ("username", "nobody"),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ],
        )
        .await?;
    assert_eq!(wrong.body, unknown.body, "no user enumeration");
    for refused in [&wrong, &unknown] {
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert!(refused.set_cookies.is_empty(), "{:?}", refused.set_cookies);
        assert!(refused
            .body
            .contains("Tên đăng nhập hoặc mật khẩu không đúng."));
    }
    assert!(!web.cookies.contains_key("sachhon_session"));
    let forged = web
        .post(
            "/login",
            &[
                ("username", "hoa"),
                ("password", PASSWORD),
                ("csrf", "forged"),
            ],
        )
        .await?;
    assert_eq!(
        forged.status,
        StatusCode::FORBIDDEN,
        "the login form is CSRF-bound"
    );
    assert!(forged.cookie_line("sachhon_session").is_none());

    // Usernames are not case-sensitive; the session cookie is strict.
    let ok = web
        .post(
            "/login",
            &[
                ("username", " Hoa "),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ],
        )
        .await?;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let line = ok
        .cookie_line("sachhon_session")
        .context("session cookie")?;
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(line.contains(attribute), "{line}");
    }
    assert!(!line.contains("Secure"), "plain http in tests");
    let home = web.get("/").await?;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Tiến độ thực hiện mục tiêu"));

    // The JSON API accepts the session; its writes need the CSRF header.
    let api = web.get("/api/v1/progress?as_of=2015-12-31").await?;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let task = r#"{"status": "done", "note": "xong"}"#;
    let put = web
        .send(Method::PUT, "/api/v1/plan/tasks/1", Body::Json(task), &[])
        .await?;
    assert_eq!(put.status, StatusCode::FORBIDDEN, "no CSRF header");
    let session_csrf = home.csrf()?;
    let put = web
        .send(
            Method::PUT,
            "/api/v1/plan/tasks/1",
            Body::Json(task),
            &[("x-csrf-token", &session_csrf)],
        )
        .await?;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let devices = web
        .send(
            Method::POST,
            "/api/v1/devices",
            Body::Json(r#"{"name": "x", "role": "trainer"}"#),
            &[("x-csrf-token", &session_csrf)],
        )
        .await?;
    assert_eq!(
        devices.status,
        StatusCode::FORBIDDEN,
        "office accounts are not admin"
    );

    let bad_logout = web.post("/logout", &[("csrf", "wrong")]).await?;
    assert_eq!(bad_logout.status, StatusCode::FORBIDDEN);
    assert_eq!(
        web.get("/").await?.status,
        StatusCode::OK,
        "still logged in"
    );
    let kept = web.cookies.clone();
    let logout = web.post("/logout", &[("csrf", &session_csrf)]).await?;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert_eq!(logout.location.as_deref(), Some("/login"));
    assert!(!web.cookies.contains_key("sachhon_session"));
    // The old cookie no longer works: the session ended on the server.
    web.cookies = kept;
    let after = web.get("/").await?;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    let api = web.get("/api/v1/progress").await?;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    drop(server);
    Ok(())
}

async fn forms_need_the_sessions_csrf_token(backend: Backend) -> anyhow::Result<()> {
    let (server, mut web) = with_office_user(backend).await?;
    let admin = server.admin();
    web.login("hoa", PASSWORD).await?;
    let plan = web.get("/plan").await?;
    assert_eq!(plan.status, StatusCode::OK);
    assert_eq!(plan.body.matches("<form class=\"task\"").count(), 9);
    let csrf = plan.csrf()?;
    let before = admin.get("/api/v1/plan").await?.json;

    for form in [
        vec![("status", "done"), ("note", "giả mạo")],
        vec![("status", "done"), ("note", "giả mạo"), ("csrf", "wrong")],
        vec![("status", "done"), ("note", "giả mạo"), ("csrf", "")],
    ] {
        let refused = web.post("/plan/tasks/2", &form).await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{form:?}");
    }
    // Another session's token is no good either.
    let mut other = WebClient::new(&server.url)?;
    other.login("hoa", PASSWORD).await?;
    let other_csrf = other.get("/plan").await?.csrf()?;
    assert_ne!(other_csrf, csrf);
    let crossed = web
        .post(
            "/plan/tasks/2",
            &[("status", "done"), ("note", "x"), ("csrf", &other_csrf)],
        )
        .await?;
    assert_eq!(crossed.status, StatusCode::FORBIDDEN);
    assert_eq!(
        admin.get("/api/v1/plan").await?.json,
        before,
        "nothing changed"
    );

    let saved = web
        .post(
            "/plan/tasks/2?lang=en",
            &[
                ("status", "in_progress"),
                ("note", "Đã làm việc với Trường Đại học <Kinh tế>"),
                ("csrf", &csrf),
            ],
        )
        .await?;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location.as_deref(), Some("/plan?lang=en#task-2"));
    let task = admin.get("/api/v1/plan").await?.json["tasks"][1].clone();
    assert_eq!(
        (
            task["number"].clone(),
            task["status"].clone(),
            task["note"].clone()
        ),
        (
            json!(2),
            json!("in_progress"),
            json!("Đã làm việc với Trường Đại học <Kinh tế>")
        )
    );
    let page = web.get("/plan?lang=en").await?;
    assert!(
        page.body
            .contains("Đã làm việc với Trường Đại học &lt;Kinh tế&gt;"),
        "escaped"
    );
    assert!(page
        .body
        .contains("<option value=\"in_progress\" selected>In progress</option>"));
    let invalid = web
        .post(
            "/plan/tasks/2",
            &[("status", "finished"), ("note", ""), ("csrf", &csrf)],
        )
        .await?;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = web
        .post(
            "/plan/tasks/99",
            &[("status", "done"), ("note", ""), ("csrf", &csrf)],
        )
        .await?;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    Ok(())
}

/// Two phones answer one question differently while offline: a conflicted response.
async fn conflicted_response(server: &TestServer) -> anyhow::Result<(String, Uuid)> {
    let admin = server.admin();
    let questionnaire = publish(&admin).await?;
    let facility = admin
        .facility("Công ty Bao bì Đức Hòa", "1100300300", "Đức Hòa")
        .await?;
    let trainer =
        || async { RawDevice::enroll(&server.url, &admin.device("trainer", None).await?.1).await };
    let (mut a, mut b) = (trainer().await?, trainer().await?);
    let response = Uuid::now_v7();
    let start = a.write(
        RecordKind::Response,
        response,
        vec![
            (meta::QUESTIONNAIRE.into(), json!(questionnaire)),
            (meta::VERSION.into(), json!(1)),
            (meta::FACILITY.into(), json!(facility)),
            (meta::ANSWERED_AT.into(), json!("2015-06-01T08:00:00Z")),
            ("knows_cp".into(), json!("yes")),
        ],
    );
    anyhow::ensure!(a.push(std::slice::from_ref(&start)).await?.0 == StatusCode::OK);
    let base = b.pull_all().await?;
    b.absorb(&base);
    let a_edit = a.write(
        RecordKind::Response,
        response,
        vec![("savings_pct".into(), json!(6))],
    );
    let b_edit = b.write(
        RecordKind::Response,
        response,
        vec![("savings_pct".into(), json!(9))],
    );
    anyhow::ensure!(b.push(&[b_edit]).await?.0 == StatusCode::OK);
    anyhow::ensure!(a.push(&[a_edit]).await?.0 == StatusCode::OK);
    Ok((questionnaire, response))
}

async fn a_conflict_is_resolved_and_reviewed_from_the_response_page(
    backend: Backend,
) -> anyhow::Result<()> {
    let (server, mut web) = with_office_user(backend).await?;
    let admin = server.admin();
    let (_, response) = conflicted_response(&server).await?;
    web.login("hoa", PASSWORD).await?;

    let list = web.get("/responses").await?;
    assert!(
        list.body.contains("<tr class=\"conflict\">"),
        "{}",
        list.body
    );
    assert!(list.body.contains(&format!("/responses/{response}")));
    let path = format!("/responses/{response}");
    let page = web.get(&format!("{path}?lang=en")).await?;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("<tr class=\"conflict\" data-key=\"savings_pct\">"));
    assert!(page.body.contains("Savings (%)") && page.body.contains("Knows CP?"));
    assert!(page
        .body
        .contains("<input type=\"radio\" name=\"choice\" value=\"6\" checked>"));
    assert!(page
        .body
        .contains("<input type=\"radio\" name=\"choice\" value=\"9\">"));
    let csrf = page.csrf()?;
    let resolve = format!("{path}/answers/savings_pct");
    let conflicts = || async {
        anyhow::Ok(
            admin
                .get(&format!("/api/v1/responses/{response}"))
                .await?
                .json["conflicts"]
                .clone(),
        )
    };

    let forged = web
        .post(&resolve, &[("choice", "9"), ("csrf", "x")])
        .await?;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let out_of_range = web
        .post(
            &resolve,
            &[("choice", "9"), ("typed", "800"), ("csrf", &csrf)],
        )
        .await?;
    assert_eq!(out_of_range.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(out_of_range.body.contains("class=\"error\""));
    assert_eq!(
        conflicts().await?,
        json!(["savings_pct"]),
        "nothing changed"
    );

    let chosen = web
        .post(&resolve, &[("choice", "9"), ("csrf", &csrf)])
        .await?;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    assert_eq!(chosen.location.as_deref(), Some(path.as_str()));
    let merged = admin
        .get(&format!("/api/v1/responses/{response}"))
        .await?
        .json;
    assert_eq!(merged["answers"]["savings_pct"], json!([9]));
    assert_eq!(merged["conflicts"], json!([]));
    // A typed value is read as the question's type, as a phone's `--set` is.
    let typed = web
        .post(&resolve, &[("typed", "7.5"), ("csrf", &csrf)])
        .await?;
    assert_eq!(typed.status, StatusCode::SEE_OTHER, "{}", typed.body);
    let merged = admin
        .get(&format!("/api/v1/responses/{response}"))
        .await?
        .json;
    assert_eq!(merged["answers"]["savings_pct"], json!([7.5]));
    let page = web.get(&path).await?;
    assert!(!page.body.contains("<tr class=\"conflict\""));
    assert!(page.body.contains("7,5"), "Vietnamese decimals");

    let review = format!("{path}/review");
    let no_comment = web
        .post(
            &review,
            &[("state", "has_issues"), ("comment", " "), ("csrf", &csrf)],
        )
        .await?;
    assert_eq!(no_comment.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reviewed = web
        .post(
            &review,
            &[
                ("state", "has_issues"),
                ("comment", "Kiểm tra lại số liệu"),
                ("csrf", &csrf),
            ],
        )
        .await?;
    assert_eq!(reviewed.status, StatusCode::SEE_OTHER);
    let merged = admin
        .get(&format!("/api/v1/responses/{response}"))
        .await?
        .json;
    assert_eq!(
        merged["review"],
        json!({"state": "has_issues", "comment": "Kiểm tra lại số liệu"})
    );
    Ok(())
}

async fn user_add_updates_an_existing_user(backend: Backend) -> anyhow::Result<()> {
    let (server, mut web) = with_office_user(backend).await?;
    let db = server.database.url.clone();
    web.login("hoa", PASSWORD).await?;
    assert_eq!(web.get("/devices").await?.status, StatusCode::OK);
    let (device, _) = server.admin().device("trainer", None).await?;
    let svg = web
        .get(&format!("/api/v1/devices/{device}/enroll.svg"))
        .await?;
    assert_eq!(
        svg.status,
        StatusCode::FORBIDDEN,
        "the API's QR is the admin's"
    );

    let (code, json, stderr) = user_add(&db, "HOA", "admin", "mật khẩu mới 2\r\n").await?;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        json,
        json!({"username": "hoa", "role": "admin", "updated": true})
    );
    assert!(stderr.contains("existed"), "{stderr}");
    // The old session ended with the old password.
    assert_eq!(web.get("/").await?.status, StatusCode::SEE_OTHER);
    let mut old = WebClient::new(&server.url)?;
    assert!(old.login("hoa", PASSWORD).await.is_err());
    let mut admin = WebClient::new(&server.url)?;
    admin.login("hoa", "mật khẩu mới 2").await?;
    let svg = admin
        .get(&format!("/api/v1/devices/{device}/enroll.svg"))
        .await?;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(svg.body.starts_with("<?xml") || svg.body.contains("<svg"));

    let (code, _, stderr) = user_add(&db, "lan", "office", "short\n").await?;
    assert_eq!(code, 1, "a short password is refused: {stderr}");
    assert!(stderr.contains("at least 8"), "{stderr}");
    let (code, _, _) = user_add(&db, "lan", "office", "\n").await?;
    assert_eq!(code, 1, "an empty password is refused");
    let (code, _, _) = user_add(&db, "lan", "boss", PASSWORD).await?;
    assert_eq!(code, 2, "an unknown role is a usage error");
    let (code, _, _) =
        user_add_args(&db, &["--username", "lan", "--role", "office"], PASSWORD).await?;
    assert_eq!(code, 2, "--password-stdin is required");
    let (code, json, _) = user_add(&db, "lan", "office", PASSWORD).await?;
    assert_eq!((code, json["updated"].clone()), (0, json!(false)));
    Ok(())
}

async fn every_page_shows_the_seeded_programme(backend: Backend) -> anyhow::Result<()> {
    let (server, mut web) = with_office_user(backend).await?;
    let seeded = seed_programme(&server).await?;
    web.login("hoa", PASSWORD).await?;

    let progress = web.get("/").await?;
    assert_eq!(progress.status, StatusCode::OK);
    let body = &progress.body;
    for expected in [
        "3/5",
        "60%",
        "1/5",
        "20%",
        "3/4",
        "75%",
        "Mục tiêu 90%",
        "Chưa đạt",
    ] {
        assert!(body.contains(expected), "{expected} missing");
    }
    assert_eq!(body.matches("<svg class=\"chart\"").count(), 3);
    assert_eq!(body.matches("class=\"target-line\"").count(), 3);
    // Awareness: Bến Lức 2/3, Đức Hòa 1/2, the other three districts have no data.
    assert!(body.contains("66,7%"));
    assert_eq!(body.matches("<rect class=\"bar\"").count(), 2 + 2 + 2);
    assert!(body.contains("href=\"/api/v1/progress.xlsx?as_of="));

    let past = web.get("/?as_of=2015-12-31&lang=en").await?;
    for expected in [
        "Progress against the targets",
        "2/5",
        "40%",
        "Target 25%",
        "Met",
    ] {
        assert!(past.body.contains(expected), "{expected} missing");
    }
    assert!(
        !past.body.contains("Not met"),
        "every indicator met in 2015"
    );
    let invalid = web.get("/?as_of=31/12/2015").await?;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);

    let events = web.get("/events").await?;
    assert!(events
        .body
        .contains("Tập huấn SXSH cho cán bộ chuyên trách"));
    assert!(events.body.contains("01/05/2015 08:00"), "Vietnam time");
    let attendance = web.get(&format!("/events/{}", seeded.training)).await?;
    assert!(attendance
        .body
        .contains("<meta http-equiv=\"refresh\" content=\"10\">"));
    assert!(attendance.body.contains("data-count=\"3\""));
    assert!(attendance.body.contains("Trần Thị Bình"));
    assert_eq!(
        attendance.body.matches("<tr class=\"attendee\">").count(),
        3
    );
    let other = web
        .get(&format!("/events/{}?lang=en", seeded.awareness))
        .await?;
    assert!(other.body.contains("data-count=\"1\"") && other.body.contains("People present"));
    let missing = web.get(&format!("/events/{}", Uuid::now_v7())).await?;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("<html"));

    let facilities = web.get("/facilities").await?;
    assert!(facilities.body.contains("6 cơ sở · 5 có tiềm năng SXSH"));
    assert!(facilities.body.contains("1100200001"));
    let devices = web.get("/devices?lang=en").await?;
    assert!(devices.body.contains("Trainer") && devices.body.contains("Active"));
    let responses = web.get("/responses").await?;
    assert_eq!(responses.body.matches("href=\"/responses/").count(), 4);
    let plan = web.get("/plan").await?;
    assert!(plan.body.contains("Sở Giáo dục và Đào tạo"));

    // Every page has the viewport, the nav in the page's language, and the security headers.
    let en = web.get("/facilities?lang=en").await?;
    assert!(en.body.contains("<meta name=\"viewport\""));
    assert!(en.body.contains("href=\"/events?lang=en\">Events</a>"));
    assert!(en.body.contains("<html lang=\"en\">"));
    let raw = reqwest::Client::new()
        .get(format!("{}/login", server.url))
        .send()
        .await?;
    let csp = raw
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    Ok(())
}
