//! Regression tests for the adversarial review of issue 9: every finding, through the real
//! server, on both backends. Each refusal is checked to change nothing, and the refused phone
//! to go on syncing. The stories live in one submodule per theme; this module holds the
//! helpers they share.

mod connections;
mod inputs;
mod rules;
mod times;

use crate::on_both_backends;
use connections::failed_logins_are_throttled_and_a_flood_is_refused;
use inputs::{
    a_pull_page_is_bounded_in_bytes, every_error_is_problem_json,
    spreadsheet_cells_never_start_a_formula, texts_follow_one_rule,
};
use rules::{
    a_moved_person_leaves_the_old_facility_and_arrives_whole,
    a_ticket_revoked_before_its_scan_is_flagged,
    field_rules_keep_review_and_registrations_to_the_office,
    scans_must_match_an_existing_registration,
};
use sachhon_shared::{Op, PersonId, RegistrationId};
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{AdminClient, TestServer};
use serde_json::Value;
use times::times_out_of_range_are_refused_op_by_op_and_the_phone_goes_on;

on_both_backends!(
    times_out_of_range_are_refused_op_by_op_and_the_phone_goes_on,
    field_rules_keep_review_and_registrations_to_the_office,
    scans_must_match_an_existing_registration,
    texts_follow_one_rule,
    spreadsheet_cells_never_start_a_formula,
    every_error_is_problem_json,
    a_ticket_revoked_before_its_scan_is_flagged,
    failed_logins_are_throttled_and_a_flood_is_refused,
    a_moved_person_leaves_the_old_facility_and_arrives_whole,
    a_pull_page_is_bounded_in_bytes,
);

/// A raw trainer device enrolled on `server`.
pub(super) async fn trainer(server: &TestServer, admin: &AdminClient) -> anyhow::Result<RawDevice> {
    let (_, token) = admin.device("trainer", None).await?;
    RawDevice::enroll(&server.url, &token).await
}

/// The acknowledgement's rejections as `(seq, field)`.
pub(super) fn rejections(ack: &Value) -> Vec<(u64, String)> {
    ack["rejected"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|r| {
                    (
                        r["seq"].as_u64().unwrap_or(0),
                        r["field"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The registration and person of a walk-in's registration op.
pub(super) fn registration_and_person(op: &Op) -> anyhow::Result<(RegistrationId, PersonId)> {
    let person = op
        .field_values()
        .into_iter()
        .find(|(key, _)| *key == "person_id")
        .and_then(|(_, v)| v.as_str()?.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no person_id in {op:?}"))?;
    Ok((RegistrationId(op.record), person))
}
