//! Who may write what, and what a scan must match: review office-only, registrations kept
//! to the office, scans of their own registration, revoked tickets flagged, moved records.

use super::{registration_and_person, rejections, trainer};
use crate::questionnaires::start_response;
use reqwest::StatusCode;
use sachhon_shared::questionnaire::meta;
use sachhon_shared::{EventId, PersonId, RecordKind, RegistrationId};
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{Backend, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

pub(super) async fn field_rules_keep_review_and_registrations_to_the_office(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let facility = admin.facility("Công ty A", "0300000001", "Bến Lức").await?;
    let questionnaire = crate::questionnaires::publish(&admin).await?;
    let (_, token) = admin.device("enterprise", Some(&facility)).await?;
    let mut enterprise = RawDevice::enroll(&server.url, &token).await?;
    let mut trainer = trainer(&server, &admin).await?;

    // The enterprise starts its response, then approves it itself.
    let response = Uuid::now_v7();
    let start = start_response(
        &mut enterprise,
        response,
        &questionnaire,
        &facility,
        vec![("knows_cp", json!("yes"))],
    );
    let approve = enterprise.write(
        RecordKind::Response,
        response,
        vec![(meta::REVIEW.into(), json!("approved"))],
    );
    let (status, ack) = enterprise.push(&[start, approve]).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(rejections(&ack), vec![(2, meta::REVIEW.into())]);

    // A trainer reviews that response, or moves it to another facility.
    trainer.absorb(&trainer.pull_all().await?);
    let other = admin.facility("Công ty B", "0300000002", "Bến Lức").await?;
    let review = trainer.write(
        RecordKind::Response,
        response,
        vec![(meta::REVIEW.into(), json!("approved"))],
    );
    let moved = trainer.write(
        RecordKind::Response,
        response,
        vec![(meta::FACILITY.into(), json!(other))],
    );
    let (status, ack) = trainer.push(&[review, moved]).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        rejections(&ack),
        vec![(1, meta::REVIEW.into()), (2, meta::FACILITY.into())]
    );
    let view = admin.get(&format!("/api/v1/responses/{response}")).await?;
    assert_eq!(view.json["facility_id"], json!(facility), "{}", view.json);
    assert_ne!(
        view.json["review"]["state"],
        json!("approved"),
        "{}",
        view.json
    );

    // A trainer un-revokes an office registration, or gives its ticket to someone else.
    let event = admin.event("Tập huấn", "training").await?;
    let person = admin
        .post(
            "/api/v1/people",
            &json!({"name": "Trần Văn Minh", "cp_staff": true}),
        )
        .await?
        .json["id"]
        .clone();
    let other = admin
        .post(
            "/api/v1/people",
            &json!({"name": "Lê Thị Hoa", "cp_staff": false}),
        )
        .await?
        .json["id"]
        .clone();
    let registered = admin
        .post(
            &format!("/api/v1/events/{event}/registrations"),
            &json!({"person_id": person}),
        )
        .await?;
    let registration: Uuid = registered.json["id"].as_str().unwrap_or("").parse()?;
    let revoked = admin
        .post(
            &format!("/api/v1/registrations/{registration}/revoke"),
            &json!({}),
        )
        .await?;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.json);
    trainer.absorb(&trainer.pull_all().await?);
    let before = admin.state_hash().await?;
    let unrevoke = trainer.write(
        RecordKind::Registration,
        registration,
        vec![("revoked".into(), json!(false))],
    );
    let swap = trainer.write(
        RecordKind::Registration,
        registration,
        vec![("person_id".into(), other)],
    );
    let (status, ack) = trainer.push(&[unrevoke, swap]).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        rejections(&ack),
        vec![(3, "revoked".into()), (4, "person_id".into())]
    );
    assert_eq!(
        admin.state_hash().await?,
        before,
        "refused ops change nothing"
    );
    Ok(())
}

pub(super) async fn scans_must_match_an_existing_registration(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let (event, other_event) = (
        admin.event("Hội thảo A", "awareness").await?,
        admin.event("Hội thảo B", "awareness").await?,
    );
    let mut phone = trainer(&server, &admin).await?;
    let walk_in = phone.walk_in(&event, "Lan")?;
    let (registration, person) = registration_and_person(&walk_in[1])?;
    let (status, ack) = phone.push(&walk_in).await?;
    assert_eq!(
        (status, rejections(&ack)),
        (StatusCode::OK, vec![]),
        "{ack}"
    );
    let before = admin.state_hash().await?;

    let at = sachhon_tests::raw::SCANNED_AT_MS;
    let unknown_event = phone.scan(EventId::new(), registration, person, at);
    let wrong_event = phone.scan(other_event.parse()?, registration, person, at);
    let unknown_registration = phone.scan(event.parse()?, RegistrationId::new(), person, at);
    let wrong_person = phone.scan(event.parse()?, registration, PersonId::new(), at);
    let (status, ack) = phone
        .push(&[
            unknown_event,
            wrong_event,
            unknown_registration,
            wrong_person,
        ])
        .await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        rejections(&ack),
        vec![
            (4, "event".into()),
            (5, "event".into()),
            (6, "registration".into()),
            (7, "person".into())
        ]
    );
    assert_eq!(admin.state_hash().await?, before);
    assert_eq!(admin.attendance(&other_event).await?["count"], json!(0));
    assert_eq!(
        admin.attendance(&event).await?["attendees"][0]["scans"],
        json!(1)
    );
    Ok(())
}

pub(super) async fn a_ticket_revoked_before_its_scan_is_flagged(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Tập huấn", "training").await?;
    let mut phone = trainer(&server, &admin).await?;
    let mut registrations = Vec::new();
    for name in ["Trần Văn Minh", "Lê Thị Hoa"] {
        let person = admin
            .post("/api/v1/people", &json!({"name": name, "cp_staff": true}))
            .await?
            .json["id"]
            .as_str()
            .unwrap_or("")
            .parse::<PersonId>()?;
        let registered = admin
            .post(
                &format!("/api/v1/events/{event}/registrations"),
                &json!({"person_id": person}),
            )
            .await?;
        let registration: RegistrationId = registered.json["id"].as_str().unwrap_or("").parse()?;
        registrations.push((registration, person));
    }
    // The phone synced before the revocation of the first ticket, and scans both offline:
    // the first after its revocation, the second (never revoked) too.
    phone.absorb(&phone.pull_all().await?);
    let revoked = admin
        .post(
            &format!("/api/v1/registrations/{}/revoke", registrations[0].0),
            &json!({}),
        )
        .await?;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.json);
    let later = sachhon_shared::timestamp::unix_ms(time::OffsetDateTime::now_utc()) + 60_000;
    let scans: Vec<_> = registrations
        .iter()
        .map(|(registration, person)| {
            phone.scan(event.parse().expect("id"), *registration, *person, later)
        })
        .collect();
    let (status, ack) = phone.push(&scans).await?;
    assert_eq!(
        (status, rejections(&ack)),
        (StatusCode::OK, vec![]),
        "{ack}"
    );
    let attendance = admin.attendance(&event).await?;
    assert_eq!(attendance["count"], json!(2), "{attendance}");
    let flagged = |person: PersonId| {
        attendance["attendees"]
            .as_array()
            .and_then(|all| all.iter().find(|a| a["person_id"] == json!(person)))
            .map(|a| a["revoked_ticket"].clone())
    };
    assert_eq!(
        flagged(registrations[0].1),
        Some(json!(true)),
        "{attendance}"
    );
    assert_eq!(
        flagged(registrations[1].1),
        Some(json!(false)),
        "{attendance}"
    );
    Ok(())
}

pub(super) async fn a_moved_person_leaves_the_old_facility_and_arrives_whole(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let a = admin.facility("Công ty A", "0300000001", "Bến Lức").await?;
    let b = admin.facility("Công ty B", "0300000002", "Đức Hòa").await?;
    let phone_a = crate::sync::phone(&server, "enterprise", Some(&a)).await?;
    let phone_b = crate::sync::phone(&server, "enterprise", Some(&b)).await?;
    let mut trainer = trainer(&server, &admin).await?;
    let person = Uuid::now_v7();
    let create = trainer.write(
        RecordKind::Person,
        person,
        vec![
            ("name".into(), json!("Nguyễn Văn Nam")),
            ("facility_id".into(), json!(a)),
            ("cp_staff".into(), json!(true)),
        ],
    );
    assert_eq!(trainer.push(&[create]).await?.0, StatusCode::OK);
    phone_a.device.sync().await?;
    phone_b.device.sync().await?;
    assert!(held(&phone_a, person).await?.is_some());
    assert!(held(&phone_b, person).await?.is_none());

    let moved = trainer.write(
        RecordKind::Person,
        person,
        vec![("facility_id".into(), json!(b))],
    );
    assert_eq!(trainer.push(&[moved]).await?.0, StatusCode::OK);
    phone_a.device.sync().await?;
    phone_b.device.sync().await?;
    assert_eq!(
        held(&phone_a, person).await?,
        None,
        "the old facility's phone dropped the person"
    );
    let arrived = held(&phone_b, person).await?.unwrap_or_default();
    assert_eq!(
        arrived.get("name"),
        Some(&vec![json!("Nguyễn Văn Nam")]),
        "{arrived:?}"
    );
    assert_eq!(arrived.get("facility_id"), Some(&vec![json!(b)]));
    assert_eq!(arrived.get("cp_staff"), Some(&vec![json!(true)]));
    Ok(())
}

/// A person's fields as a phone's replica holds them.
async fn held(
    phone: &crate::sync::Phone,
    person: Uuid,
) -> anyhow::Result<Option<std::collections::BTreeMap<String, Vec<Value>>>> {
    Ok(phone.device.record(RecordKind::Person, person).await?)
}
