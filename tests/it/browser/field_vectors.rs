//! The field app's sync protocol in JavaScript (`server/app/js/`), a second independent client
//! of protocol v2, in headless Chromium: every test vector of `docs/sync-vectors/` runs in the
//! page served by the real server (outcomes, merged view, state hash), and a push body that
//! the browser encodes is read by the Rust decoder as the ops it meant, byte for byte the
//! body Rust itself would write.

use super::webdriver::{Driver, Session};
use anyhow::Context;
use crdts::{CmRDT, Dot};
use sachhon_shared::doc::Clock;
use sachhon_shared::wire::{decode_push, encode_push};
use sachhon_shared::{ActorId, Change, Edit, Op, RecordKind};
use sachhon_tests::{Backend, TestServer};
use serde_json::{json, Value};
use std::path::PathBuf;
use uuid::Uuid;

/// Runs every vector file given as an argument through `runVector`; calls back with the list.
const RUN_VECTORS: &str = "const done = arguments[arguments.length - 1];
const texts = Array.prototype.slice.call(arguments, 0, -1);
(async () => {
    const {runVector} = await import('/app/js/vectors.js');
    const results = [];
    for (const text of texts) results.push(await runVector(text));
    return results;
})().then(done, (e) => done({error: String(e && e.stack || e)}));";

/// Encodes a person op and a response op of actor `a` in the browser; calls back with hex.
const ENCODE_PUSH: &str = "const done = arguments[arguments.length - 1];
const [a, b, person, facility, response, questionnaire] = arguments;
(async () => {
    const {encodePush} = await import('/app/js/wire.js');
    const {hex} = await import('/app/js/cbor.js');
    const ops = [
        {actor: a, seq: 3, kind: 'person', record: person, change: {edit: {
            context: {[b]: 5, [a]: 2},
            fields: [['phone', null], ['name', 'Nguyễn Thị Lan'], ['facility_id', facility],
                     ['cp_staff', true]]}}},
        {actor: a, seq: 4, kind: 'response', record: response, change: {edit: {
            context: {},
            fields: [['staff_count', 12.0], ['savings_pct', 8.5], ['knows_cp', 'yes'],
                     ['topics', ['energy', 'water']], ['$answered_at', '2026-11-30T02:00:00Z'],
                     ['$facility', facility], ['$version', 1], ['$questionnaire', questionnaire]]}}},
    ];
    return {hex: hex(encodePush(a, ops))};
})().then(done, (e) => done({error: String(e && e.stack || e)}));";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_client_passes_every_vector_in_chromium() -> anyhow::Result<()> {
    let driver = Driver::start().await?;
    let server = TestServer::start(Backend::Sqlite).await?;
    let profile = tempfile::tempdir()?;
    let browser = driver.session(profile.path()).await?;
    let url = server.url.clone();
    super::with_browsers(
        vec![browser],
        move |b| async move { drive(&b[0], &url).await },
    )
    .await
}

/// The vector files, sorted by name: (name, JSON text).
fn vector_files() -> anyhow::Result<Vec<(String, String)>> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/sync-vectors");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&folder).with_context(|| format!("{}", folder.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            found.push((name.unwrap_or_default(), std::fs::read_to_string(&path)?));
        }
    }
    found.sort();
    Ok(found)
}

async fn drive(browser: &Session, base: &str) -> anyhow::Result<()> {
    browser.goto(&format!("{base}/app/")).await?;

    let vectors = vector_files()?;
    assert!(vectors.len() >= 19, "only {} vector files", vectors.len());
    let texts: Vec<Value> = vectors.iter().map(|(_, text)| json!(text)).collect();
    let results = browser.execute_async(RUN_VECTORS, json!(texts)).await?;
    let results = results
        .as_array()
        .with_context(|| format!("the page answered {results}"))?;
    assert_eq!(results.len(), vectors.len(), "{results:?}");
    let failed: Vec<String> = vectors
        .iter()
        .zip(results)
        .filter(|(_, result)| result["ok"] != json!(true))
        .map(|((name, _), result)| format!("{name}: {}", result["error"]))
        .collect();
    assert!(
        failed.is_empty(),
        "vectors failed in JavaScript:\n{}",
        failed.join("\n")
    );

    // The other way: a push the browser encodes is what Rust reads, and what Rust writes.
    let id = |n: u128| Uuid::from_u128(0x01930000_0000_7000_8000_000000000000 | n);
    let (a, b) = (ActorId(id(0xa1)), ActorId(id(0xa2)));
    let (person, facility, response, questionnaire) = (id(0x10), id(0x20), id(0x30), id(0x31));
    let args = json!([a.0, b.0, person, facility, response, questionnaire]);
    let answer = browser.execute_async(ENCODE_PUSH, args).await?;
    let hex = answer["hex"]
        .as_str()
        .with_context(|| format!("the page answered {answer}"))?;
    let body = data_encoding::HEXLOWER.decode(hex.as_bytes())?;

    let mut context = Clock::new();
    context.apply(Dot::new(a, 2));
    context.apply(Dot::new(b, 5));
    let fields = |pairs: Vec<(&str, Value)>| -> Vec<(String, Value)> {
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    };
    let expected = vec![
        Op {
            actor: a,
            seq: 3,
            kind: RecordKind::Person,
            record: person,
            change: Change::Fields(Edit {
                context,
                // In wire order: field codes ascending.
                fields: fields(vec![
                    ("name", json!("Nguyễn Thị Lan")),
                    ("facility_id", json!(facility.to_string())),
                    ("cp_staff", json!(true)),
                    ("phone", Value::Null),
                ]),
            }),
        },
        Op {
            actor: a,
            seq: 4,
            kind: RecordKind::Response,
            record: response,
            change: Change::Fields(Edit {
                context: Clock::new(),
                // Codes first, then answer keys in the order of their encodings.
                fields: fields(vec![
                    ("$questionnaire", json!(questionnaire.to_string())),
                    ("$version", json!(1)),
                    ("$facility", json!(facility.to_string())),
                    ("$answered_at", json!("2026-11-30T02:00:00Z")),
                    ("topics", json!(["energy", "water"])),
                    ("knows_cp", json!("yes")),
                    ("savings_pct", json!(8.5)),
                    ("staff_count", json!(12)),
                ]),
            }),
        },
    ];
    let (author, ops) = decode_push(&body).map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(author, a);
    assert_eq!(ops, expected);
    assert_eq!(
        hex,
        data_encoding::HEXLOWER.encode(&encode_push(a, &expected)),
        "the browser writes the canonical form Rust writes"
    );
    Ok(())
}
