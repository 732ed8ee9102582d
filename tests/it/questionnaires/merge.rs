//! Offline edits of one response on two phones: merged field by field with the conflict
//! visible, resolved and reviewed in the office, and converging on every replica.

use super::{answer, publish, start_response, trainer};
use reqwest::{Method, StatusCode};
use sachhon_tests::{Backend, TestServer};
use serde_json::json;
use uuid::Uuid;

pub(super) async fn offline_edits_merge_by_field_and_conflicts_resolve(
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
