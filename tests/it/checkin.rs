//! Check-in: signed tickets and their images, badges, key rotation; two scanner phones
//! offline; revocation and annulment reaching every replica; skewed clocks.

use crate::on_both_backends;
use anyhow::Context;
use reqwest::{Method, StatusCode};
use sachhon_shared::ticket::{verify, TicketKey};
use sachhon_tests::{AdminClient, Backend, TestServer};
use serde_json::{json, Value};

on_both_backends!(
    a_ticket_is_small_signed_and_printable,
    rotating_the_key_keeps_old_tickets_until_retired,
);

/// Creates a facility and a person in it; returns the person's id.
async fn person(admin: &AdminClient, name: &str, facility: &str) -> anyhow::Result<String> {
    let answer = admin
        .post(
            "/api/v1/people",
            &json!({"name": name, "facility_id": facility, "cp_staff": true}),
        )
        .await?;
    answer.json["id"]
        .as_str()
        .map(str::to_string)
        .context("person id")
}

/// Registers a person for an event; returns the registration JSON.
async fn register(admin: &AdminClient, event: &str, person: &str) -> anyhow::Result<Value> {
    let answer = admin
        .post(
            &format!("/api/v1/events/{event}/registrations"),
            &json!({"person_id": person}),
        )
        .await?;
    anyhow::ensure!(
        answer.status.is_success(),
        "registration answered {}: {}",
        answer.status,
        answer.json
    );
    Ok(answer.json)
}

async fn keys(admin: &AdminClient) -> anyhow::Result<Vec<TicketKey>> {
    Ok(serde_json::from_value(
        admin.get("/api/v1/ticket-keys").await?.json["keys"].clone(),
    )?)
}

/// Decodes a PNG QR code image to its version and text.
fn decode_png(bytes: &[u8]) -> anyhow::Result<(usize, String)> {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info()?;
    let mut pixels = vec![0; reader.output_buffer_size().context("image size")?];
    let frame = reader.next_frame(&mut pixels)?;
    anyhow::ensure!(
        frame.color_type == png::ColorType::Grayscale,
        "greyscale expected"
    );
    let (width, height) = (frame.width as usize, frame.height as usize);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    anyhow::ensure!(
        grids.len() == 1,
        "expected one QR code, found {}",
        grids.len()
    );
    let (meta, text) = grids[0].decode().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok((meta.version.0, text))
}

async fn a_ticket_is_small_signed_and_printable(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin
        .event("Hội thảo nâng cao nhận thức SXSH", "awareness")
        .await?;
    let facility = admin
        .facility(
            "Công ty TNHH Chế biến Thủy sản Cần Giuộc",
            "0301234567",
            "Cần Giuộc",
        )
        .await?;
    let nhung = person(&admin, "Nguyễn Thị Hồng Nhung", &facility).await?;

    let registration = register(&admin, &event, &nhung).await?;
    let text = registration["qr"].as_str().context("qr")?.to_string();
    assert!(
        text.len() <= 170,
        "{} characters do not fit a version 7-M QR code",
        text.len()
    );
    let alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    assert!(
        text.chars().all(|c| alphanumeric.contains(c)),
        "QR alphanumeric mode"
    );
    let ticket = verify(&text, &keys(&admin).await?).map_err(anyhow::Error::msg)?;
    assert_eq!(ticket.event.to_string(), event);
    assert_eq!(
        Some(ticket.registration.to_string().as_str()),
        registration["id"].as_str()
    );
    let again = register(&admin, &event, &nhung).await?;
    assert_eq!(
        again["id"], registration["id"],
        "registering twice gives the same registration"
    );

    let id = registration["id"].as_str().context("id")?;
    let png = admin
        .get(&format!("/api/v1/registrations/{id}/qr.png"))
        .await?;
    assert_eq!(
        (png.status, png.content_type.as_str()),
        (StatusCode::OK, "image/png")
    );
    let (version, decoded) = decode_png(&png.bytes)?;
    assert_eq!(decoded, text, "the PNG decodes to exactly the ticket text");
    assert!(
        version <= 7,
        "QR version {version}: a cheap camera needs version 7 or less"
    );
    let svg = admin
        .get(&format!("/api/v1/registrations/{id}/qr.svg"))
        .await?;
    assert_eq!(svg.content_type, "image/svg+xml");

    let badges = admin.get(&format!("/api/v1/events/{event}/badges")).await?;
    assert_eq!(badges.status, StatusCode::OK);
    assert!(badges.content_type.starts_with("text/html"));
    let html = String::from_utf8(badges.bytes)?;
    for expected in [
        "Nguyễn Thị Hồng Nhung",
        "Công ty TNHH Chế biến Thủy sản Cần Giuộc",
        "Hội thảo nâng cao nhận thức SXSH",
        "<svg",
    ] {
        assert!(html.contains(expected), "the badge sheet lacks {expected}");
    }

    let unknown_person = admin
        .post(
            &format!("/api/v1/events/{event}/registrations"),
            &json!({"person_id": uuid::Uuid::now_v7()}),
        )
        .await?;
    assert_eq!(
        (unknown_person.status, unknown_person.json["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("person_id"))
    );
    let unknown_event = admin
        .post(
            &format!("/api/v1/events/{}/registrations", uuid::Uuid::now_v7()),
            &json!({"person_id": nhung}),
        )
        .await?;
    assert_eq!(unknown_event.status, StatusCode::NOT_FOUND);
    let unknown_registration = admin
        .get(&format!(
            "/api/v1/registrations/{}/qr.png",
            uuid::Uuid::now_v7()
        ))
        .await?;
    assert_eq!(unknown_registration.status, StatusCode::NOT_FOUND);
    Ok(())
}

async fn rotating_the_key_keeps_old_tickets_until_retired(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Tập huấn", "training").await?;
    let facility = admin.facility("Công ty A", "0300000009", "Tân An").await?;
    let first = register(&admin, &event, &person(&admin, "Lan", &facility).await?).await?;
    let old_key = keys(&admin)
        .await?
        .first()
        .context("a key exists from the start")?
        .id
        .clone();

    let rotated = admin.post("/api/v1/ticket-keys", &json!({})).await?;
    assert_eq!(rotated.status, StatusCode::CREATED);
    let second = register(&admin, &event, &person(&admin, "Minh", &facility).await?).await?;
    let ring = keys(&admin).await?;
    assert_eq!(ring.iter().filter(|k| !k.retired).count(), 2);
    for ticket in [&first, &second] {
        assert!(
            verify(ticket["qr"].as_str().context("qr")?, &ring).is_ok(),
            "both keys admit"
        );
    }

    let retire = admin
        .raw(
            Method::DELETE,
            &format!("/api/v1/ticket-keys/{old_key}"),
            None,
            vec![],
        )
        .await?;
    assert_eq!(retire.status, StatusCode::NO_CONTENT);
    let ring = keys(&admin).await?;
    assert!(
        verify(first["qr"].as_str().context("qr")?, &ring).is_err(),
        "a retired key admits no one"
    );
    assert!(verify(second["qr"].as_str().context("qr")?, &ring).is_ok());
    let new_key = ring
        .iter()
        .find(|k| !k.retired)
        .context("active key")?
        .id
        .clone();
    let last = admin
        .raw(
            Method::DELETE,
            &format!("/api/v1/ticket-keys/{new_key}"),
            None,
            vec![],
        )
        .await?;
    assert_eq!(
        last.status,
        StatusCode::CONFLICT,
        "the last active key stays"
    );
    Ok(())
}
