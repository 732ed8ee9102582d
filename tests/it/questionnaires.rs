//! Questionnaires: definitions checked, answers merged field by field with visible conflicts,
//! invalid answers refused op by op, resolution and review reaching every replica, tenancy,
//! and exports that read back.

use crate::on_both_backends;
use anyhow::Context;
use reqwest::{Method, StatusCode};
use sachhon_shared::questionnaire::meta;
use sachhon_shared::{Change, RecordKind};
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{AdminClient, Backend, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

on_both_backends!(
    definitions_are_checked_and_versioned,
    offline_edits_merge_by_field_and_conflicts_resolve,
    invalid_answers_are_refused_op_by_op,
    a_response_stays_within_its_facility,
    exports_hold_the_merged_answers,
);

/// The contract's example questionnaire.
pub fn awareness_questionnaire() -> Value {
    json!({"title": {"vi": "Nhận thức về sản xuất sạch hơn", "en": "Cleaner production awareness"},
           "pass_mark": 3,
           "questions": [
            {"key": "knows_cp", "kind": "single_choice", "label": {"vi": "Biết về SXSH?", "en": "Knows CP?"},
             "choices": [{"key": "yes", "score": 2}, {"key": "no", "score": 0}]},
            {"key": "topics", "kind": "multi_choice", "label": {"vi": "Chủ đề", "en": "Topics"},
             "choices": [{"key": "energy", "score": 1}, {"key": "water", "score": 1}]},
            {"key": "applies_cp", "kind": "boolean", "label": {"vi": "Áp dụng SXSH", "en": "Applies CP"}},
            {"key": "savings_pct", "kind": "number", "min": 0, "max": 100, "label": {"vi": "Tiết kiệm (%)", "en": "Savings (%)"}},
            {"key": "notes", "kind": "text", "label": {"vi": "Ghi chú", "en": "Notes"}}]})
}

/// Publishes the example questionnaire; returns its id.
pub async fn publish(admin: &AdminClient) -> anyhow::Result<String> {
    let answer = admin
        .post("/api/v1/questionnaires", &awareness_questionnaire())
        .await?;
    anyhow::ensure!(answer.status == StatusCode::CREATED, "{}", answer.json);
    answer.json["id"].as_str().map(str::to_string).context("id")
}

/// The ops that start a response on a raw device.
fn start_response(
    device: &mut RawDevice,
    response: Uuid,
    questionnaire: &str,
    facility: &str,
    answers: Vec<(&str, Value)>,
) -> sachhon_shared::Op {
    let mut fields = vec![
        (meta::QUESTIONNAIRE.to_string(), json!(questionnaire)),
        (meta::VERSION.to_string(), json!(1)),
        (meta::FACILITY.to_string(), json!(facility)),
        (meta::ANSWERED_AT.to_string(), json!("2015-06-01T08:00:00Z")),
    ];
    fields.extend(answers.into_iter().map(|(k, v)| (k.to_string(), v)));
    device.write(RecordKind::Response, response, fields)
}

fn answer(device: &mut RawDevice, response: Uuid, key: &str, value: Value) -> sachhon_shared::Op {
    device.write(
        RecordKind::Response,
        response,
        vec![(key.to_string(), value)],
    )
}

async fn trainer(server: &TestServer) -> anyhow::Result<RawDevice> {
    RawDevice::enroll(
        &server.url,
        &server.admin().device("trainer", None).await?.1,
    )
    .await
}

async fn definitions_are_checked_and_versioned(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let before = admin.state_hash().await?;
    let cases = [
        (
            "duplicate key",
            json!({"key": "knows_cp", "kind": "text"}),
            "questions[5].key",
        ),
        (
            "unknown kind",
            json!({"key": "stars", "kind": "rating"}),
            "questions[5].kind",
        ),
        (
            "no choices",
            json!({"key": "pick", "kind": "single_choice", "choices": []}),
            "questions[5].choices",
        ),
        (
            "min above max",
            json!({"key": "n", "kind": "number", "min": 10, "max": 1}),
            "questions[5].min",
        ),
    ];
    for (case, question, field) in cases {
        let mut definition = awareness_questionnaire();
        definition["questions"]
            .as_array_mut()
            .context("questions")?
            .push(question);
        let refused = admin.post("/api/v1/questionnaires", &definition).await?;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{case}: {}",
            refused.json
        );
        assert_eq!(refused.content_type, "application/problem+json");
        assert_eq!(
            refused.json["field"],
            json!(field),
            "{case}: {}",
            refused.json
        );
    }
    assert_eq!(
        admin.state_hash().await?,
        before,
        "refused definitions change nothing"
    );

    let id = publish(&admin).await?;
    let mut second = awareness_questionnaire();
    second["pass_mark"] = json!(4);
    let updated = admin
        .raw(
            Method::PUT,
            &format!("/api/v1/questionnaires/{id}"),
            Some("application/json"),
            second.to_string().into_bytes(),
        )
        .await?;
    assert_eq!(
        (updated.status, updated.json["version"].clone()),
        (StatusCode::OK, json!(2))
    );
    let latest = admin.get(&format!("/api/v1/questionnaires/{id}")).await?;
    assert_eq!(latest.json["definition"]["pass_mark"], json!(4.0));

    // Phones receive published questionnaires on pull.
    let reader = trainer(&server).await?;
    let versions: Vec<u32> = reader
        .pull_all()
        .await?
        .iter()
        .filter_map(|op| match &op.change {
            Change::Publish(publication) => Some(publication.version),
            _ => None,
        })
        .collect();
    assert_eq!(versions, vec![1, 2]);
    Ok(())
}

async fn offline_edits_merge_by_field_and_conflicts_resolve(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let questionnaire = publish(&admin).await?;
    let facility = admin
        .facility("Công ty Bao bì Đức Hòa", "1100300300", "Đức Hòa")
        .await?;
    let (mut a, mut b) = (trainer(&server).await?, trainer(&server).await?);
    let response = Uuid::now_v7();

    let start = start_response(
        &mut a,
        response,
        &questionnaire,
        &facility,
        vec![("knows_cp", json!("yes"))],
    );
    assert_eq!(
        a.push(std::slice::from_ref(&start)).await?.0,
        StatusCode::OK
    );
    // Phone B has pulled the start, then both edit offline.
    let base = b.pull_all().await?;
    b.absorb(&base);
    let a_edits = vec![
        answer(&mut a, response, "topics", json!(["energy"])),
        answer(&mut a, response, "savings_pct", json!(6)),
    ];
    let b_edits = vec![
        answer(&mut b, response, "applies_cp", json!(true)),
        answer(&mut b, response, "savings_pct", json!(9)),
    ];
    assert_eq!(b.push(&b_edits).await?.0, StatusCode::OK);
    assert_eq!(a.push(&a_edits).await?.0, StatusCode::OK);

    let merged = admin
        .get(&format!("/api/v1/responses/{response}"))
        .await?
        .json;
    assert_eq!(merged["answers"]["topics"], json!([["energy"]]));
    assert_eq!(merged["answers"]["applies_cp"], json!([true]));
    assert_eq!(merged["answers"]["savings_pct"], json!([6, 9]), "{merged}");
    assert_eq!(merged["conflicts"], json!(["savings_pct"]));
    assert_eq!(merged["questionnaire_id"], json!(questionnaire));
    assert_eq!(merged["facility_id"], json!(facility));
    assert_eq!(
        (merged["score"].clone(), merged["passes"].clone()),
        (json!(3.0), json!(true))
    );

    let resolved = admin
        .raw(
            Method::PUT,
            &format!("/api/v1/responses/{response}/answers/savings_pct"),
            Some("application/json"),
            br#"{"value": 8}"#.to_vec(),
        )
        .await?;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.json);
    assert_eq!(resolved.json["answers"]["savings_pct"], json!([8]));
    assert_eq!(resolved.json["conflicts"], json!([]));
    let bad = admin
        .raw(
            Method::PUT,
            &format!("/api/v1/responses/{response}/answers/savings_pct"),
            Some("application/json"),
            br#"{"value": 800}"#.to_vec(),
        )
        .await?;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let reviewed = admin
        .post(
            &format!("/api/v1/responses/{response}/review"),
            &json!({"state": "has_issues", "comment": "Kiểm tra lại số liệu tiết kiệm"}),
        )
        .await?;
    assert_eq!(
        reviewed.json["review"],
        json!({"state": "has_issues", "comment": "Kiểm tra lại số liệu tiết kiệm"})
    );

    // Both phones converge on the resolution and the review.
    let mut replicas = Vec::new();
    for device in [&mut a, &mut b] {
        let ops = device.pull_all().await?;
        device.absorb(&ops);
        replicas.push(device.state_hash());
    }
    assert_eq!(replicas[0], replicas[1]);
    assert_eq!(replicas[0], admin.state_hash().await?);
    Ok(())
}

async fn invalid_answers_are_refused_op_by_op(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let questionnaire = publish(&admin).await?;
    let facility = admin
        .facility("Công ty Gạch Bến Lức", "1100400400", "Bến Lức")
        .await?;
    let mut device = trainer(&server).await?;
    let response = Uuid::now_v7();
    let batch = vec![
        start_response(
            &mut device,
            response,
            &questionnaire,
            &facility,
            vec![("knows_cp", json!("yes"))],
        ),
        answer(&mut device, response, "savings_pct", json!(140)),
        answer(&mut device, response, "knows_cp", json!("perhaps")),
        answer(&mut device, response, "colour", json!("green")),
        answer(&mut device, response, "applies_cp", json!("yes")),
        answer(&mut device, response, "notes", json!("Đã lắp biến tần")),
    ];
    let (status, ack) = device.push(&batch).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        ack["acked_through"],
        json!(6),
        "every op is acknowledged, so the phone moves on"
    );
    let rejected: Vec<(u64, String)> = ack["rejected"]
        .as_array()
        .context("rejected")?
        .iter()
        .map(|r| {
            (
                r["seq"].as_u64().unwrap_or(0),
                r["field"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        vec![
            (2, "savings_pct".into()),
            (3, "knows_cp".into()),
            (4, "colour".into()),
            (5, "applies_cp".into())
        ]
    );
    let view = admin
        .get(&format!("/api/v1/responses/{response}"))
        .await?
        .json;
    assert_eq!(
        view["answers"],
        json!({"knows_cp": ["yes"], "notes": ["Đã lắp biến tần"]}),
        "the valid ops of the batch landed"
    );
    Ok(())
}

async fn a_response_stays_within_its_facility(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let questionnaire = publish(&admin).await?;
    let own = admin.facility("Công ty A", "1100500500", "Tân An").await?;
    let other = admin
        .facility("Công ty B", "1100600600", "Cần Đước")
        .await?;
    let mut phone = RawDevice::enroll(
        &server.url,
        &admin.device("enterprise", Some(&own)).await?.1,
    )
    .await?;
    let mut stranger = RawDevice::enroll(
        &server.url,
        &admin.device("enterprise", Some(&other)).await?.1,
    )
    .await?;
    let response = Uuid::now_v7();
    let start = start_response(
        &mut phone,
        response,
        &questionnaire,
        &own,
        vec![("knows_cp", json!("no"))],
    );
    assert_eq!(
        phone.push(std::slice::from_ref(&start)).await?.0,
        StatusCode::OK
    );

    let seen: Vec<Uuid> = stranger
        .pull_all()
        .await?
        .iter()
        .map(|op| op.record)
        .collect();
    assert!(
        !seen.contains(&response),
        "another facility's phone never receives the response"
    );
    let hash = admin.state_hash().await?;
    let intrusion = answer(&mut stranger, response, "notes", json!("ghi đè"));
    assert_eq!(stranger.push(&[intrusion]).await?.0, StatusCode::FORBIDDEN);
    assert_eq!(
        admin.state_hash().await?,
        hash,
        "the refused write changed nothing"
    );
    let own_view: Vec<Uuid> = phone.pull_all().await?.iter().map(|op| op.record).collect();
    assert!(
        !own_view.contains(&response),
        "a device does not get its own ops back"
    );
    Ok(())
}

async fn exports_hold_the_merged_answers(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let questionnaire = publish(&admin).await?;
    let facility = admin
        .facility("Công ty Thép Cần Giuộc", "1100700700", "Cần Giuộc")
        .await?;
    let (mut a, mut b) = (trainer(&server).await?, trainer(&server).await?);
    let response = Uuid::now_v7();
    let start = start_response(
        &mut a,
        response,
        &questionnaire,
        &facility,
        vec![
            ("knows_cp", json!("yes")),
            ("topics", json!(["energy", "water"])),
        ],
    );
    assert_eq!(
        a.push(std::slice::from_ref(&start)).await?.0,
        StatusCode::OK
    );
    let base = b.pull_all().await?;
    b.absorb(&base);
    let a_note = answer(&mut a, response, "notes", json!("Tiết kiệm điện"));
    let b_note = answer(&mut b, response, "notes", json!("Tiết kiệm nước"));
    assert_eq!(a.push(&[a_note]).await?.0, StatusCode::OK);
    assert_eq!(b.push(&[b_note]).await?.0, StatusCode::OK);

    let csv = admin
        .get(&format!(
            "/api/v1/questionnaires/{questionnaire}/responses.csv"
        ))
        .await?;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.bytes.starts_with(b"\xEF\xBB\xBF"),
        "CSV starts with a UTF-8 BOM for Excel"
    );
    let mut reader = csv::Reader::from_reader(&csv.bytes[3..]);
    let headers = reader.headers()?.clone();
    assert!(
        headers.iter().any(|h| h == "Biết về SXSH?"),
        "Vietnamese headers by default: {headers:?}"
    );
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), 1);
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .context(name.to_string())
    };
    assert_eq!(&rows[0][column("cơ sở")?], "Công ty Thép Cần Giuộc");
    assert_eq!(&rows[0][column("Chủ đề")?], "energy, water");
    assert_eq!(
        &rows[0][column("Ghi chú")?],
        "Tiết kiệm nước | Tiết kiệm điện",
        "a conflict shows as a | b"
    );

    let xlsx = admin
        .get(&format!(
            "/api/v1/questionnaires/{questionnaire}/responses.xlsx?lang=en"
        ))
        .await?;
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes))?;
    let sheet = workbook.worksheet_range("Responses")?;
    let cells: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let notes = cells[0]
        .iter()
        .position(|h| h == "Notes")
        .context("Notes column")?;
    assert_eq!(cells[1][notes], "Tiết kiệm nước | Tiết kiệm điện");
    let knows = cells[0]
        .iter()
        .position(|h| h == "Knows CP?")
        .context("Knows CP? column")?;
    assert_eq!(cells[1][knows], "yes");
    Ok(())
}

mod phones {
    //! Answering phones: real `sachhon-sync` replicas (and the `sachhon-device` binary).

    use super::publish;
    use crate::on_both_backends;
    use reqwest::Method;
    use sachhon_shared::{FacilityId, QuestionnaireId};
    use sachhon_sync::Device;
    use sachhon_tests::process::device_cli;
    use sachhon_tests::{Backend, TestServer};
    use serde_json::json;
    use tempfile::TempDir;

    on_both_backends!(two_phones_merge_and_the_office_resolves_and_reviews);

    async fn phone(
        server: &TestServer,
        role: &str,
        facility: Option<&str>,
    ) -> anyhow::Result<(Device, TempDir)> {
        let (_, token) = server.admin().device(role, facility).await?;
        let home = tempfile::tempdir()?;
        let device = Device::open(home.path()).await?;
        device.enroll(&server.url, &token).await?;
        device.sync().await?;
        Ok((device, home))
    }

    fn sets(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    async fn two_phones_merge_and_the_office_resolves_and_reviews(
        backend: Backend,
    ) -> anyhow::Result<()> {
        let server = TestServer::start(backend).await?;
        let admin = server.admin();
        let questionnaire: QuestionnaireId = publish(&admin).await?.parse()?;
        let facility = admin
            .facility("Công ty Chế biến Gỗ", "0344444444", "Tân An")
            .await?;
        let facility_id: FacilityId = facility.parse()?;
        let (enterprise, enterprise_home) = phone(&server, "enterprise", Some(&facility)).await?;
        let (trainer, _trainer_home) = phone(&server, "trainer", None).await?;

        // The enterprise starts the response; the trainer pulls it; both edit offline.
        let response = enterprise
            .answer(
                questionnaire,
                facility_id,
                None,
                &sets(&[("knows_cp", "yes")]),
            )
            .await?;
        enterprise.sync().await?;
        trainer.sync().await?;
        enterprise
            .answer(
                questionnaire,
                facility_id,
                Some(response),
                &sets(&[("topics", "energy,water"), ("savings_pct", "7")]),
            )
            .await?;
        trainer
            .answer(
                questionnaire,
                facility_id,
                Some(response),
                &sets(&[("applies_cp", "true"), ("savings_pct", "10")]),
            )
            .await?;
        // Invalid values are refused on the phone, and nothing is queued.
        let queued = trainer.outbox_len().await?;
        for bad in [
            ("savings_pct", "140"),
            ("knows_cp", "perhaps"),
            ("colour", "red"),
            ("applies_cp", "yes"),
        ] {
            assert!(
                trainer
                    .answer(questionnaire, facility_id, Some(response), &sets(&[bad]))
                    .await
                    .is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(trainer.outbox_len().await?, queued);
        enterprise.sync().await?;
        trainer.sync().await?;
        enterprise.sync().await?;

        let merged = admin
            .get(&format!("/api/v1/responses/{response}"))
            .await?
            .json;
        assert_eq!(merged["answers"]["topics"], json!([["energy", "water"]]));
        assert_eq!(merged["answers"]["applies_cp"], json!([true]));
        assert_eq!(merged["answers"]["savings_pct"], json!([10, 7]));
        assert_eq!(merged["conflicts"], json!(["savings_pct"]));
        let on_phone = enterprise.response(response).await?;
        assert_eq!(on_phone.view.conflicts, vec!["savings_pct".to_string()]);
        assert_eq!(
            serde_json::to_value(&on_phone.view.answers)?,
            merged["answers"],
            "phone and server show the same merge"
        );

        // The office resolves and reviews; both phones converge on it.
        let resolved = admin
            .raw(
                Method::PUT,
                &format!("/api/v1/responses/{response}/answers/savings_pct"),
                Some("application/json"),
                br#"{"value": 8}"#.to_vec(),
            )
            .await?;
        assert_eq!(resolved.json["answers"]["savings_pct"], json!([8]));
        admin
            .post(
                &format!("/api/v1/responses/{response}/review"),
                &json!({"state": "has_issues", "comment": "Bổ sung hóa đơn điện"}),
            )
            .await?;
        enterprise.sync().await?;
        trainer.sync().await?;
        for device in [&enterprise, &trainer] {
            let view = device.response(response).await?.view;
            assert!(view.conflicts.is_empty());
            assert_eq!(view.answers.get("savings_pct"), Some(&vec![json!(8)]));
        }
        assert_eq!(enterprise.state_hash().await?, trainer.state_hash().await?);

        // The review reaches the answering phone: `show response` through the binary.
        let home = enterprise_home.path().to_path_buf();
        drop(enterprise);
        let (code, shown) = device_cli(&home, &["show", "response", &response.to_string()]).await?;
        assert_eq!(code, 0, "{shown}");
        assert_eq!(
            shown["review"],
            json!({"state": "has_issues", "comment": "Bổ sung hóa đơn điện"})
        );
        assert_eq!(shown["answers"]["savings_pct"], json!([8]));
        assert_eq!(
            (shown["score"].clone(), shown["passes"].clone()),
            (json!(4.0), json!(true))
        );
        let (code, refused) = device_cli(
            &home,
            &[
                "answer",
                "--questionnaire",
                &questionnaire.to_string(),
                "--facility",
                &facility,
                "--response",
                &response.to_string(),
                "--set",
                "savings_pct=200",
            ],
        )
        .await?;
        assert_eq!(
            code, 1,
            "an invalid value is refused on the phone: {refused}"
        );
        let (code, _) = device_cli(
            &home,
            &["show", "response", &uuid::Uuid::now_v7().to_string()],
        )
        .await?;
        assert_eq!(code, 1, "a response the replica does not hold");
        Ok(())
    }
}
