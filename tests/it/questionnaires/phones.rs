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
