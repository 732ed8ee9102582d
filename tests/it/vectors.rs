//! The protocol's test vectors (`docs/sync-vectors/`) against the real server: each vector
//! that devices may push runs on a fresh server, its actors enrolled as office devices; every
//! push gets the answer the vector says (200 with the same rejections, 400 or 422), and the
//! server ends with the vector's state hash.

use crate::on_both_backends;
use reqwest::StatusCode;
use sachhon_server::{store, tokens};
use sachhon_shared::vectors::{Outcome, RejectedOp, Vector};
use sachhon_shared::wire::{decode_push, CBOR_MEDIA_TYPE};
use sachhon_shared::ActorId;
use sachhon_tests::{Backend, TestServer};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

on_both_backends!(the_server_gives_every_vector_its_outcome_and_state_hash);

fn vectors() -> anyhow::Result<Vec<(String, Vector)>> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/sync-vectors");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&folder)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let vector: Vector = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
            found.push((name.unwrap_or_default(), vector));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// Enrols `actor` as an office device of the server and returns its access token: the
/// device is registered over HTTP, its enrolment made in the store with the vector's actor id.
async fn enrol_as(server: &TestServer, actor: ActorId) -> anyhow::Result<String> {
    let (_, enrolment_token) = server.admin().device("office", None).await?;
    let store = store::connect(&server.database.url).await?;
    let access = tokens::generate();
    store
        .enroll(
            &tokens::hash(&enrolment_token),
            actor,
            &tokens::hash(&access),
        )
        .await?;
    Ok(access)
}

async fn the_server_gives_every_vector_its_outcome_and_state_hash(
    backend: Backend,
) -> anyhow::Result<()> {
    let all = vectors()?;
    anyhow::ensure!(all.iter().filter(|(_, v)| v.server).count() >= 10);
    let http = reqwest::Client::new();
    for (name, vector) in all.into_iter().filter(|(_, v)| v.server) {
        let server = TestServer::start(backend).await?;
        let mut tokens: HashMap<ActorId, String> = HashMap::new();
        for (i, push) in vector.pushes.iter().enumerate() {
            let body = push.bytes().map_err(anyhow::Error::msg)?;
            // A body that does not decode is sent with the first actor's token.
            let author = decode_push(&body)
                .map(|(author, _)| author)
                .unwrap_or(ActorId(uuid::Uuid::from_u128(
                    0x0193_0000_0000_7000_8000_0000_0000_00a1,
                )));
            let token = match tokens.get(&author) {
                Some(token) => token.clone(),
                None => {
                    let token = enrol_as(&server, author).await?;
                    tokens.insert(author, token.clone());
                    token
                }
            };
            let before = server.admin().state_hash().await?;
            let response = http
                .post(format!("{}/api/v1/sync/push", server.url))
                .bearer_auth(&token)
                .header("content-type", CBOR_MEDIA_TYPE)
                .body(body)
                .send()
                .await?;
            let status = response.status();
            let answer: Value = serde_json::from_slice(&response.bytes().await?)?;
            let at = format!("{name} push {i}: {answer}");
            match &push.outcome {
                Outcome::Applied => {
                    assert_eq!(status, StatusCode::OK, "{at}");
                    assert!(answer.get("rejected").is_none(), "{at}");
                }
                Outcome::Malformed => assert_eq!(status, StatusCode::BAD_REQUEST, "{at}"),
                Outcome::Refused { field } => {
                    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{at}");
                    assert_eq!(answer["field"].as_str(), field.as_deref(), "{at}");
                }
                Outcome::Rejected { ops } => {
                    assert_eq!(status, StatusCode::OK, "{at}");
                    let rejected: Vec<RejectedOp> = answer["rejected"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|r| RejectedOp {
                            seq: r["seq"].as_u64().unwrap_or_default(),
                            field: r["field"].as_str().unwrap_or_default().to_string(),
                        })
                        .collect();
                    assert_eq!(&rejected, ops, "{at}");
                }
            }
            if matches!(push.outcome, Outcome::Malformed | Outcome::Refused { .. }) {
                assert_eq!(server.admin().state_hash().await?, before, "{at}");
            }
        }
        assert_eq!(
            server.admin().state_hash().await?,
            vector.state_hash,
            "{name}"
        );
    }
    Ok(())
}
