//! A small programme seeded through the admin API and a raw phone, with known figures.

use crate::questionnaires::publish;
use anyhow::Context;
use reqwest::StatusCode;
use sachhon_shared::questionnaire::meta;
use sachhon_shared::RecordKind;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{AdminClient, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

/// What [`seed_programme`] made.
pub struct Seeded {
    /// The training event.
    pub training: String,
    /// The awareness event.
    pub awareness: String,
}

/// A small programme whose figures are known. As of today (the 2020 milestone: 90 %, 50 %
/// saving ≥ 8 %, 100 %): awareness 3/5 (60 %), adoption 1/5 (20 %), staff trained 3/4 (75 %).
/// As of 2015-12-31 (50 %, 25 % saving ≥ 5 %, 70 %): 3/5, 2/5 (40 %), 3/4 — all met.
/// Bến Lức holds three facilities with CP potential (and one without), Đức Hòa two.
pub async fn seed_programme(server: &TestServer) -> anyhow::Result<Seeded> {
    let admin = server.admin();
    let questionnaire = publish(&admin).await?;
    let facility = |name: &'static str, tax: &'static str, district: &'static str, cp: bool| {
        let admin = admin.clone();
        async move {
            let body = json!({"name": name, "tax_code": tax, "district": district,
                              "sector": "chế biến thực phẩm", "cp_potential": cp});
            id(admin.post("/api/v1/facilities", &body).await?.json)
        }
    };
    let a = facility("Đường Bến Lức", "1100100001", "Bến Lức", true).await?;
    let b = facility("Dệt may Bến Lức", "1100100002", "Bến Lức", true).await?;
    let c = facility("Gạch Bến Lức", "1100100003", "Bến Lức", true).await?;
    facility("Kho vận Bến Lức", "1100100004", "Bến Lức", false).await?;
    let d = facility("Thép Đức Hòa", "1100200001", "Đức Hòa", true).await?;
    facility("Giấy Đức Hòa", "1100200002", "Đức Hòa", true).await?;

    let mut device =
        RawDevice::enroll(&server.url, &admin.device("trainer", None).await?.1).await?;
    let mut ops = Vec::new();
    let answers = [
        (
            &a,
            json!({"knows_cp": "yes", "topics": ["energy"], "applies_cp": true, "savings_pct": 9}),
        ),
        (
            &b,
            json!({"knows_cp": "yes", "topics": ["water"], "applies_cp": false}),
        ),
        (&c, json!({"knows_cp": "no", "applies_cp": false})),
        (
            &d,
            json!({"knows_cp": "yes", "topics": ["energy", "water"], "applies_cp": true, "savings_pct": 6}),
        ),
    ];
    for (facility, answer) in answers {
        let mut fields = vec![
            (meta::QUESTIONNAIRE.to_string(), json!(questionnaire)),
            (meta::VERSION.to_string(), json!(1)),
            (meta::FACILITY.to_string(), json!(facility)),
            (
                meta::ANSWERED_AT.to_string(),
                json!("2015-06-01T08:00:00+07:00"),
            ),
        ];
        if let Value::Object(map) = answer {
            fields.extend(map);
        }
        ops.push(device.write(RecordKind::Response, Uuid::now_v7(), fields));
    }
    let event = |title: &'static str, kind: &'static str, starts_at: &'static str| {
        let admin = admin.clone();
        async move {
            let body = json!({"title": title, "kind": kind, "starts_at": starts_at, "district": "Bến Lức"});
            id(admin.post("/api/v1/events", &body).await?.json)
        }
    };
    let training = event(
        "Tập huấn SXSH cho cán bộ chuyên trách",
        "training",
        "2015-05-01T08:00:00+07:00",
    )
    .await?;
    let awareness = event(
        "Hội thảo nâng cao nhận thức SXSH",
        "awareness",
        "2015-04-01T08:00:00+07:00",
    )
    .await?;
    let person = |name: &'static str, facility: String, cp_staff: bool| {
        let admin = admin.clone();
        async move {
            let body = json!({"name": name, "facility_id": facility, "cp_staff": cp_staff});
            id(admin.post("/api/v1/people", &body).await?.json)
        }
    };
    let staff = [
        (person("Nguyễn Văn An", a.clone(), true).await?, true),
        (person("Trần Thị Bình", a.clone(), true).await?, true),
        (person("Lê Văn Cường", d.clone(), true).await?, true),
        (person("Phạm Thị Dung", d.clone(), true).await?, false),
    ];
    let scan_at = ms("2015-05-01T02:30:00Z")?;
    for (person, trained) in &staff {
        if *trained {
            ops.push(attend(&admin, &mut device, &training, person, scan_at).await?);
        }
    }
    let visitor = person("Võ Minh Em", b.clone(), false).await?;
    ops.push(
        attend(
            &admin,
            &mut device,
            &awareness,
            &visitor,
            ms("2015-04-01T02:00:00Z")?,
        )
        .await?,
    );
    let (status, ack) = device.push(&ops).await?;
    anyhow::ensure!(
        status == StatusCode::OK && ack.get("rejected").is_none(),
        "{ack}"
    );
    Ok(Seeded {
        training,
        awareness,
    })
}

async fn attend(
    admin: &AdminClient,
    device: &mut RawDevice,
    event: &str,
    person: &str,
    at_ms: i64,
) -> anyhow::Result<sachhon_shared::Op> {
    let registration = admin
        .post(
            &format!("/api/v1/events/{event}/registrations"),
            &json!({"person_id": person}),
        )
        .await?;
    let registration = id(registration.json)?.parse()?;
    Ok(device.scan(event.parse()?, registration, person.parse()?, at_ms))
}

fn id(answer: Value) -> anyhow::Result<String> {
    answer["id"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no id in {answer}"))
}

/// Milliseconds since the epoch of an RFC 3339 time.
fn ms(at: &str) -> anyhow::Result<i64> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)?;
    Ok(i64::try_from(t.unix_timestamp_nanos() / 1_000_000)?)
}
