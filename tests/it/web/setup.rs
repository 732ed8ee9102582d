//! Setting up a programme in the office pages, with no token: events created and edited (a
//! refused form keeps what was typed and says why in Vietnamese), people registered and their
//! badges printed, facilities imported after a preview and found again, devices registered and
//! enrolled only on purpose, questionnaires published from a file, and accounts that the
//! administrator adds and disables.

use super::{user_add, with_office_user, WebClient, PASSWORD};
use crate::on_both_backends;
use anyhow::Context;
use reqwest::StatusCode;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::Backend;

on_both_backends!(
    events_and_registrations_are_set_up_in_the_pages,
    facilities_are_imported_after_a_preview_and_found,
    devices_are_registered_and_enrolled_only_on_purpose,
    questionnaires_are_published_from_a_file,
    the_administrator_adds_and_disables_accounts,
);

/// The text of a page between the first `start` and the next `end`.
fn between<'a>(page: &'a str, start: &str, end: char) -> anyhow::Result<&'a str> {
    let from = page
        .find(start)
        .with_context(|| format!("no {start} in the page"))?
        + start.len();
    Ok(&page[from..from + page[from..].find(end).context("unended")?])
}

/// The value of the first attribute that `after` ends with (`data-id="`).
fn attribute<'a>(page: &'a str, after: &str) -> anyhow::Result<&'a str> {
    between(page, after, '"')
}

async fn events_and_registrations_are_set_up_in_the_pages(backend: Backend) -> anyhow::Result<()> {
    let (server, mut web) = with_office_user(backend).await?;
    web.login("hoa", PASSWORD).await?;
    let admin = server.admin();
    let facility = admin
        .facility("Công ty Lúa Vàng", "0311111111", "Bến Lức")
        .await?;
    let csrf = web.get("/events/new").await?.csrf()?;

    let mut event = vec![
        ("csrf", csrf.as_str()),
        ("title", "Hội thảo SXSH Bến Lức"),
        ("kind", "awareness"),
        ("starts_at", "2026-12-01T08:00"),
        ("district", "Ben Luc"),
    ];
    let refused = web.post("/events/new", &event).await?;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("có phải là &quot;Bến Lức&quot;?")
            || refused.body.contains("có phải là \"Bến Lức\"?"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"Hội thảo SXSH Bến Lức\""),
        "what was typed is kept"
    );
    assert_eq!(
        admin.get("/api/v1/facilities").await?.json["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    event[4] = ("district", "Bến Lức");
    let created = web.post("/events/new", &event).await?;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let people_page = created.location.context("where to")?;
    let id = people_page
        .strip_prefix("/events/")
        .and_then(|rest| rest.strip_suffix("/people"))
        .context("the event's people page")?
        .to_string();

    let edit = web.get(&format!("/events/{id}/edit")).await?;
    assert!(
        edit.body.contains("value=\"2026-12-01T08:00\""),
        "shown in Vietnam's time"
    );
    let edited = web
        .post(
            &format!("/events/{id}/edit"),
            &[
                ("csrf", &csrf),
                ("title", "Tập huấn SXSH"),
                ("kind", "training"),
                ("starts_at", "2026-12-01T13:30"),
                ("district", "Bến Lức"),
            ],
        )
        .await?;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let events = web.get("/events").await?;
    assert!(events.body.contains("Tập huấn SXSH") && events.body.contains("01/12/2026 13:30"));

    let new_person = |name: &'static str, tax_code: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", name.to_string()),
            ("facility_tax_code", tax_code.to_string()),
            ("cp_staff", "true".to_string()),
            ("phone", "0909 000 111".to_string()),
        ]
    };
    let form = new_person("Nguyễn Thị Lan", "0399999999");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = web.post(&format!("{people_page}/new"), &pairs).await?;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("Không có cơ sở 0399999999"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"Nguyễn Thị Lan\""));
    let form = new_person("Nguyễn Thị Lan", "0311111111");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let registered = web.post(&format!("{people_page}/new"), &pairs).await?;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.body
    );

    // Someone registered before, found by name without accents and registered with a button.
    let person = admin
        .post(
            "/api/v1/people",
            &serde_json::json!({"name": "Trần Văn Đức", "facility_id": facility, "cp_staff": false}),
        )
        .await?;
    let person = person.json["id"].as_str().context("person id")?.to_string();
    let found = web
        .get(&format!("{people_page}?q=tran%20van%20duc"))
        .await?;
    assert!(
        found.body.contains(&format!("value=\"{person}\"")),
        "{}",
        found.body
    );
    let added = web
        .post(
            &format!("{people_page}/register"),
            &[("csrf", &csrf), ("person_id", &person)],
        )
        .await?;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let page = web.get(&people_page).await?;
    assert!(page.body.contains("Người đã đăng ký (2)"), "{}", page.body);

    let badges = web.get(&format!("/api/v1/events/{id}/badges")).await?;
    assert_eq!(
        badges.status,
        StatusCode::OK,
        "an office account prints badges"
    );
    assert!(badges.body.contains("Nguyễn Thị Lan") && badges.body.contains("Trần Văn Đức"));
    assert_eq!(
        badges.body.matches("<svg").count(),
        2,
        "a QR code per badge"
    );
    Ok(())
}

async fn facilities_are_imported_after_a_preview_and_found(backend: Backend) -> anyhow::Result<()> {
    let (server, mut web) = with_office_user(backend).await?;
    web.login("hoa", PASSWORD).await?;
    let admin = server.admin();
    let csrf = web.get("/facilities/import").await?.csrf()?;
    let csv = "name,tax_code,district,sector,cp_potential\n\
               Công ty Đồng Xanh,0322222222,Đức Hòa,dệt may,có\n\
               Công ty Sai Huyện,0333333333,Ben Luc,thực phẩm,có\n\
               Công ty Cần Thơ,0344444444,Cần Đước,cơ khí,không\n";
    let before = admin.state_hash().await?;
    let preview = web
        .upload(
            "/facilities/import",
            &[("csrf", &csrf), ("step", "preview")],
            &[("file", "co-so.csv", csv.as_bytes())],
        )
        .await?;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(
        preview.body.contains("2 cơ sở mới") && preview.body.contains("1 dòng bị từ chối"),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("Dòng 3: Không có huyện"),
        "{}",
        preview.body
    );
    assert_eq!(
        admin.state_hash().await?,
        before,
        "the preview writes nothing"
    );

    let imported = web
        .upload(
            "/facilities/import",
            &[("csrf", &csrf), ("step", "import"), ("csv", csv)],
            &[],
        )
        .await?;
    assert!(imported.body.contains("Đã nhập."), "{}", imported.body);
    let listed = admin.get("/api/v1/facilities?q=dong%20xanh").await?;
    let id = listed.json["items"][0]["id"]
        .as_str()
        .context("imported")?
        .to_string();
    assert!(
        imported.body.contains(&id),
        "the result names each facility's id"
    );

    let found = web.get("/facilities?q=DONG+XANH").await?;
    assert!(found.body.contains("Công ty Đồng Xanh") && !found.body.contains("Công ty Cần Thơ"));
    let district = web
        .get("/facilities?district=C%E1%BA%A7n%20%C4%90%C6%B0%E1%BB%9Bc")
        .await?;
    assert!(
        district.body.contains("Công ty Cần Thơ") && !district.body.contains("Công ty Đồng Xanh")
    );
    let page = web.get(&format!("/facilities/{id}")).await?;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&id) && page.body.contains("0322222222"));

    let wrong = web
        .upload(
            "/facilities/import",
            &[("csrf", &csrf), ("step", "preview")],
            &[("file", "x.csv", "tên,mã\nA,1\n".as_bytes())],
        )
        .await?;
    assert!(wrong.body.contains("Dòng đầu phải là"), "{}", wrong.body);
    let forged = web
        .upload(
            "/facilities/import",
            &[("csrf", "forged"), ("step", "import"), ("csv", csv)],
            &[],
        )
        .await?;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    Ok(())
}

async fn devices_are_registered_and_enrolled_only_on_purpose(
    backend: Backend,
) -> anyhow::Result<()> {
    let (server, mut web) = with_office_user(backend).await?;
    web.login("hoa", PASSWORD).await?;
    let csrf = web.get("/devices").await?.csrf()?;
    let refused = web
        .post(
            "/devices",
            &[
                ("csrf", &csrf),
                ("name", "Phone A"),
                ("role", "enterprise"),
                ("facility_tax_code", ""),
            ],
        )
        .await?;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("cần có cơ sở"), "{}", refused.body);
    assert!(refused.body.contains("value=\"Phone A\""));

    let created = web
        .post(
            "/devices",
            &[
                ("csrf", &csrf),
                ("name", "Điện thoại 1"),
                ("role", "trainer"),
            ],
        )
        .await?;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert!(created.body.contains("<svg"), "the QR code is in the page");
    let token = between(&created.body, "<code class=\"token\">", '<')?.to_string();

    // Looking at the enrolment page makes no token: the one shown still enrols the phone.
    let devices = web.get("/devices").await?;
    let device = attribute(&devices.body, "data-device=\"")?.to_string();
    let confirm = web.get(&format!("/devices/{device}/enroll")).await?;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(
        !confirm.body.contains("<svg"),
        "no QR before the button is pressed"
    );
    let phone = RawDevice::enroll(&server.url, &token).await?;
    phone.pull_all().await?;

    let again = web
        .post(&format!("/devices/{device}/enroll"), &[("csrf", &csrf)])
        .await?;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again.body.contains("<svg") && !again.body.contains(&token),
        "a new token"
    );

    let revoked = web
        .post(&format!("/devices/{device}/revoke"), &[("csrf", &csrf)])
        .await?;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert!(
        phone.pull_all().await.is_err(),
        "a revoked device is refused"
    );
    Ok(())
}

async fn questionnaires_are_published_from_a_file(backend: Backend) -> anyhow::Result<()> {
    let (server, mut web) = with_office_user(backend).await?;
    web.login("hoa", PASSWORD).await?;
    let csrf = web.get("/questionnaires").await?.csrf()?;
    let json = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/examples/questionnaire.json"
    ))?;
    let published = web
        .upload(
            "/questionnaires",
            &[("csrf", &csrf)],
            &[("file", "questionnaire.json", &json)],
        )
        .await?;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    let id = attribute(&published.body, "class=\"notice published\" data-id=\"")?.to_string();
    let stored = server
        .admin()
        .get(&format!("/api/v1/questionnaires/{id}"))
        .await?;
    assert_eq!(stored.json["version"], 1, "{}", stored.json);

    let xlsx = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/examples/cp-awareness.xlsx"
    ))?;
    let next = web
        .upload(
            &format!("/questionnaires/{id}/versions"),
            &[("csrf", &csrf)],
            &[("file", "cp.xlsx", &xlsx)],
        )
        .await?;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
    let stored = server
        .admin()
        .get(&format!("/api/v1/questionnaires/{id}"))
        .await?;
    assert_eq!(stored.json["version"], 2, "{}", stored.json);

    let refused = web
        .upload(
            "/questionnaires",
            &[("csrf", &csrf)],
            &[("file", "x.json", b"{\"title\": 1}")],
        )
        .await?;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("không có gì được công bố"),
        "{}",
        refused.body
    );
    let listed = web.get("/questionnaires").await?;
    assert_eq!(listed.body.matches("data-questionnaire=").count(), 1);
    Ok(())
}

async fn the_administrator_adds_and_disables_accounts(backend: Backend) -> anyhow::Result<()> {
    let (server, mut office) = with_office_user(backend).await?;
    let (code, _, stderr) = user_add(&server.database.url, "quantri", "admin", PASSWORD).await?;
    anyhow::ensure!(code == 0, "{stderr}");
    office.login("hoa", PASSWORD).await?;
    assert_eq!(office.get("/accounts").await?.status, StatusCode::FORBIDDEN);

    let mut admin = WebClient::new(&server.url)?;
    admin.login("quantri", PASSWORD).await?;
    let csrf = admin.get("/accounts").await?.csrf()?;
    let taken = admin
        .post(
            "/accounts",
            &[
                ("csrf", &csrf),
                ("username", "HOA"),
                ("password", PASSWORD),
                ("role", "office"),
            ],
        )
        .await?;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.body.contains("Tên đăng nhập này đã có."));
    let short = admin
        .post(
            "/accounts",
            &[
                ("csrf", &csrf),
                ("username", "lan"),
                ("password", "short"),
                ("role", "office"),
            ],
        )
        .await?;
    assert!(short.body.contains("ít nhất 8 ký tự") && short.body.contains("value=\"lan\""));
    let added = admin
        .post(
            "/accounts",
            &[
                ("csrf", &csrf),
                ("username", "lan"),
                ("password", PASSWORD),
                ("role", "office"),
            ],
        )
        .await?;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    WebClient::new(&server.url)?.login("lan", PASSWORD).await?;

    let disabled = admin
        .post("/accounts/hoa/disable", &[("csrf", &csrf)])
        .await?;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    assert_eq!(
        office.get("/").await?.status,
        StatusCode::SEE_OTHER,
        "the session ended"
    );
    assert!(WebClient::new(&server.url)?
        .login("hoa", PASSWORD)
        .await
        .is_err());
    assert!(admin.get("/accounts").await?.body.contains("Đã khóa"));
    admin
        .post("/accounts/hoa/enable", &[("csrf", &csrf)])
        .await?;
    WebClient::new(&server.url)?.login("hoa", PASSWORD).await?;
    let myself = admin
        .post("/accounts/quantri/disable", &[("csrf", &csrf)])
        .await?;
    assert_eq!(myself.status, StatusCode::FORBIDDEN);
    Ok(())
}
