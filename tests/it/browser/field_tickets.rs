//! The field app's offline ticket checking and QR reading (`server/app/js/tickets.js`,
//! `base45.js`, `scanner.js`) in headless Chromium, against tickets, keys and badge images
//! from the real server: a good ticket, altered ones (every single-character change judged as
//! the Rust `verify` judges it), a retired key, another event, and the badge PNG read back
//! through jsQR (and BarcodeDetector where the browser has one), also by the camera loop fed
//! from a canvas instead of a camera.

use super::webdriver::{Driver, Session};
use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use sachhon_shared::ticket::{verify, TicketError, TicketKey};
use sachhon_tests::{AdminClient, Backend, TestServer};
use serde_json::{json, Value};

/// What the server issued for the page to check.
struct Issued {
    event: String,
    other_event: String,
    registration: String,
    /// Signed by the first key, retired afterwards.
    ticket: String,
    /// For `other_event`, signed by the key that replaced it.
    other_ticket: String,
    /// The key ring before and after the rotation and retirement.
    ring_before: Value,
    ring_after: Value,
    png: Vec<u8>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_and_badges_are_checked_offline_in_chromium() -> anyhow::Result<()> {
    let driver = Driver::start().await?;
    let server = TestServer::start(Backend::Sqlite).await?;
    let issued = issue(&server.admin()).await?;

    let profile = tempfile::tempdir()?;
    let browser = driver.session(profile.path()).await?;
    let url = server.url.clone();
    super::with_browsers(vec![browser], move |b| async move {
        drive(&b[0], &url, &issued).await
    })
    .await
}

async fn issue(admin: &AdminClient) -> anyhow::Result<Issued> {
    let event = admin.event("Hội thảo SXSH Bến Lức", "awareness").await?;
    let other_event = admin.event("Tập huấn", "training").await?;
    let person = admin
        .post(
            "/api/v1/people",
            &json!({"name": "Nguyễn Thị Hoa", "facility_id": null, "cp_staff": true}),
        )
        .await?;
    let person = person.json["id"].as_str().context("person id")?.to_string();
    let register = |event: String| {
        let person = person.clone();
        async move {
            let answer = admin
                .post(
                    &format!("/api/v1/events/{event}/registrations"),
                    &json!({ "person_id": person }),
                )
                .await?;
            anyhow::ensure!(answer.status == StatusCode::CREATED, "{answer:?}");
            Ok::<_, anyhow::Error>(answer.json)
        }
    };
    let keys = || async { Ok::<_, anyhow::Error>(admin.get("/api/v1/ticket-keys").await?.json) };

    let registered = register(event.clone()).await?;
    let registration = registered["id"].as_str().context("id")?.to_string();
    let ticket = registered["qr"].as_str().context("qr")?.to_string();
    let ring_before = keys().await?["keys"].clone();
    let old_key = ring_before[0]["id"].as_str().context("key id")?.to_string();
    let png = admin
        .get(&format!("/api/v1/registrations/{registration}/qr.png"))
        .await?;
    assert_eq!(
        (png.status, png.content_type.as_str()),
        (StatusCode::OK, "image/png")
    );

    // Rotate, issue a ticket with the new key, then retire the old one.
    let rotated = admin.post("/api/v1/ticket-keys", &json!({})).await?;
    assert_eq!(rotated.status, StatusCode::CREATED, "{:?}", rotated.json);
    let other_ticket = register(other_event.clone()).await?["qr"]
        .as_str()
        .context("qr")?
        .to_string();
    let retired = admin
        .raw(
            Method::DELETE,
            &format!("/api/v1/ticket-keys/{old_key}"),
            None,
            Vec::new(),
        )
        .await?;
    assert_eq!(retired.status, StatusCode::NO_CONTENT);
    let ring_after = keys().await?["keys"].clone();
    assert_eq!(ring_after.as_array().map(Vec::len), Some(2), "{ring_after}");
    Ok(Issued {
        event,
        other_event,
        registration,
        ticket,
        other_ticket,
        ring_before,
        ring_after,
        png: png.bytes,
    })
}

/// Runs `function` (the text of an async JavaScript function) in the page with `args`; returns
/// what it resolves to, or fails with what it threw.
async fn run(browser: &Session, function: &str, args: Value) -> anyhow::Result<Value> {
    let script = format!(
        "const done = arguments[arguments.length - 1];
         ({function})(...Array.prototype.slice.call(arguments, 0, -1)).then(
             value => done({{value}}), error => done({{error: String(error && error.stack || error)}}));"
    );
    let answer = browser.execute_async(&script, args).await?;
    if let Some(error) = answer.get("error") {
        bail!("the page threw: {}", error.as_str().unwrap_or_default());
    }
    Ok(answer["value"].clone())
}

/// The single-character changes of a ticket: each character replaced by the next one of the
/// base45 alphabet (the page makes the same ones).
fn alterations(ticket: &str) -> Vec<String> {
    const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let chars: Vec<char> = ticket.chars().collect();
    (0..chars.len())
        .map(|i| {
            let mut altered = chars.clone();
            let next = ALPHABET
                .find(chars[i])
                .map_or(0, |p| (p + 1) % ALPHABET.len());
            altered[i] = ALPHABET.as_bytes()[next] as char;
            altered.into_iter().collect()
        })
        .collect()
}

/// The Rust verdict on a text, in the page's words (its finer reasons folded into `Malformed`).
fn rust_reason(text: &str, keys: &[TicketKey]) -> &'static str {
    match verify(text, keys) {
        Ok(_) => "ok",
        Err(TicketError::Malformed) => "malformed",
        Err(TicketError::UnknownKey) => "unknown_key",
        Err(TicketError::BadSignature) => "bad_signature",
    }
}

async fn drive(browser: &Session, base: &str, issued: &Issued) -> anyhow::Result<()> {
    browser.goto(&format!("{base}/app/")).await?;

    // Verification and verdicts.
    let checked = run(
        browser,
        "async (ticket, otherTicket, before, after, event, otherEvent, altered) => {
            const { verifyTicket, verdict, ed25519Supported } = await import('/app/js/tickets.js');
            const base45 = await import('/app/js/base45.js');
            const good = await verifyTicket(ticket, before);
            const changed = (mutate) => {
                const bytes = base45.decode(ticket.slice(4));
                mutate(bytes);
                return verifyTicket('SX1:' + base45.encode(bytes), before);
            };
            const retired = await verifyTicket(ticket, after);
            const other = await verifyTicket(otherTicket, after);
            return {
                ed25519: await ed25519Supported(),
                barcodeDetector: 'BarcodeDetector' in window,
                userAgent: navigator.userAgent,
                good,
                verdicts: {
                    ok: verdict({ticket: good, event, known: {revoked: false, alreadyScanned: false}}),
                    upper: verdict({ticket: good, event: event.toUpperCase(), known: {}}),
                    duplicate: verdict({ticket: good, event, known: {alreadyScanned: true}}),
                    revoked: verdict({ticket: good, event, known: {revoked: true, alreadyScanned: true}}),
                    wrongEvent: verdict({ticket: good, event: otherEvent, known: {revoked: true}}),
                    invalid: verdict({ticket: retired, event, known: {}}),
                    other: verdict({ticket: other, event, known: {}}),
                },
                noPrefix: await verifyTicket(ticket.slice(4), before),
                lowercase: await verifyTicket('sx1:' + ticket.slice(4), before),
                trailingSpace: await verifyTicket(ticket + ' ', before),
                signature: await changed((b) => { b[70] ^= 1; }),
                version: await changed((b) => { b[0] = 2; }),
                noKeys: await verifyTicket(ticket, []),
                retired,
                other,
                altered: await Promise.all(altered.map(async (text) => (await verifyTicket(text, before)).reason ?? 'ok')),
            };
        }",
        json!([
            issued.ticket,
            issued.other_ticket,
            issued.ring_before,
            issued.ring_after,
            issued.event,
            issued.other_event,
            alterations(&issued.ticket),
        ]),
    )
    .await?;
    eprintln!(
        "{}: WebCrypto Ed25519 {}, BarcodeDetector {}",
        checked["userAgent"], checked["ed25519"], checked["barcodeDetector"]
    );
    assert_eq!(checked["ed25519"], json!(true));
    assert_eq!(
        checked["good"],
        json!({"ok": true, "event": issued.event, "registration": issued.registration})
    );
    assert_eq!(
        checked["verdicts"],
        json!({"ok": "ok", "upper": "ok", "duplicate": "duplicate", "revoked": "revoked",
               "wrongEvent": "wrong_event", "invalid": "invalid", "other": "wrong_event"})
    );
    let reason = |key: &str| checked[key]["reason"].clone();
    assert_eq!(reason("noPrefix"), json!("no_prefix"));
    assert_eq!(reason("lowercase"), json!("no_prefix"));
    assert_eq!(
        reason("trailingSpace"),
        json!("not_base45"),
        "never trimmed"
    );
    assert_eq!(reason("signature"), json!("bad_signature"));
    assert_eq!(reason("version"), json!("malformed"));
    assert_eq!(reason("noKeys"), json!("unknown_key"));
    assert_eq!(reason("retired"), json!("unknown_key"));
    assert_eq!(checked["other"]["event"], json!(issued.other_event));
    assert_eq!(checked["other"]["ok"], json!(true));

    // Every single-character change: rejected, for the same reason as the Rust code gives.
    let before: Vec<TicketKey> = serde_json::from_value(issued.ring_before.clone())?;
    let page: Vec<String> = serde_json::from_value(checked["altered"].clone())?;
    let altered = alterations(&issued.ticket);
    assert_eq!(page.len(), altered.len());
    let mut seen = std::collections::BTreeSet::new();
    for (i, (text, page)) in altered.iter().zip(&page).enumerate() {
        let page_folded = match page.as_str() {
            "no_prefix" | "not_base45" => "malformed",
            other => other,
        };
        assert_eq!(
            page_folded,
            rust_reason(text, &before),
            "character {i} changed: {text:?}"
        );
        assert_ne!(page, "ok", "character {i} changed");
        seen.insert(page.as_str());
    }
    // The changes reach the prefix, the version, the key id and the signature. Whether one
    // also makes a base45 group overflow (`not_base45`) depends on the ticket's random bytes;
    // that reason is checked above on a text made for it.
    seen.remove("not_base45");
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["bad_signature", "malformed", "no_prefix", "unknown_key"]
    );

    // The badge image, read back through each decoder.
    let png = data_encoding::BASE64.encode(&issued.png);
    let read = run(
        browser,
        "async (png) => {
            const { decodeImage, barcodeDetector } = await import('/app/js/scanner.js');
            const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
            const bitmap = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
            const canvas = document.createElement('canvas');
            [canvas.width, canvas.height] = [bitmap.width * 3, bitmap.height * 3];
            canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
            const blank = document.createElement('canvas');
            [blank.width, blank.height] = [300, 200];
            const native = await barcodeDetector();
            return {
                native: native ? await decodeImage(bitmap, {using: 'native'}) : null,
                hasNative: native !== null,
                jsqr: await decodeImage(bitmap, {using: 'jsqr'}),
                jsqrLarge: await decodeImage(canvas, {using: 'jsqr'}),
                auto: await decodeImage(bitmap),
                blank: await decodeImage(blank, {using: 'jsqr'}),
            };
        }",
        json!([png]),
    )
    .await?;
    eprintln!("decoded: {read}");
    let ticket = json!(issued.ticket);
    assert_eq!(read["jsqr"], ticket);
    assert_eq!(read["jsqrLarge"], ticket, "a frame scaled down for jsQR");
    assert_eq!(read["auto"], ticket);
    assert_eq!(read["blank"], Value::Null);
    if read["hasNative"] == json!(true) {
        assert_eq!(read["native"], ticket);
    }

    // The camera loop, fed a canvas stream instead of a camera: the badge in sight is reported
    // once, then again after it was out of sight for more than 3 s; stop() ends the stream.
    let scanned = run(
        browser,
        "async (png) => {
            const { startScanner } = await import('/app/js/scanner.js');
            const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
            const bitmap = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
            const canvas = document.createElement('canvas');
            [canvas.width, canvas.height] = [bitmap.width, bitmap.height];
            const context = canvas.getContext('2d');
            let showing = true;
            const paint = setInterval(() => {
                context.fillStyle = 'white';
                context.fillRect(0, 0, canvas.width, canvas.height);
                if (showing) context.drawImage(bitmap, 0, 0);
            }, 50);
            const stream = canvas.captureStream(20);
            let asked;
            navigator.mediaDevices.getUserMedia = async (constraints) => { asked = constraints; return stream; };
            const video = document.createElement('video');
            document.body.append(video);
            const texts = [];
            const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
            const until = async (test) => {
                for (let i = 0; i < 100 && !test(); i++) await sleep(100);
            };
            const scanner = await startScanner(video, (text) => texts.push(text));
            await until(() => texts.length >= 1);
            await sleep(1500);
            const once = texts.length;
            showing = false;
            await sleep(3600);
            showing = true;
            await until(() => texts.length >= 2);
            scanner.stop();
            clearInterval(paint);
            return {asked, once, texts, ended: stream.getTracks().every((t) => t.readyState === 'ended'),
                    detached: video.srcObject === null};
        }",
        json!([png]),
    )
    .await?;
    assert_eq!(
        scanned["asked"]["video"],
        json!({"facingMode": "environment"})
    );
    assert_eq!(scanned["once"], json!(1), "{scanned}");
    assert_eq!(scanned["texts"], json!([issued.ticket, issued.ticket]));
    assert_eq!(scanned["ended"], json!(true));
    assert_eq!(scanned["detached"], json!(true));
    Ok(())
}
