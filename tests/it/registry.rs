//! The registry as reference data and findable records: the province's districts (listed,
//! added, and an unknown name refused with the closest one suggested, everywhere a district is
//! named), facilities searched by name or tax code without accents, filtered by district, in
//! Vietnamese order, a page at a time; the import's ids per line and its preview; an event
//! edited.

use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use sachhon_shared::RecordKind;
use sachhon_tests::admin::{AdminClient, Answer};
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{Backend, TestServer};
use serde_json::{json, Value};

on_both_backends!(
    districts_are_reference_data_with_suggestions,
    facilities_are_found_by_name_or_tax_code_in_vietnamese_order,
    the_import_answers_ids_per_line_and_previews_without_writing,
    an_event_is_edited,
);

async fn districts_are_reference_data_with_suggestions(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let listed = admin.get("/api/v1/districts").await?;
    assert_eq!(listed.status, StatusCode::OK);
    let names: Vec<&str> = listed
        .json
        .as_array()
        .expect("a list")
        .iter()
        .map(|d| d["name"].as_str().expect("a text"))
        .collect();
    assert_eq!(names.len(), 15, "{names:?}");
    assert_eq!(
        &names[..4],
        ["Bến Lức", "Cần Đước", "Cần Giuộc", "Châu Thành"]
    );
    assert!(
        names.iter().position(|n| *n == "Đức Hòa") < names.iter().position(|n| *n == "Kiến Tường")
    );
    let tan_an = listed
        .json
        .as_array()
        .expect("a list")
        .iter()
        .find(|d| d["name"] == "Tân An")
        .expect("Tân An is listed");
    assert_eq!(tan_an["kind"], "city");

    let before = admin.state_hash().await?;
    let facility = json!({"name": "Công ty A", "tax_code": "1", "district": "Ben Luc", "sector": "x", "cp_potential": true});
    let refused = admin.post("/api/v1/facilities", &facility).await?;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.json
    );
    assert_eq!(refused.json["field"], "district");
    assert_eq!(
        refused.json["detail"],
        "unknown district \"Ben Luc\"; did you mean \"Bến Lức\"?"
    );
    let event = json!({"title": "T", "kind": "training", "starts_at": "2026-12-01T08:00:00+07:00", "district": "duc hue"});
    let refused = admin.post("/api/v1/events", &event).await?;
    assert_eq!(refused.json["field"], "district", "{}", refused.json);
    assert!(refused.json["detail"]
        .as_str()
        .expect("a text")
        .contains("\"Đức Huệ\""));
    assert_eq!(
        admin.state_hash().await?,
        before,
        "nothing refused is written"
    );

    let (device, _) = admin.device("trainer", None).await?;
    let assign = put(
        &admin,
        &format!("/api/v1/devices/{device}/assignments"),
        &json!({"districts": ["Can Giuoc"]}),
    )
    .await?;
    assert_eq!(
        assign.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        assign.json
    );
    assert!(assign.json["detail"]
        .as_str()
        .expect("a text")
        .contains("\"Cần Giuộc\""));

    let added = admin
        .post(
            "/api/v1/districts",
            &json!({"name": "Thị xã Mới", "kind": "town"}),
        )
        .await?;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.json);
    let again = admin
        .post(
            "/api/v1/districts",
            &json!({"name": "Thị xã Mới", "kind": "town"}),
        )
        .await?;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let bad_kind = admin
        .post(
            "/api/v1/districts",
            &json!({"name": "X", "kind": "village"}),
        )
        .await?;
    assert_eq!(bad_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
    let event = json!({"title": "T", "kind": "training", "starts_at": "2026-12-01T08:00:00+07:00", "district": "Thị xã Mới"});
    assert_eq!(
        admin.post("/api/v1/events", &event).await?.status,
        StatusCode::CREATED
    );
    Ok(())
}

/// The names of a page of `GET /api/v1/facilities`.
fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| f["name"].as_str().expect("a text").to_string())
        .collect()
}

async fn facilities_are_found_by_name_or_tax_code_in_vietnamese_order(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    for (name, tax, district) in [
        ("Đức Thành", "0300000005", "Đức Hòa"),
        ("Dệt may Việt", "0300000004", "Đức Hòa"),
        ("Cơ khí Zeta", "0300000006", "Tân An"),
        ("Ăn uống An Bình", "0300000002", "Bến Lức"),
        ("An Phát", "0300000001", "Bến Lức"),
        ("Bê tông Ấp Bắc", "0300000003", "Cần Đước"),
    ] {
        admin.facility(name, tax, district).await?;
    }
    let all = admin.get("/api/v1/facilities").await?;
    assert_eq!(all.status, StatusCode::OK, "{}", all.json);
    assert_eq!(
        names(&all.json),
        [
            "An Phát",
            "Ăn uống An Bình",
            "Bê tông Ấp Bắc",
            "Cơ khí Zeta",
            "Dệt may Việt",
            "Đức Thành"
        ]
    );
    assert_eq!(all.json["next"], Value::Null);
    let first = &all.json["items"][0];
    assert!(
        first["id"].is_string()
            && first["tax_code"] == "0300000001"
            && first["cp_potential"] == true
    );

    let found = admin.get("/api/v1/facilities?q=AN%20BINH").await?;
    assert_eq!(names(&found.json), ["Ăn uống An Bình"]);
    let found = admin.get("/api/v1/facilities?q=dUC").await?;
    assert_eq!(names(&found.json), ["Đức Thành"]);
    let found = admin.get("/api/v1/facilities?q=00003").await?;
    assert_eq!(names(&found.json), ["Bê tông Ấp Bắc"]);
    let found = admin.get("/api/v1/facilities?q=%25").await?;
    assert_eq!(
        names(&found.json),
        Vec::<String>::new(),
        "% is a letter, not a wildcard"
    );
    let found = admin
        .get("/api/v1/facilities?district=%C4%90%E1%BB%A9c%20H%C3%B2a")
        .await?;
    assert_eq!(names(&found.json), ["Dệt may Việt", "Đức Thành"]);

    let mut seen = Vec::new();
    let mut path = "/api/v1/facilities?limit=4".to_string();
    loop {
        let page = admin.get(&path).await?;
        assert_eq!(page.status, StatusCode::OK, "{}", page.json);
        seen.extend(names(&page.json));
        match page.json["next"].as_str() {
            Some(next) => path = format!("/api/v1/facilities?limit=4&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, names(&all.json), "pages walk the list once, in order");

    let bad = admin.get("/api/v1/facilities?after=nonsense").await?;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.json);
    assert_eq!(bad.json["field"], "after");
    let bad = admin.get("/api/v1/facilities?limit=0").await?;
    assert_eq!(bad.json["field"], "limit", "{}", bad.json);
    let bad = admin.get("/api/v1/facilities?color=red").await?;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    Ok(())
}

async fn put(admin: &AdminClient, path: &str, body: &Value) -> anyhow::Result<Answer> {
    admin
        .raw(
            Method::PUT,
            path,
            Some("application/json"),
            serde_json::to_vec(body)?,
        )
        .await
}

async fn import(admin: &AdminClient, path: &str, body: &str) -> anyhow::Result<Value> {
    let answer = admin
        .raw(
            Method::POST,
            path,
            Some("text/csv"),
            body.as_bytes().to_vec(),
        )
        .await?;
    anyhow::ensure!(
        answer.status == StatusCode::OK,
        "{}: {}",
        answer.status,
        answer.json
    );
    Ok(answer.json)
}

async fn the_import_answers_ids_per_line_and_previews_without_writing(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let known = admin.facility("Công ty Cũ", "0300000009", "Tân An").await?;
    let csv = "name,tax_code,district,sector,cp_potential\n\
               Công ty Mới,0300000010,Bến Lức,thực phẩm,có\n\
               Công ty Sai,0300000011,Ben Luc,thực phẩm,có\n\
               Công ty Cũ (đổi tên),0300000009,Tân An,dệt may,không\n";
    let before = admin.state_hash().await?;
    let preview = import(&admin, "/api/v1/facilities/import?preview=true", csv).await?;
    assert_eq!(
        (preview["imported"].clone(), preview["updated"].clone()),
        (json!(1), json!(1)),
        "{preview}"
    );
    assert_eq!(
        preview["errors"],
        json!([{"line": 3, "message": "unknown district \"Ben Luc\"; did you mean \"Bến Lức\"?"}])
    );
    assert_eq!(
        admin.state_hash().await?,
        before,
        "a preview writes nothing"
    );
    assert_eq!(
        names(&admin.get("/api/v1/facilities").await?.json),
        ["Công ty Cũ"]
    );

    let done = import(&admin, "/api/v1/facilities/import", csv).await?;
    let rows = done["rows"].as_array().expect("a list");
    assert_eq!(rows.len(), 2, "{done}");
    assert_eq!(
        (rows[0]["line"].clone(), rows[0]["status"].clone()),
        (json!(2), json!("created"))
    );
    assert_eq!(
        (
            rows[1]["line"].clone(),
            rows[1]["status"].clone(),
            rows[1]["id"].clone()
        ),
        (json!(4), json!("updated"), json!(known))
    );
    let created = rows[0]["id"].as_str().expect("a text");
    let facility = admin.get(&format!("/api/v1/facilities/{created}")).await?;
    assert_eq!(facility.json["name"], "Công ty Mới", "{}", facility.json);
    assert_eq!(
        names(&admin.get("/api/v1/facilities").await?.json),
        ["Công ty Cũ (đổi tên)", "Công ty Mới"]
    );
    Ok(())
}

async fn an_event_is_edited(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let path = format!("/api/v1/events/{event}");
    let edited = json!({"title": "Hội thảo SXSH", "kind": "training", "starts_at": "2026-12-02T08:30:00+07:00", "district": "Cần Giuộc"});
    let answer = put(&admin, &path, &edited).await?;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    let before = admin.state_hash().await?;
    let wrong = json!({"title": "", "kind": "training", "starts_at": "2026-12-02T08:30:00+07:00", "district": "Cần Giuộc"});
    let refused = put(&admin, &path, &wrong).await?;
    assert_eq!(refused.json["field"], "title", "{}", refused.json);
    assert_eq!(admin.state_hash().await?, before);
    let missing = put(
        &admin,
        "/api/v1/events/0190a000-0000-7000-8000-000000000000",
        &edited,
    )
    .await?;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let token = admin.device("trainer", None).await?.1;
    let phone = RawDevice::enroll(&server.url, &token).await?;
    let edits = phone
        .pull_all()
        .await?
        .into_iter()
        .filter(|op| op.kind == RecordKind::Event && op.record.to_string() == event)
        .count();
    assert_eq!(edits, 2, "the phone receives the event and its edit");
    Ok(())
}
