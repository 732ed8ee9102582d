//! Questionnaires on the phone: publications pulled and hashed as received, answers checked
//! and queued as one op offline, edits, refusals that queue nothing, the role rule,
//! concurrent edits that conflict, the office's review, and the server's rejections shown
//! with their response.

use super::fake_server::{FakeServer, Knobs};
use super::{enrolment, trainer};
use crate::{Device, Error, LocalResponse, Options, SyncReport};
use sachhon_shared::authority::Role;
use sachhon_shared::questionnaire::{meta, Definition};
use sachhon_shared::replica::Replica;
use sachhon_shared::wire::Rejection;
use sachhon_shared::{
    ActorId, Change, FacilityId, Op, Publication, QuestionnaireId, RecordKind, ResponseId,
};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

const SERVER: &str = "http://127.0.0.1:9";

/// The definition of CONTRACT.md, with a title per version.
fn definition(title: &str) -> Definition {
    serde_json::from_value(json!({
        "title": {"vi": title, "en": title}, "pass_mark": 3,
        "questions": [
            {"key": "knows_cp", "kind": "single_choice", "label": {"vi": "Biết SXSH?", "en": "Knows CP?"},
             "choices": [{"key": "yes", "score": 2}, {"key": "no", "score": 0}]},
            {"key": "topics", "kind": "multi_choice",
             "choices": [{"key": "energy", "score": 1}, {"key": "water", "score": 1}]},
            {"key": "applies_cp", "kind": "boolean"},
            {"key": "savings_pct", "kind": "number", "min": 0, "max": 100},
            {"key": "notes", "kind": "text"}]}))
    .expect("parses")
}

fn publication(questionnaire: QuestionnaireId, version: u32) -> Publication {
    Publication {
        questionnaire,
        version,
        definition: definition(&format!("v{version}")),
    }
}

/// The server's op publishing `publication`.
fn publish(server: ActorId, seq: u64, publication: Publication) -> Op {
    Op {
        actor: server,
        seq,
        kind: RecordKind::Questionnaire,
        record: Uuid::now_v7(),
        change: Change::Publish(publication),
    }
}

fn sets(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn outbox(device: &Device) -> Vec<Op> {
    device
        .store
        .outbox_head(usize::MAX)
        .await
        .expect("outbox")
        .0
}

async fn pull(device: &Device, ops: &[Op]) {
    device
        .store
        .apply_page(&super::page(ops, "1", &[]))
        .await
        .expect("applies");
}

/// A trainer phone holding version 1 of a new questionnaire; returns the questionnaire and
/// the publishing op.
async fn phone_with_questionnaire(home: &std::path::Path) -> (Device, QuestionnaireId, Op) {
    let device = trainer(home, SERVER, Options::default()).await;
    let questionnaire = QuestionnaireId::new();
    let op = publish(ActorId::new(), 1, publication(questionnaire, 1));
    pull(&device, std::slice::from_ref(&op)).await;
    (device, questionnaire, op)
}

fn field_count(op: &Op) -> usize {
    match &op.change {
        Change::Fields(edit) => edit.fields.len(),
        other => panic!("expected fields, got {other:?}"),
    }
}

#[tokio::test]
async fn a_pulled_questionnaire_is_answered_offline_in_one_op() {
    let home = tempfile::tempdir().expect("home");
    let a_year_ago = -365 * 24 * 3_600_000;
    let device = trainer(
        home.path(),
        SERVER,
        Options {
            clock_offset_ms: a_year_ago,
            ..Options::default()
        },
    )
    .await;
    let (server, questionnaire, facility) =
        (ActorId::new(), QuestionnaireId::new(), FacilityId::new());
    let published = [
        publish(server, 1, publication(questionnaire, 1)),
        publish(server, 2, publication(questionnaire, 2)),
    ];
    pull(&device, &published).await;
    pull(&device, &published).await;

    let answers = sets(&[
        ("knows_cp", "yes"),
        ("topics", "energy,water"),
        ("applies_cp", "true"),
        ("savings_pct", "12.5"),
        ("notes", "Lò hơi mới"),
    ]);
    let id = device
        .answer(questionnaire, facility, None, &answers)
        .await
        .expect("answers");

    let ops = outbox(&device).await;
    assert_eq!(ops.len(), 1);
    let op = &ops[0];
    assert_eq!((op.kind, op.record), (RecordKind::Response, id.0));
    assert!(op.check().is_ok());
    assert_eq!(field_count(op), 9);
    let fields = op.field_values();
    assert!(fields.contains(&(meta::QUESTIONNAIRE, &json!(questionnaire.to_string()))));
    assert!(fields.contains(&(meta::VERSION, &json!(2))));
    assert!(fields.contains(&(meta::FACILITY, &json!(facility.to_string()))));
    assert!(fields.contains(&("topics", &json!(["energy", "water"]))));

    let shown = device.response(id).await.expect("shown");
    let view = &shown.view;
    assert_eq!(view.questionnaire_id, Some(questionnaire));
    assert_eq!(view.version, Some(2));
    assert_eq!(view.facility_id, Some(facility));
    assert_eq!(view.answers["knows_cp"], vec![json!("yes")]);
    assert_eq!(view.answers["applies_cp"], vec![json!(true)]);
    assert_eq!(view.answers["savings_pct"], vec![json!(12.5)]);
    assert!(view.conflicts.is_empty() && shown.rejected.is_empty());
    assert_eq!((view.score, view.passes), (Some(4.0), Some(true)));
    assert_eq!(view.review.state, None);
    let answered_at = view.answered_at.as_deref().expect("answered at");
    let answered_at = OffsetDateTime::parse(answered_at, &Rfc3339).expect("RFC 3339");
    let skew = (OffsetDateTime::now_utc() - answered_at).whole_milliseconds();
    assert!(
        (-a_year_ago..-a_year_ago + 60_000).contains(&(skew as i64)),
        "{skew}"
    );

    // The server's shape plus the rejections, in one flat object.
    let printed = serde_json::to_value(&shown).expect("json");
    assert_eq!(printed["id"], json!(id.to_string()));
    assert_eq!(printed["answers"]["topics"], json!([["energy", "water"]]));
    assert_eq!(printed["conflicts"], json!([]));
    assert_eq!(printed["rejected"], json!([]));

    // Publications are hashed exactly as received: a replica that received the same ops
    // agrees.
    let mut theirs = Replica::new();
    theirs.receive(server, &published).expect("in order");
    theirs.receive(op.actor, &ops).expect("in order");
    assert_eq!(
        device.state_hash().await.expect("hash"),
        theirs.state_hash()
    );
}

#[tokio::test]
async fn a_second_answer_edits_one_field_of_the_response() {
    let home = tempfile::tempdir().expect("home");
    let (device, questionnaire, _) = phone_with_questionnaire(home.path()).await;
    let facility = FacilityId::new();
    let first = sets(&[("knows_cp", "yes"), ("topics", "energy")]);
    let id = device
        .answer(questionnaire, facility, None, &first)
        .await
        .expect("answers");
    let again = device
        .answer(
            questionnaire,
            facility,
            Some(id),
            &sets(&[("knows_cp", "no")]),
        )
        .await
        .expect("edits");
    assert_eq!(again, id);

    let ops = outbox(&device).await;
    assert_eq!(ops.len(), 2);
    assert_eq!(ops[1].record, id.0);
    assert_eq!(field_count(&ops[1]), 1);
    assert_eq!(ops[1].field_values(), vec![("knows_cp", &json!("no"))]);
    let view = device.response(id).await.expect("shown").view;
    assert_eq!(view.answers["knows_cp"], vec![json!("no")]);
    assert_eq!(view.answers["topics"], vec![json!(["energy"])]);
    assert!(view.conflicts.is_empty());
    assert_eq!((view.score, view.passes), (Some(1.0), Some(false)));

    // The response must be held, and be of this facility and questionnaire.
    let edit = sets(&[("knows_cp", "yes")]);
    for (questionnaire, facility, response) in [
        (questionnaire, facility, ResponseId::new()),
        (questionnaire, FacilityId::new(), id),
        (QuestionnaireId::new(), facility, id),
    ] {
        let refused = device
            .answer(questionnaire, facility, Some(response), &edit)
            .await;
        assert!(
            matches!(refused, Err(Error::NotFound(_) | Error::Invalid(_))),
            "{refused:?}"
        );
    }
    assert_eq!(device.outbox_len().await.expect("len"), 2);
}

#[tokio::test]
async fn invalid_answers_are_refused_and_nothing_is_queued() {
    let home = tempfile::tempdir().expect("home");
    let (device, questionnaire, _) = phone_with_questionnaire(home.path()).await;
    let facility = FacilityId::new();
    let id = device
        .answer(questionnaire, facility, None, &sets(&[("knows_cp", "yes")]))
        .await
        .expect("answers");
    let (before, hash) = (
        device.outbox_len().await.expect("len"),
        device.state_hash().await.expect("hash"),
    );
    let cases = [
        ("savings_pct", "101"),   // out of range
        ("knows_cp", "maybe"),    // unknown choice
        ("topics", "energy,air"), // unknown choice in a list
        ("colour", "red"),        // unknown key
        ("savings_pct", "a lot"), // wrong type
        ("applies_cp", "yes"),    // wrong type
        ("$review", "approved"),  // not an answer
    ];
    for (key, value) in cases {
        // With a valid answer alongside: one bad value refuses the whole command.
        let given = sets(&[("notes", "ok"), (key, value)]);
        for response in [None, Some(id)] {
            match device
                .answer(questionnaire, facility, response, &given)
                .await
            {
                Err(Error::Invalid(message)) => assert!(message.starts_with(key), "{message}"),
                other => panic!("expected {key}={value} to be refused, got {other:?}"),
            }
        }
    }
    assert!(matches!(
        device.answer(questionnaire, facility, None, &[]).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        device
            .answer(
                QuestionnaireId::new(),
                facility,
                None,
                &sets(&[("knows_cp", "yes")])
            )
            .await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(device.outbox_len().await.expect("len"), before);
    assert_eq!(device.state_hash().await.expect("hash"), hash);
    // No sequence number was consumed either.
    device
        .answer(questionnaire, facility, Some(id), &sets(&[("notes", "ok")]))
        .await
        .expect("answers");
    assert_eq!(outbox(&device).await[1].seq, 2);
}

#[tokio::test]
async fn an_enterprise_device_answers_only_for_its_own_facility() {
    let home = tempfile::tempdir().expect("home");
    let device = Device::open(home.path()).await.expect("opens");
    let own = FacilityId::new();
    let mut enrolled = enrolment(Role::Enterprise);
    enrolled.facility_id = Some(own);
    device
        .install_enrolment(SERVER, &enrolled)
        .await
        .expect("enrols");
    let questionnaire = QuestionnaireId::new();
    let server = ActorId::new();
    pull(
        &device,
        &[publish(server, 1, publication(questionnaire, 1))],
    )
    .await;

    // Another facility's response, as a trainer made it.
    let (other, theirs) = (FacilityId::new(), ResponseId::new());
    let trainer_op = Replica::new().write(
        ActorId::new(),
        1,
        RecordKind::Response,
        theirs.0,
        vec![
            (meta::QUESTIONNAIRE.into(), json!(questionnaire.to_string())),
            (meta::VERSION.into(), json!(1)),
            (meta::FACILITY.into(), json!(other.to_string())),
            ("knows_cp".into(), json!("no")),
        ],
    );
    pull(&device, &[trainer_op]).await;

    let answer = sets(&[("knows_cp", "yes")]);
    for (facility, response) in [(other, None), (other, Some(theirs)), (own, Some(theirs))] {
        let refused = device
            .answer(questionnaire, facility, response, &answer)
            .await;
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    }
    assert_eq!(device.outbox_len().await.expect("len"), 0);
    let id = device
        .answer(questionnaire, own, None, &answer)
        .await
        .expect("own facility");
    assert_eq!(
        device.response(id).await.expect("shown").view.facility_id,
        Some(own)
    );
}

#[tokio::test]
async fn showing_a_response_the_replica_lacks_is_refused() {
    let home = tempfile::tempdir().expect("home");
    let device = Device::open(home.path()).await.expect("opens");
    assert!(matches!(
        device.response(ResponseId::new()).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn concurrent_edits_of_one_answer_show_both_values_on_both_phones() {
    let (home_a, home_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (a, questionnaire, published) = phone_with_questionnaire(home_a.path()).await;
    let b = trainer(home_b.path(), SERVER, Options::default()).await;
    pull(&b, &[published]).await;
    let facility = FacilityId::new();
    let id = a
        .answer(questionnaire, facility, None, &sets(&[("knows_cp", "yes")]))
        .await
        .expect("answers");
    pull(&b, &outbox(&a).await).await;

    a.answer(
        questionnaire,
        facility,
        Some(id),
        &sets(&[("knows_cp", "no")]),
    )
    .await
    .expect("a edits");
    b.answer(
        questionnaire,
        facility,
        Some(id),
        &sets(&[("knows_cp", "yes")]),
    )
    .await
    .expect("b edits");
    let (from_a, from_b) = (outbox(&a).await, outbox(&b).await);
    pull(&b, &from_a[1..]).await;
    pull(&a, &from_b).await;

    for phone in [&a, &b] {
        let LocalResponse { view, .. } = phone.response(id).await.expect("shown");
        assert_eq!(view.answers["knows_cp"], vec![json!("no"), json!("yes")]);
        assert_eq!(view.conflicts, vec!["knows_cp".to_string()]);
    }
    assert_eq!(
        a.state_hash().await.expect("hash a"),
        b.state_hash().await.expect("hash b")
    );

    // The office's review arrives like any other change.
    let review = Replica::new().write(
        ActorId::new(),
        1,
        RecordKind::Response,
        id.0,
        vec![
            (meta::REVIEW.into(), json!("has_issues")),
            (meta::REVIEW_COMMENT.into(), json!("knows_cp twice")),
        ],
    );
    pull(&a, &[review]).await;
    let review = a.response(id).await.expect("shown").view.review;
    assert_eq!(review.state.as_deref(), Some("has_issues"));
    assert_eq!(review.comment.as_deref(), Some("knows_cp twice"));
}

#[tokio::test]
async fn a_rejection_in_an_acknowledgement_is_kept_with_its_response() {
    let home = tempfile::tempdir().expect("home");
    let (device, questionnaire, _) = phone_with_questionnaire(home.path()).await;
    let id = device
        .answer(
            questionnaire,
            FacilityId::new(),
            None,
            &sets(&[("savings_pct", "40")]),
        )
        .await
        .expect("answers");
    let op = outbox(&device).await.remove(0);
    let rejection = |record| Rejection {
        seq: op.seq,
        record,
        field: "savings_pct".into(),
        message: "40 is out of range".into(),
    };

    // A rejection naming another record than the outbox's op drops nothing.
    let wrong = device
        .store
        .acknowledge(1, &[rejection(Uuid::now_v7())], 0)
        .await;
    assert!(matches!(wrong, Err(Error::Protocol(_))), "{wrong:?}");
    assert_eq!(device.outbox_len().await.expect("len"), 1);

    let done = device
        .store
        .acknowledge(1, &[rejection(op.record)], 1_700_000_000_000)
        .await
        .expect("acknowledges");
    assert_eq!((done.dropped, done.rejected), (1, 1));
    assert_eq!(device.outbox_len().await.expect("len"), 0);
    let shown = device.response(id).await.expect("shown");
    assert_eq!(shown.rejected.len(), 1);
    let printed = serde_json::to_value(&shown).expect("json");
    assert_eq!(
        printed["rejected"],
        json!([{"seq": 1, "field": "savings_pct",
                "message": "40 is out of range"}])
    );
}

#[tokio::test]
async fn answers_sync_and_the_servers_refusals_are_recorded() {
    let server = FakeServer::start(Knobs::default()).await;
    let (home_a, home_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let a = trainer(home_a.path(), &server.url, Options::default()).await;
    let b = trainer(home_b.path(), &server.url, Options::default()).await;
    let questionnaire = QuestionnaireId::new();
    server.publish(publication(questionnaire, 1));
    assert_eq!(a.sync().await.expect("sync").pulled, 1);

    let facility = FacilityId::new();
    let id = a
        .answer(questionnaire, facility, None, &sets(&[("knows_cp", "yes")]))
        .await
        .expect("answers");
    assert_eq!(
        a.sync().await.expect("sync"),
        SyncReport {
            pushed: 1,
            pulled: 0,
            rejected: 0
        }
    );
    assert_eq!(a.state_hash().await.expect("hash"), server.state_hash());

    server.set_knobs(Knobs {
        reject_answer: Some("savings_pct".into()),
        ..Knobs::default()
    });
    a.answer(
        questionnaire,
        facility,
        Some(id),
        &sets(&[("savings_pct", "30")]),
    )
    .await
    .expect("answers");
    assert_eq!(
        a.sync().await.expect("sync"),
        SyncReport {
            pushed: 1,
            pulled: 0,
            rejected: 1
        }
    );
    assert_eq!(a.outbox_len().await.expect("len"), 0);
    let rejected = a.response(id).await.expect("shown").rejected;
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        (rejected[0].seq, rejected[0].field.as_str()),
        (2, "savings_pct")
    );

    // Other phones receive the publication and the accepted answer, not the refused one.
    assert_eq!(b.sync().await.expect("sync").pulled, 2);
    let view = b.response(id).await.expect("shown");
    assert_eq!(view.view.answers.keys().collect::<Vec<_>>(), ["knows_cp"]);
    assert!(view.rejected.is_empty());
}
