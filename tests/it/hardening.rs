//! Regression tests for the adversarial review of issue 9: every finding, through the real
//! server, on both backends. Each refusal is checked to change nothing, and the refused phone
//! to go on syncing.

use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use sachhon_shared::questionnaire::meta;
use sachhon_shared::{EventId, Op, PersonId, RecordKind, RegistrationId};
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{AdminClient, Backend, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

on_both_backends!(
    times_out_of_range_are_refused_op_by_op_and_the_phone_goes_on,
    field_rules_keep_review_and_registrations_to_the_office,
    scans_must_match_an_existing_registration,
    texts_follow_one_rule,
    spreadsheet_cells_never_start_a_formula,
    every_error_is_problem_json,
    a_ticket_revoked_before_its_scan_is_flagged,
    failed_logins_are_throttled_and_a_flood_is_refused,
    a_moved_person_leaves_the_old_facility_and_arrives_whole,
    a_pull_page_is_bounded_in_bytes,
);

/// Slow-header clients are cut off; backend-independent, so on SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_its_headers_slowly_is_disconnected() -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start(Backend::Sqlite).await?;
    let mut stream = tokio::net::TcpStream::connect(server.address()).await?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await?;
    // The server allows 10 s for the headers; it must close the connection by itself well
    // before this test gives up.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        stream.read_to_end(&mut rest),
    )
    .await;
    assert!(
        matches!(closed, Ok(Ok(_)) | Ok(Err(_))),
        "the connection stayed open"
    );
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "the request was never complete"
    );
    Ok(())
}

/// A raw trainer device enrolled on `server`.
async fn trainer(server: &TestServer, admin: &AdminClient) -> anyhow::Result<RawDevice> {
    let (_, token) = admin.device("trainer", None).await?;
    RawDevice::enroll(&server.url, &token).await
}

/// The acknowledgement's rejections as `(seq, field)`.
fn rejections(ack: &Value) -> Vec<(u64, String)> {
    ack["rejected"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|r| {
                    (
                        r["seq"].as_u64().unwrap_or(0),
                        r["field"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn times_out_of_range_are_refused_op_by_op_and_the_phone_goes_on(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let mut phone = trainer(&server, &admin).await?;

    // A walk-in whose scan is dated in year 9999, then one dated i64::MIN.
    let mut ops = phone.walk_in(&event, "Lan")?;
    let year_9999 = 253_402_300_000_000;
    let (registration, person) = registration_and_person(&ops[1])?;
    ops.push(phone.scan(event.parse()?, registration, person, year_9999));
    ops.push(phone.scan(event.parse()?, registration, person, i64::MIN));
    let (status, ack) = phone.push(&ops).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        rejections(&ack),
        vec![(4, "scanned_at_ms".into()), (5, "scanned_at_ms".into())]
    );
    let attendance = admin.attendance(&event).await?;
    assert_eq!(attendance["count"], json!(1), "{attendance}");
    assert_eq!(
        attendance["attendees"][0]["scans"],
        json!(1),
        "{attendance}"
    );
    assert!(attendance["attendees"][0]["first_scan_at"]
        .as_str()
        .is_some_and(|t| t.starts_with("2025-")));

    // The phone is not stuck: its next walk-in lands.
    let ops = phone.walk_in(&event, "Minh")?;
    let (status, ack) = phone.push(&ops).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert!(rejections(&ack).is_empty(), "{ack}");
    assert_eq!(admin.attendance(&event).await?["count"], json!(2));

    // API bodies and queries: 422 with the field, never a panic.
    let before = admin.state_hash().await?;
    for starts_at in ["9999-12-31T23:59:59-23:59", "1900-01-01T00:00:00Z", "soon"] {
        let body =
            json!({"title": "x", "kind": "training", "starts_at": starts_at, "district": "Tân An"});
        let answer = admin.post("/api/v1/events", &body).await?;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.json
        );
        assert_eq!(answer.json["field"], json!("starts_at"));
    }
    for path in [
        "/api/v1/progress",
        "/api/v1/progress.csv",
        "/api/v1/progress.xlsx",
    ] {
        let answer = admin.get(&format!("{path}?as_of=9999-12-31")).await?;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(answer.json["field"], json!("as_of"));
    }
    assert_eq!(admin.state_hash().await?, before);

    // The office pages that broke on such times still answer, for every office user.
    use crate::web::{user_add, WebClient, PASSWORD};
    let (code, _, stderr) = user_add(&server.database.url, "lan", "office", PASSWORD).await?;
    assert_eq!(code, 0, "{stderr}");
    let mut office = WebClient::new(&server.url)?;
    office.login("lan", PASSWORD).await?;
    for page in [
        format!("/events/{event}"),
        "/events".to_string(),
        "/responses".to_string(),
        "/?as_of=2026-12-31".to_string(),
    ] {
        assert_eq!(office.get(&page).await?.status, StatusCode::OK, "{page}");
    }
    assert_eq!(
        office.get("/?as_of=9999-12-31").await?.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    Ok(())
}

async fn field_rules_keep_review_and_registrations_to_the_office(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let facility = admin.facility("Công ty A", "0300000001", "Bến Lức").await?;
    let questionnaire = crate::questionnaires::publish(&admin).await?;
    let (_, token) = admin.device("enterprise", Some(&facility)).await?;
    let mut enterprise = RawDevice::enroll(&server.url, &token).await?;
    let mut trainer = trainer(&server, &admin).await?;

    // The enterprise starts its response, then approves it itself.
    let response = Uuid::now_v7();
    let start = enterprise.write(
        RecordKind::Response,
        response,
        vec![
            (meta::QUESTIONNAIRE.into(), json!(questionnaire)),
            (meta::VERSION.into(), json!(1)),
            (meta::FACILITY.into(), json!(facility)),
            (meta::ANSWERED_AT.into(), json!("2026-12-01T09:00:00+07:00")),
            ("knows_cp".into(), json!("yes")),
        ],
    );
    let approve = enterprise.write(
        RecordKind::Response,
        response,
        vec![(meta::REVIEW.into(), json!("approved"))],
    );
    let (status, ack) = enterprise.push(&[start, approve]).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(rejections(&ack), vec![(2, meta::REVIEW.into())]);

    // A trainer reviews that response, or moves it to another facility.
    trainer.absorb(&trainer.pull_all().await?);
    let other = admin.facility("Công ty B", "0300000002", "Bến Lức").await?;
    let review = trainer.write(
        RecordKind::Response,
        response,
        vec![(meta::REVIEW.into(), json!("approved"))],
    );
    let moved = trainer.write(
        RecordKind::Response,
        response,
        vec![(meta::FACILITY.into(), json!(other))],
    );
    let (status, ack) = trainer.push(&[review, moved]).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        rejections(&ack),
        vec![(1, meta::REVIEW.into()), (2, meta::FACILITY.into())]
    );
    let view = admin.get(&format!("/api/v1/responses/{response}")).await?;
    assert_eq!(view.json["facility_id"], json!(facility), "{}", view.json);
    assert_ne!(
        view.json["review"]["state"],
        json!("approved"),
        "{}",
        view.json
    );

    // A trainer un-revokes an office registration, or gives its ticket to someone else.
    let event = admin.event("Tập huấn", "training").await?;
    let person = admin
        .post(
            "/api/v1/people",
            &json!({"name": "Trần Văn Minh", "cp_staff": true}),
        )
        .await?
        .json["id"]
        .clone();
    let other = admin
        .post(
            "/api/v1/people",
            &json!({"name": "Lê Thị Hoa", "cp_staff": false}),
        )
        .await?
        .json["id"]
        .clone();
    let registered = admin
        .post(
            &format!("/api/v1/events/{event}/registrations"),
            &json!({"person_id": person}),
        )
        .await?;
    let registration: Uuid = registered.json["id"].as_str().unwrap_or("").parse()?;
    let revoked = admin
        .post(
            &format!("/api/v1/registrations/{registration}/revoke"),
            &json!({}),
        )
        .await?;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.json);
    trainer.absorb(&trainer.pull_all().await?);
    let before = admin.state_hash().await?;
    let unrevoke = trainer.write(
        RecordKind::Registration,
        registration,
        vec![("revoked".into(), json!(false))],
    );
    let swap = trainer.write(
        RecordKind::Registration,
        registration,
        vec![("person_id".into(), other)],
    );
    let (status, ack) = trainer.push(&[unrevoke, swap]).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        rejections(&ack),
        vec![(3, "revoked".into()), (4, "person_id".into())]
    );
    assert_eq!(
        admin.state_hash().await?,
        before,
        "refused ops change nothing"
    );
    Ok(())
}

async fn scans_must_match_an_existing_registration(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let (event, other_event) = (
        admin.event("Hội thảo A", "awareness").await?,
        admin.event("Hội thảo B", "awareness").await?,
    );
    let mut phone = trainer(&server, &admin).await?;
    let walk_in = phone.walk_in(&event, "Lan")?;
    let (registration, person) = registration_and_person(&walk_in[1])?;
    let (status, ack) = phone.push(&walk_in).await?;
    assert_eq!(
        (status, rejections(&ack)),
        (StatusCode::OK, vec![]),
        "{ack}"
    );
    let before = admin.state_hash().await?;

    let at = sachhon_tests::raw::SCANNED_AT_MS;
    let unknown_event = phone.scan(EventId::new(), registration, person, at);
    let wrong_event = phone.scan(other_event.parse()?, registration, person, at);
    let unknown_registration = phone.scan(event.parse()?, RegistrationId::new(), person, at);
    let wrong_person = phone.scan(event.parse()?, registration, PersonId::new(), at);
    let (status, ack) = phone
        .push(&[
            unknown_event,
            wrong_event,
            unknown_registration,
            wrong_person,
        ])
        .await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        rejections(&ack),
        vec![
            (4, "event".into()),
            (5, "event".into()),
            (6, "registration".into()),
            (7, "person".into())
        ]
    );
    assert_eq!(admin.state_hash().await?, before);
    assert_eq!(admin.attendance(&other_event).await?["count"], json!(0));
    assert_eq!(
        admin.attendance(&event).await?["attendees"][0]["scans"],
        json!(1)
    );
    Ok(())
}

async fn texts_follow_one_rule(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let before = admin.state_hash().await?;
    for (name, why) in [
        ("Lan\u{0}", "NUL"),
        ("Lan\u{202E}gnp.exe", "right-to-left override"),
        (&"x".repeat(501) as &str, "too long"),
    ] {
        let answer = admin
            .post("/api/v1/people", &json!({"name": name, "cp_staff": false}))
            .await?;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{why}: {}",
            answer.json
        );
        assert_eq!(answer.json["field"], json!("name"), "{why}");
    }
    let huge = admin
        .oversized("/api/v1/people", "application/json", 2 * 1024 * 1024)
        .await?;
    assert_eq!(huge, (413, "application/problem+json".to_string()));
    let answer = admin
        .post(
            "/api/v1/devices",
            &json!({"name": "Phone\u{0}", "role": "trainer"}),
        )
        .await?;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.json
    );
    assert_eq!(answer.json["field"], json!("name"));
    assert_eq!(admin.state_hash().await?, before);

    // A phone's walk-in named with a NUL: the person is refused, and with it the
    // registration and the scan that need them; the next walk-in lands (no stuck queue).
    let mut phone = trainer(&server, &admin).await?;
    let ops = phone.walk_in(&event, "Lan\u{0}")?;
    let (status, ack) = phone.push(&ops).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        rejections(&ack),
        vec![
            (1, "name".into()),
            (2, "person_id".into()),
            (3, "registration".into())
        ]
    );
    let ops = phone.walk_in(&event, "Lan")?;
    let (status, ack) = phone.push(&ops).await?;
    assert_eq!(
        (status, rejections(&ack)),
        (StatusCode::OK, vec![]),
        "{ack}"
    );
    assert_eq!(admin.attendance(&event).await?["count"], json!(1));
    Ok(())
}

async fn spreadsheet_cells_never_start_a_formula(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    admin
        .facility("=HYPERLINK(\"http://x\")", "0300000009", "=SUM(A1:A9)")
        .await?;
    let csv = admin.get("/api/v1/progress.csv?as_of=2026-12-31").await?;
    assert_eq!(csv.status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(csv.bytes.as_slice());
    let mut seen = false;
    for record in reader.records() {
        for cell in record?.iter() {
            assert!(!cell.starts_with(['=', '+', '@']), "{cell:?}");
            seen |= cell == "'=SUM(A1:A9)";
        }
    }
    assert!(
        seen,
        "the district is in the table, neutralised: {}",
        String::from_utf8_lossy(&csv.bytes)
    );
    Ok(())
}

async fn every_error_is_problem_json(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    for (method, path, status) in [
        (Method::PUT, "/api/v1/plan/tasks/-1", StatusCode::NOT_FOUND),
        (
            Method::DELETE,
            "/api/v1/facilities",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (Method::GET, "/api/v1/nothing-here", StatusCode::NOT_FOUND),
    ] {
        let answer = admin
            .raw(
                method.clone(),
                path,
                Some("application/json"),
                b"{}".to_vec(),
            )
            .await?;
        assert_eq!(answer.status, status, "{method} {path}");
        assert_eq!(
            answer.content_type, "application/problem+json",
            "{method} {path}"
        );
        assert_eq!(answer.json["status"], json!(status.as_u16()));
    }

    // A valid batch followed by garbage is refused whole.
    let event = admin.event("Hội thảo", "awareness").await?;
    let mut phone = trainer(&server, &admin).await?;
    let before = admin.state_hash().await?;
    let mut body = sachhon_shared::wire::to_cbor(&sachhon_shared::wire::PushRequest {
        ops: phone.walk_in(&event, "Lan")?,
    });
    body.extend_from_slice(b"garbage");
    let (status, answer) = phone
        .push_bytes(body, sachhon_shared::wire::CBOR_MEDIA_TYPE)
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(admin.state_hash().await?, before);
    Ok(())
}

async fn a_ticket_revoked_before_its_scan_is_flagged(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Tập huấn", "training").await?;
    let mut phone = trainer(&server, &admin).await?;
    let mut registrations = Vec::new();
    for name in ["Trần Văn Minh", "Lê Thị Hoa"] {
        let person = admin
            .post("/api/v1/people", &json!({"name": name, "cp_staff": true}))
            .await?
            .json["id"]
            .as_str()
            .unwrap_or("")
            .parse::<PersonId>()?;
        let registered = admin
            .post(
                &format!("/api/v1/events/{event}/registrations"),
                &json!({"person_id": person}),
            )
            .await?;
        let registration: RegistrationId = registered.json["id"].as_str().unwrap_or("").parse()?;
        registrations.push((registration, person));
    }
    // The phone synced before the revocation of the first ticket, and scans both offline:
    // the first after its revocation, the second (never revoked) too.
    phone.absorb(&phone.pull_all().await?);
    let revoked = admin
        .post(
            &format!("/api/v1/registrations/{}/revoke", registrations[0].0),
            &json!({}),
        )
        .await?;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.json);
    let later = sachhon_shared::timestamp::unix_ms(time::OffsetDateTime::now_utc()) + 60_000;
    let scans: Vec<_> = registrations
        .iter()
        .map(|(registration, person)| {
            phone.scan(event.parse().expect("id"), *registration, *person, later)
        })
        .collect();
    let (status, ack) = phone.push(&scans).await?;
    assert_eq!(
        (status, rejections(&ack)),
        (StatusCode::OK, vec![]),
        "{ack}"
    );
    let attendance = admin.attendance(&event).await?;
    assert_eq!(attendance["count"], json!(2), "{attendance}");
    let flagged = |person: PersonId| {
        attendance["attendees"]
            .as_array()
            .and_then(|all| all.iter().find(|a| a["person_id"] == json!(person)))
            .map(|a| a["revoked_ticket"].clone())
    };
    assert_eq!(
        flagged(registrations[0].1),
        Some(json!(true)),
        "{attendance}"
    );
    assert_eq!(
        flagged(registrations[1].1),
        Some(json!(false)),
        "{attendance}"
    );
    Ok(())
}

async fn failed_logins_are_throttled_and_a_flood_is_refused(
    backend: Backend,
) -> anyhow::Result<()> {
    use crate::web::{user_add, WebClient, PASSWORD};
    let server = TestServer::start(backend).await?;
    let (code, _, stderr) = user_add(&server.database.url, "lan", "office", PASSWORD).await?;
    assert_eq!(code, 0, "{stderr}");
    // Fifty wrong passwords at once: a few are checked (401), the rest refused unchecked
    // (429); nothing else.
    let tries = (0..50).map(|i| {
        let url = server.url.clone();
        async move {
            let mut client = WebClient::new(&url)?;
            let form = client.get("/login").await?;
            let csrf = form.csrf()?;
            let password = format!("wrong password {i}");
            let page = client
                .post(
                    "/login",
                    &[
                        ("username", "lan"),
                        ("password", &password),
                        ("csrf", &csrf),
                    ],
                )
                .await?;
            anyhow::Ok(page.status)
        }
    });
    let statuses = futures_join_all(tries).await?;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked >= 1, "{statuses:?}");
    // The account is now locked: the right password is refused too, with a time to wait.
    let mut client = WebClient::new(&server.url)?;
    let form = client.get("/login").await?;
    let csrf = form.csrf()?;
    let page = client
        .post(
            "/login",
            &[("username", "lan"), ("password", PASSWORD), ("csrf", &csrf)],
        )
        .await?;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(page.cookie_line("sachhon_session").is_none());
    Ok(())
}

/// Runs futures concurrently on this task and collects their results in order.
async fn futures_join_all<T>(
    futures: impl Iterator<Item = impl std::future::Future<Output = anyhow::Result<T>> + Send + 'static>,
) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        results.push(handle.await??);
    }
    Ok(results)
}

async fn a_moved_person_leaves_the_old_facility_and_arrives_whole(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let a = admin.facility("Công ty A", "0300000001", "Bến Lức").await?;
    let b = admin.facility("Công ty B", "0300000002", "Đức Hòa").await?;
    let phone_a = crate::sync::phone(&server, "enterprise", Some(&a)).await?;
    let phone_b = crate::sync::phone(&server, "enterprise", Some(&b)).await?;
    let mut trainer = trainer(&server, &admin).await?;
    let person = Uuid::now_v7();
    let create = trainer.write(
        RecordKind::Person,
        person,
        vec![
            ("name".into(), json!("Nguyễn Văn Nam")),
            ("facility_id".into(), json!(a)),
            ("cp_staff".into(), json!(true)),
        ],
    );
    assert_eq!(trainer.push(&[create]).await?.0, StatusCode::OK);
    phone_a.device.sync().await?;
    phone_b.device.sync().await?;
    assert!(held(&phone_a, person).await?.is_some());
    assert!(held(&phone_b, person).await?.is_none());

    let moved = trainer.write(
        RecordKind::Person,
        person,
        vec![("facility_id".into(), json!(b))],
    );
    assert_eq!(trainer.push(&[moved]).await?.0, StatusCode::OK);
    phone_a.device.sync().await?;
    phone_b.device.sync().await?;
    assert_eq!(
        held(&phone_a, person).await?,
        None,
        "the old facility's phone dropped the person"
    );
    let arrived = held(&phone_b, person).await?.unwrap_or_default();
    assert_eq!(
        arrived.get("name"),
        Some(&vec![json!("Nguyễn Văn Nam")]),
        "{arrived:?}"
    );
    assert_eq!(arrived.get("facility_id"), Some(&vec![json!(b)]));
    assert_eq!(arrived.get("cp_staff"), Some(&vec![json!(true)]));
    Ok(())
}

async fn a_pull_page_is_bounded_in_bytes(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let facility = admin.facility("Công ty A", "0300000001", "Bến Lức").await?;
    let questionnaire = crate::questionnaires::publish(&admin).await?;
    let mut writer = trainer(&server, &admin).await?;
    // 300 responses with a long note each: about 2.7 MB of changes.
    let ops: Vec<Op> = (0..300)
        .map(|_| {
            writer.write(
                RecordKind::Response,
                Uuid::now_v7(),
                vec![
                    (meta::QUESTIONNAIRE.into(), json!(questionnaire)),
                    (meta::VERSION.into(), json!(1)),
                    (meta::FACILITY.into(), json!(facility)),
                    (meta::ANSWERED_AT.into(), json!("2026-12-01T09:00:00Z")),
                    ("notes".into(), json!("ghi chú ".repeat(1_000))),
                ],
            )
        })
        .collect();
    let (status, ack) = writer.push(&ops).await?;
    assert_eq!(
        (status, rejections(&ack)),
        (StatusCode::OK, vec![]),
        "{ack}"
    );
    let reader = trainer(&server, &admin).await?;
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/sync/pull?limit=5000", server.url))
        .bearer_auth(&reader.token)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await?;
    let page: sachhon_shared::wire::PullPage =
        sachhon_shared::wire::from_cbor(&body).map_err(anyhow::Error::msg)?;
    assert!(page.more, "the page ends early");
    assert!(
        !page.ops.is_empty() && page.ops.len() < 300,
        "{} ops",
        page.ops.len()
    );
    assert!(body.len() < 3 * 1024 * 1024, "{} bytes", body.len());
    // The facility, the questionnaire and the 300 responses.
    assert_eq!(
        reader.pull_all().await?.len(),
        2 + 300,
        "every op arrives, page by page"
    );
    Ok(())
}

/// A person's fields as a phone's replica holds them.
async fn held(
    phone: &crate::sync::Phone,
    person: Uuid,
) -> anyhow::Result<Option<std::collections::BTreeMap<String, Vec<Value>>>> {
    Ok(phone.device.record(RecordKind::Person, person).await?)
}

/// The registration and person of a walk-in's registration op.
fn registration_and_person(op: &Op) -> anyhow::Result<(RegistrationId, PersonId)> {
    let person = op
        .field_values()
        .into_iter()
        .find(|(key, _)| *key == "person_id")
        .and_then(|(_, v)| v.as_str()?.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no person_id in {op:?}"))?;
    Ok((RegistrationId(op.record), person))
}
