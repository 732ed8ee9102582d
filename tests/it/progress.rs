//! Progress toward the targets, end to end: a fixture made by phones, synced, then the JSON,
//! the CSV and the yearly workbook checked against the fixture's arithmetic and each other.

use crate::on_both_backends;
use crate::questionnaires::publish;
use anyhow::Context;
use reqwest::StatusCode;
use sachhon_shared::questionnaire::meta;
use sachhon_shared::RecordKind;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{AdminClient, Backend, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

on_both_backends!(progress_follows_the_decisions_rules);

/// Milliseconds since the epoch of an RFC 3339 time.
fn ms(at: &str) -> anyhow::Result<i64> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)?;
    Ok(i64::try_from(t.unix_timestamp_nanos() / 1_000_000)?)
}

struct Fixture {
    admin: AdminClient,
    device: RawDevice,
    questionnaire: String,
}

impl Fixture {
    async fn facility(&self, name: &str, district: &str, cp: bool) -> anyhow::Result<String> {
        let body = json!({"name": name, "tax_code": name, "district": district, "sector": "food", "cp_potential": cp});
        let answer = self.admin.post("/api/v1/facilities", &body).await?;
        answer.json["id"]
            .as_str()
            .map(str::to_string)
            .context("facility id")
    }

    async fn person(&self, name: &str, facility: &str, cp_staff: bool) -> anyhow::Result<String> {
        let body = json!({"name": name, "facility_id": facility, "cp_staff": cp_staff});
        let answer = self.admin.post("/api/v1/people", &body).await?;
        answer.json["id"]
            .as_str()
            .map(str::to_string)
            .context("person id")
    }

    async fn event(&self, kind: &str, starts_at: &str) -> anyhow::Result<String> {
        let body = json!({"title": format!("{kind} {starts_at}"), "kind": kind, "starts_at": starts_at, "district": "Bến Lức"});
        let answer = self.admin.post("/api/v1/events", &body).await?;
        answer.json["id"]
            .as_str()
            .map(str::to_string)
            .context("event id")
    }

    /// A person attends an event at a time; returns the scan op (pushed later).
    async fn attend(
        &mut self,
        event: &str,
        person: &str,
        at: &str,
    ) -> anyhow::Result<sachhon_shared::Op> {
        let registration = self
            .admin
            .post(
                &format!("/api/v1/events/{event}/registrations"),
                &json!({"person_id": person}),
            )
            .await?;
        let registration = registration.json["id"]
            .as_str()
            .context("registration")?
            .parse()?;
        Ok(self
            .device
            .scan(event.parse()?, registration, person.parse()?, ms(at)?))
    }

    /// A response answered at a time.
    fn respond(&mut self, facility: &str, at: &str, answers: Value) -> sachhon_shared::Op {
        let mut fields = vec![
            (meta::QUESTIONNAIRE.to_string(), json!(self.questionnaire)),
            (meta::VERSION.to_string(), json!(1)),
            (meta::FACILITY.to_string(), json!(facility)),
            (meta::ANSWERED_AT.to_string(), json!(at)),
        ];
        if let Value::Object(map) = answers {
            fields.extend(map);
        }
        self.device
            .write(RecordKind::Response, Uuid::now_v7(), fields)
    }
}

fn passing(applies: bool, savings: f64) -> Value {
    json!({"knows_cp": "yes", "topics": ["energy"], "applies_cp": applies, "savings_pct": savings})
}

fn failing(applies: bool, savings: f64) -> Value {
    json!({"knows_cp": "no", "applies_cp": applies, "savings_pct": savings})
}

/// `(numerator, denominator, value)` of an indicator in a list.
fn figure(indicators: &Value, key: &str) -> (u64, u64, Value) {
    let i = indicators
        .as_array()
        .and_then(|l| l.iter().find(|i| i["key"] == key))
        .cloned()
        .unwrap_or_default();
    (
        i["numerator"].as_u64().unwrap_or(u64::MAX),
        i["denominator"].as_u64().unwrap_or(u64::MAX),
        i["value"].clone(),
    )
}

fn district<'a>(progress: &'a Value, name: &str) -> &'a Value {
    progress["by_district"]
        .as_array()
        .and_then(|list| list.iter().find(|d| d["district"] == name))
        .map_or(&Value::Null, |d| &d["indicators"])
}

async fn progress_follows_the_decisions_rules(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let questionnaire = publish(&admin).await?;
    let device = RawDevice::enroll(&server.url, &admin.device("trainer", None).await?.1).await?;
    let mut f = Fixture {
        admin: admin.clone(),
        device,
        questionnaire,
    };

    // Bến Lức: three facilities with CP potential, one without; Đức Hòa: two.
    let f1 = f.facility("Mía đường 1", "Bến Lức", true).await?;
    let f2 = f.facility("Dệt 2", "Bến Lức", true).await?;
    let f3 = f.facility("Gạch 3", "Bến Lức", true).await?;
    let f4 = f.facility("Kho 4", "Bến Lức", false).await?;
    let f5 = f.facility("Thép 5", "Đức Hòa", true).await?;
    let _f6 = f.facility("Giấy 6", "Đức Hòa", true).await?;
    let mut ops = vec![
        // F1: failed first, passed later (the latest decides), applies CP saving 6 %.
        f.respond(&f1, "2015-03-01T08:00:00+07:00", failing(false, 0.0)),
        f.respond(&f1, "2015-09-01T08:00:00+07:00", passing(true, 6.0)),
        // F2: passed first, failed later: not aware; its latest does not apply CP.
        f.respond(&f2, "2015-05-01T08:00:00Z", passing(true, 9.0)),
        f.respond(&f2, "2015-10-01T08:00:00Z", failing(false, 9.0)),
        // F3: aware, applies CP but saves 4 %, below the 5 % floor.
        f.respond(&f3, "2015-06-01T08:00:00Z", passing(true, 4.0)),
        // F4 has no CP potential: never counts.
        f.respond(&f4, "2015-06-01T08:00:00Z", passing(true, 20.0)),
        // F5 answers after the as-of date.
        f.respond(&f5, "2016-02-01T08:00:00Z", passing(true, 9.0)),
    ];
    let training_2015 = f.event("training", "2015-04-01T08:00:00+07:00").await?;
    let awareness_2015 = f.event("awareness", "2015-04-02T08:00:00+07:00").await?;
    let training_2016 = f.event("training", "2016-03-01T08:00:00+07:00").await?;
    let p1 = f.person("Staff 1", &f1, true).await?;
    let p2 = f.person("Staff 2", &f2, true).await?;
    let p3 = f.person("Staff 3", &f5, true).await?;
    let p4 = f.person("Not staff 4", &f1, false).await?;
    let p5 = f.person("Staff 5", &f3, true).await?;
    ops.push(
        f.attend(&training_2015, &p1, "2015-04-01T02:00:00Z")
            .await?,
    );
    ops.push(
        f.attend(&awareness_2015, &p2, "2015-04-02T02:00:00Z")
            .await?,
    );
    ops.push(
        f.attend(&training_2016, &p3, "2016-03-01T02:00:00Z")
            .await?,
    );
    ops.push(
        f.attend(&training_2015, &p4, "2015-04-01T02:00:00Z")
            .await?,
    );
    let annulled = f
        .attend(&training_2015, &p5, "2015-04-01T02:05:00Z")
        .await?;
    let annulment = f.device.annul(annulled.record);
    ops.push(annulled);
    ops.push(annulment);
    let (status, ack) = f.device.push(&ops).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert!(ack.get("rejected").is_none(), "{ack}");

    let progress = admin.get("/api/v1/progress?as_of=2015-12-31").await?.json;
    assert_eq!(progress["milestone"], json!("2015-12-31"));
    let total = &progress["indicators"];
    assert_eq!(figure(total, "awareness"), (2, 5, json!(0.4)));
    assert_eq!(figure(total, "adoption"), (1, 5, json!(0.2)));
    assert_eq!(figure(total, "staff_trained"), (1, 4, json!(0.25)));
    let adoption = total
        .as_array()
        .and_then(|l| l.iter().find(|i| i["key"] == "adoption"))
        .context("adoption")?;
    assert_eq!(
        (
            adoption["target"].clone(),
            adoption["met"].clone(),
            adoption["min_savings_pct"].clone()
        ),
        (json!(0.25), json!(false), json!(5.0))
    );
    assert_eq!(
        figure(district(&progress, "Bến Lức"), "awareness"),
        (2, 3, json!(2.0 / 3.0))
    );
    assert_eq!(
        figure(district(&progress, "Bến Lức"), "staff_trained"),
        (1, 3, json!(1.0 / 3.0))
    );
    assert_eq!(
        figure(district(&progress, "Đức Hòa"), "awareness"),
        (0, 2, json!(0.0))
    );
    assert_eq!(
        figure(district(&progress, "Cần Đước"), "awareness"),
        (0, 0, Value::Null),
        "an empty denominator gives null"
    );
    let names: Vec<&str> = progress["by_district"]
        .as_array()
        .context("districts")?
        .iter()
        .filter_map(|d| d["district"].as_str())
        .collect();
    assert_eq!(
        names,
        ["Tân An", "Đức Hòa", "Bến Lức", "Cần Đước", "Cần Giuộc"]
    );
    let one = admin
        .get("/api/v1/progress?as_of=2015-12-31&district=B%E1%BA%BFn%20L%E1%BB%A9c")
        .await?
        .json;
    assert_eq!(
        figure(&one["indicators"], "awareness"),
        (2, 3, json!(2.0 / 3.0))
    );

    // A year later the 2020 milestone applies: the 8 % floor, F5's answer and P3's training.
    let later = admin.get("/api/v1/progress?as_of=2016-12-31").await?.json;
    assert_eq!(later["milestone"], json!("2020-12-31"));
    assert_eq!(
        figure(&later["indicators"], "awareness"),
        (3, 5, json!(0.6))
    );
    assert_eq!(
        figure(&later["indicators"], "adoption"),
        (1, 5, json!(0.2)),
        "F1's 6 % is below 8 %; F5 saves 9 %"
    );
    assert_eq!(
        figure(&later["indicators"], "staff_trained"),
        (2, 4, json!(0.5))
    );

    // The CSV and the workbook say the same as the JSON.
    let csv = admin.get("/api/v1/progress.csv?as_of=2015-12-31").await?;
    assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"));
    let mut reader = csv::Reader::from_reader(&csv.bytes[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    let row = |area: &str, key: &str| {
        rows.iter()
            .find(|r| r[0].contains(area) && &r[1] == key)
            .map(|r| (r[2].to_string(), r[3].to_string()))
    };
    assert_eq!(
        row("Toàn tỉnh", "awareness"),
        Some(("2".into(), "5".into()))
    );
    assert_eq!(
        row("Bến Lức", "staff_trained"),
        Some(("1".into(), "3".into()))
    );
    assert_eq!(
        rows.len(),
        3 * 6,
        "three indicators for the province and five districts"
    );

    let xlsx = admin.get("/api/v1/progress.xlsx?as_of=2015-12-31").await?;
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes))?;
    let names = workbook.sheet_names();
    assert_eq!(
        names,
        [
            "Báo cáo",
            "awareness",
            "adoption",
            "staff_trained",
            "Nhiệm vụ"
        ]
    );
    let cover = workbook.worksheet_range("Báo cáo")?;
    let cover_text: Vec<String> = cover
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(
        cover_text.contains(&"Long An".to_string())
            && cover_text.contains(&"2015-12-31".to_string())
    );
    let awareness = workbook.worksheet_range("awareness")?;
    let province = awareness.rows().nth(1).context("province row")?;
    assert_eq!(
        (province[2].to_string(), province[3].to_string()),
        ("2".to_string(), "5".to_string())
    );
    assert_eq!(province[4].to_string(), "0.4");
    let tasks = workbook.worksheet_range("Nhiệm vụ")?;
    assert_eq!(tasks.rows().count(), 1 + 9, "the appendix's nine tasks");
    Ok(())
}
