//! A phone's side of the sync protocol over HTTP: enrol, push a batch, pull a page, each
//! request carrying the phone's clock as a phone's does. Every answer is checked; anything
//! unexpected fails the benchmark loudly.

use crate::workload::{now_ms, Batch};
use anyhow::{bail, ensure, Context};
use reqwest::StatusCode;
use sachhon_shared::wire::{
    decode_page, EnrollRequest, Enrolment, PullPage, PushAck, CBOR_MEDIA_TYPE, DEVICE_TIME_HEADER,
    ENROLL_PATH, PULL_PATH, PUSH_PATH,
};
use sachhon_shared::ActorId;

/// An enrolled device talking to one server.
#[derive(Clone)]
pub struct DeviceClient {
    http: reqwest::Client,
    base: String,
    actor: ActorId,
    access_token: String,
}

/// One pulled page with its size on the wire.
pub struct Pulled {
    /// The decoded page.
    pub page: PullPage,
    /// Bytes of the response body.
    pub bytes: usize,
}

impl DeviceClient {
    /// Enrols with a one-time token (`POST /api/v1/enroll`).
    pub async fn enroll(http: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<Self> {
        let response = http
            .post(format!("{base}{ENROLL_PATH}"))
            .json(&EnrollRequest {
                token: token.to_string(),
            })
            .send()
            .await?;
        let status = response.status();
        if status != StatusCode::OK {
            bail!("enrol answered {status}: {}", response.text().await?);
        }
        let enrolment: Enrolment = response.json().await.context("enrolment answer")?;
        Ok(Self {
            http: http.clone(),
            base: base.to_string(),
            actor: enrolment.actor_id,
            access_token: enrolment.access_token,
        })
    }

    /// The actor this device writes under.
    pub fn actor(&self) -> ActorId {
        self.actor
    }

    /// Pushes one batch; it must answer 200 with exactly the expected acknowledgement.
    pub async fn push(&self, batch: Batch) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{}{PUSH_PATH}", self.base))
            .bearer_auth(&self.access_token)
            .header(reqwest::header::CONTENT_TYPE, CBOR_MEDIA_TYPE)
            .header(DEVICE_TIME_HEADER, now_ms())
            .body(batch.body)
            .send()
            .await?;
        let status = response.status();
        if status != StatusCode::OK {
            bail!("push answered {status}: {}", response.text().await?);
        }
        let ack: PushAck = response.json().await.context("push answer")?;
        ensure!(
            ack.acked_through == batch.acked_through && ack.applied == batch.ops,
            "push of {} ops through seq {} was acknowledged as {ack:?}",
            batch.ops,
            batch.acked_through
        );
        Ok(())
    }

    /// Pulls one page of changes after `after` (`GET /api/v1/sync/pull`).
    pub async fn pull(&self, after: &str, limit: u32) -> anyhow::Result<Pulled> {
        let response = self
            .http
            .get(format!("{}{PULL_PATH}", self.base))
            .query(&[("after", after), ("limit", &limit.to_string())])
            .bearer_auth(&self.access_token)
            .header(DEVICE_TIME_HEADER, now_ms())
            .send()
            .await?;
        let status = response.status();
        if status != StatusCode::OK {
            bail!("pull answered {status}: {}", response.text().await?);
        }
        let body = response.bytes().await?;
        let page = decode_page(&body)?;
        Ok(Pulled {
            page,
            bytes: body.len(),
        })
    }
}
