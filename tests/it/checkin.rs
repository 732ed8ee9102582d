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

mod phones {
    //! Scanner phones: real `sachhon-sync` replicas offline, syncing in both orders.

    use super::{person, register};
    use crate::on_both_backends;
    use anyhow::Context;
    use sachhon_shared::checkin::Verdict;
    use sachhon_shared::{EventId, ScanId};
    use sachhon_sync::{Device, Options};
    use sachhon_tests::{AdminClient, Backend, TestServer};
    use serde_json::{json, Value};
    use tempfile::TempDir;

    on_both_backends!(
        two_offline_scanners_count_every_person_once,
        revocation_and_annulment_reach_every_replica,
        a_skewed_clock_is_flagged_and_counted,
    );

    async fn scanner(server: &TestServer, options: Options) -> anyhow::Result<(Device, TempDir)> {
        let (_, token) = server.admin().device("trainer", None).await?;
        let home = tempfile::tempdir()?;
        let device = Device::open_with(home.path(), options).await?;
        device.enroll(&server.url, &token).await?;
        device.sync().await?;
        Ok((device, home))
    }

    async fn ticket(
        admin: &AdminClient,
        event: &str,
        name: &str,
        facility: &str,
    ) -> anyhow::Result<(String, String)> {
        let id = person(admin, name, facility).await?;
        let registration = register(admin, event, &id).await?;
        Ok((id, registration["qr"].as_str().context("qr")?.to_string()))
    }

    fn scans_of(attendance: &Value, person: &str) -> u64 {
        attendance["attendees"]
            .as_array()
            .and_then(|list| list.iter().find(|a| a["person_id"] == person))
            .and_then(|a| a["scans"].as_u64())
            .unwrap_or(0)
    }

    async fn two_offline_scanners_count_every_person_once(backend: Backend) -> anyhow::Result<()> {
        let server = TestServer::start(backend).await?;
        let admin = server.admin();
        let event = admin.event("Hội thảo SXSH Bến Lức", "awareness").await?;
        let other_event = admin.event("Tập huấn", "training").await?;
        let event_id: EventId = event.parse()?;
        let facility = admin
            .facility("Công ty Mía đường", "0311111111", "Bến Lức")
            .await?;
        let (lan, lan_qr) = ticket(&admin, &event, "Lan", &facility).await?;
        let (minh, minh_qr) = ticket(&admin, &event, "Minh", &facility).await?;
        let (_, foreign_qr) = ticket(&admin, &other_event, "Hoa", &facility).await?;
        let (a, _home_a) = scanner(&server, Options::default()).await?;
        let (b, _home_b) = scanner(&server, Options::default()).await?;
        // Registered after both phones last synced: accepted on its signature alone.
        let (late, late_qr) = ticket(&admin, &event, "Tư", &facility).await?;

        // Offline: both phones scan Lan, A twice; B scans Minh and the late ticket.
        assert_eq!(
            a.scan(event_id, &lan_qr, Some("Cô Ba")).await?.status,
            Verdict::Ok
        );
        assert_eq!(
            a.scan(event_id, &lan_qr, None).await?.status,
            Verdict::Duplicate
        );
        assert_eq!(
            b.scan(event_id, &lan_qr, None).await?.status,
            Verdict::Ok,
            "B cannot know of A's scan"
        );
        assert_eq!(b.scan(event_id, &minh_qr, None).await?.status, Verdict::Ok);
        let late_scan = b.scan(event_id, &late_qr, None).await?;
        assert_eq!((late_scan.status, late_scan.person_id), (Verdict::Ok, None));
        let mut forged: Vec<char> = minh_qr.chars().collect();
        forged[30] = if forged[30] == '0' { '1' } else { '0' };
        let forged: String = forged.into_iter().collect();
        assert_eq!(
            a.scan(event_id, &forged, None).await?.status,
            Verdict::Invalid
        );
        assert_eq!(
            a.scan(event_id, &foreign_qr, None).await?.status,
            Verdict::WrongEvent
        );
        let walk_in = a.walk_in(event_id, "Khách vãng lai", None, false).await?;
        assert_eq!(a.outbox_len().await?, 2 + 3, "refused scans queue nothing");

        // Syncs in both orders.
        a.sync().await?;
        b.sync().await?;
        a.sync().await?;
        let attendance = admin.attendance(&event).await?;
        assert_eq!(attendance["count"], json!(4), "{attendance}");
        assert_eq!(scans_of(&attendance, &lan), 3);
        assert_eq!(scans_of(&attendance, &minh), 1);
        assert_eq!(
            scans_of(&attendance, &late),
            1,
            "the late ticket's person is known on the server"
        );
        assert_eq!(scans_of(&attendance, &walk_in.person_id.to_string()), 1);
        assert_eq!(
            admin.attendance(&other_event).await?["count"],
            json!(0),
            "the other event is untouched"
        );
        // After syncing, a phone knows the other's scans: Minh again on A is a duplicate.
        assert_eq!(
            a.scan(event_id, &minh_qr, None).await?.status,
            Verdict::Duplicate
        );
        assert_eq!(a.local_attendance(event_id).await?, 4);
        let hash = admin.state_hash().await?;
        assert_eq!(b.state_hash().await?, hash);
        Ok(())
    }

    async fn revocation_and_annulment_reach_every_replica(backend: Backend) -> anyhow::Result<()> {
        let server = TestServer::start(backend).await?;
        let admin = server.admin();
        let event = admin.event("Hội thảo", "awareness").await?;
        let event_id: EventId = event.parse()?;
        let facility = admin
            .facility("Công ty Dệt", "0322222222", "Đức Hòa")
            .await?;
        let (_, revoked_qr) = ticket(&admin, &event, "Bị thu hồi", &facility).await?;
        let (kept, kept_qr) = ticket(&admin, &event, "Giữ lại", &facility).await?;
        let (a, _home_a) = scanner(&server, Options::default()).await?;
        let (b, _home_b) = scanner(&server, Options::default()).await?;

        let registration = verify_registration(&admin, &revoked_qr).await?;
        let revoke = admin
            .post(
                &format!("/api/v1/registrations/{registration}/revoke"),
                &json!({}),
            )
            .await?;
        assert_eq!(revoke.status, reqwest::StatusCode::OK);
        let before_revocation = a.scan(event_id, &revoked_qr, None).await?;
        assert_eq!(before_revocation.status, Verdict::Ok, "not pulled yet");
        a.sync().await?;
        assert_eq!(
            a.scan(event_id, &revoked_qr, None).await?.status,
            Verdict::Revoked
        );

        let scan = a
            .scan(event_id, &kept_qr, None)
            .await?
            .scan_id
            .context("admitted")?;
        a.sync().await?;
        b.sync().await?;
        assert_eq!(b.local_attendance(event_id).await?, 2);
        let annulled = a.annul(scan, Some("quét nhầm")).await?;
        assert_eq!(annulled.scan_id, scan);
        assert!(
            a.annul(scan, None).await.is_err(),
            "an annulled scan cannot be annulled again"
        );
        a.sync().await?;
        b.sync().await?;
        assert_eq!(
            b.local_attendance(event_id).await?,
            1,
            "the annulled scan stops counting on B"
        );
        let attendance = admin.attendance(&event).await?;
        assert_eq!(attendance["count"], json!(1));
        assert_eq!(scans_of(&attendance, &kept), 0);

        // The office annuls the remaining scan (made before the revocation reached A).
        let first = before_revocation.scan_id.context("admitted")?;
        let annul = admin
            .post(
                &format!("/api/v1/scans/{first}/annul"),
                &json!({"reason": "thu hồi"}),
            )
            .await?;
        assert_eq!(annul.status, reqwest::StatusCode::CREATED, "{}", annul.json);
        assert_eq!(admin.attendance(&event).await?["count"], json!(0));
        b.sync().await?;
        assert_eq!(
            b.local_attendance(event_id).await?,
            0,
            "the office's annulment reaches B"
        );
        let again = admin
            .post(&format!("/api/v1/scans/{first}/annul"), &json!({}))
            .await?;
        assert_eq!(again.status, reqwest::StatusCode::CONFLICT);
        let unknown = admin
            .post(
                &format!("/api/v1/scans/{}/annul", ScanId::new()),
                &json!({}),
            )
            .await?;
        assert_eq!(unknown.status, reqwest::StatusCode::NOT_FOUND);
        Ok(())
    }

    /// The registration id a ticket names, read with the server's public keys.
    async fn verify_registration(admin: &AdminClient, qr: &str) -> anyhow::Result<String> {
        let keys = super::keys(admin).await?;
        let ticket = sachhon_shared::ticket::verify(qr, &keys).map_err(anyhow::Error::msg)?;
        Ok(ticket.registration.to_string())
    }

    async fn a_skewed_clock_is_flagged_and_counted(backend: Backend) -> anyhow::Result<()> {
        let server = TestServer::start(backend).await?;
        let admin = server.admin();
        let event = admin.event("Hội thảo", "awareness").await?;
        let event_id: EventId = event.parse()?;
        let facility = admin
            .facility("Công ty Gạch", "0333333333", "Cần Đước")
            .await?;
        let (slow_person, slow_qr) = ticket(&admin, &event, "Đồng hồ sai", &facility).await?;
        let (good_person, good_qr) = ticket(&admin, &event, "Đồng hồ đúng", &facility).await?;
        let hour_behind = Options {
            clock_offset_ms: -60 * 60 * 1000,
            ..Options::default()
        };
        let (skewed, _home_s) = scanner(&server, hour_behind).await?;
        let (honest, _home_h) = scanner(&server, Options::default()).await?;
        skewed.scan(event_id, &slow_qr, None).await?;
        honest.scan(event_id, &good_qr, None).await?;
        skewed.sync().await?;
        honest.sync().await?;
        let attendance = admin.attendance(&event).await?;
        assert_eq!(
            attendance["count"],
            json!(2),
            "a skewed phone's scans still count"
        );
        let flag = |person: &str| {
            attendance["attendees"]
                .as_array()
                .and_then(|l| l.iter().find(|a| a["person_id"] == person))
                .map(|a| a["clock_skewed"].clone())
        };
        assert_eq!(flag(&slow_person), Some(json!(true)));
        assert_eq!(flag(&good_person), Some(json!(false)));
        Ok(())
    }
}
