//! Definitions: invalid ones refused with the offending field and nothing changed, new
//! versions published, and every version reaching the phones on pull.

use super::{awareness_questionnaire, publish, trainer};
use anyhow::Context;
use reqwest::{Method, StatusCode};
use sachhon_shared::Change;
use sachhon_tests::{Backend, TestServer};
use serde_json::json;

pub(super) async fn definitions_are_checked_and_versioned(backend: Backend) -> anyhow::Result<()> {
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
