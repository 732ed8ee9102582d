//! Invalid answers in a pushed batch: each refused op by op with its field, while the batch
//! is acknowledged and its valid ops land.

use super::{answer, publish, start_response, trainer};
use anyhow::Context;
use reqwest::StatusCode;
use sachhon_tests::{Backend, TestServer};
use serde_json::json;
use uuid::Uuid;

pub(super) async fn invalid_answers_are_refused_op_by_op(backend: Backend) -> anyhow::Result<()> {
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
