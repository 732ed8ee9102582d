//! Questionnaires: definitions checked, answers merged field by field with visible conflicts,
//! invalid answers refused op by op, resolution and review reaching every replica, tenancy,
//! and exports that read back. The stories live in one submodule each; this module holds
//! the example questionnaire and the raw-device helpers they share.

mod definitions;
mod exports;
mod merge;
mod phones;
mod tenancy;
mod validation;

use crate::on_both_backends;
use anyhow::Context;
use definitions::definitions_are_checked_and_versioned;
use exports::exports_hold_the_merged_answers;
use merge::offline_edits_merge_by_field_and_conflicts_resolve;
use reqwest::StatusCode;
use sachhon_shared::questionnaire::meta;
use sachhon_shared::RecordKind;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{AdminClient, TestServer};
use serde_json::{json, Value};
use tenancy::a_response_stays_within_its_facility;
use uuid::Uuid;
use validation::invalid_answers_are_refused_op_by_op;

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
pub fn start_response(
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

/// One answer written on a raw device.
fn answer(device: &mut RawDevice, response: Uuid, key: &str, value: Value) -> sachhon_shared::Op {
    device.write(
        RecordKind::Response,
        response,
        vec![(key.to_string(), value)],
    )
}

/// A trainer's raw device.
async fn trainer(server: &TestServer) -> anyhow::Result<RawDevice> {
    RawDevice::enroll(
        &server.url,
        &server.admin().device("trainer", None).await?.1,
    )
    .await
}
