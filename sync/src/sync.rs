//! The sync procedure: push the outbox in batches, then pull pages after the cursor.
//!
//! The decisions (what an acknowledgement, a gap or a page's `acked` means for the outbox) are
//! pure functions, [`after_ack`], [`after_gap`] and [`after_pull`], tested without a network;
//! [`run`] is the loop around them. Every answer either makes progress or ends the sync with
//! an error, so the loop never spins. Ops the server acknowledged but refused one by one (an
//! acknowledgement's `rejected`) are recorded in the transaction that drops them from the
//! outbox.
//!
//! Acknowledged ops move to a sent log rather than vanish. A server restored from a backup may
//! hold fewer of this actor's ops than it acknowledged: it says so with a gap below the outbox
//! (a push) or with a page's `acked` (a pull, when the outbox is empty), and the device puts
//! the lost ops back in its outbox and pushes them again — applied once, since an op's
//! identity is its actor and seq.

use crate::client::{Client, PushOutcome};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::store::Store;
use sachhon_shared::wire::{PushAck, Rejection};
use serde::Serialize;

/// The most ops one push carries (the server refuses larger batches).
pub const MAX_PUSH_BATCH: usize = 1000;

/// What one sync did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Local ops the server acknowledged during this sync (and that left the outbox).
    pub pushed: u64,
    /// Ops received from the server and applied.
    pub pulled: u64,
    /// Pushed ops the server acknowledged but refused (an invalid answer), now recorded
    /// with the response they changed.
    pub rejected: u64,
}

/// How to sync: where to, and in what sizes.
pub(crate) struct Plan<'a> {
    /// The replica.
    pub store: &'a Store,
    /// The transport.
    pub client: &'a Client,
    /// The device's clock, for the time a rejection was received.
    pub clock: Clock,
    /// The most ops per push.
    pub push_batch: usize,
    /// The most ops per pull page asked for.
    pub pull_limit: u32,
}

/// Pushes the whole outbox, then pulls until the server has nothing more; pushes again what
/// the pull showed the server lost.
pub(crate) async fn run(plan: Plan<'_>) -> Result<SyncReport> {
    let (mut pushed, mut rejected) = push_all(&plan).await?;
    let (pulled, acked) = pull_all(plan.store, plan.client, plan.pull_limit).await?;
    let (head, next_seq) = plan.store.outbox_head(1).await?;
    let first = head.first().map_or(next_seq, |op| op.seq);
    if let Some(from) = after_pull(acked, first, next_seq)? {
        plan.store.requeue(from).await?;
        let (again, refused) = push_all(&plan).await?;
        pushed += again;
        rejected += refused;
    }
    Ok(SyncReport {
        pushed,
        pulled,
        rejected,
    })
}

/// Pushes the outbox in batches; returns how many ops left it and how many rejections
/// were recorded.
async fn push_all(plan: &Plan<'_>) -> Result<(u64, u64)> {
    let (store, client) = (plan.store, plan.client);
    let me = store.require_enrolled().await?;
    let mut limit = plan.push_batch.clamp(1, MAX_PUSH_BATCH);
    let (mut pushed, mut rejected) = (0, 0);
    loop {
        let (batch, next_seq) = store.outbox_head(limit).await?;
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return Ok((pushed, rejected));
        };
        let (first, count) = (first.seq, last.seq - first.seq + 1);
        let (through, refused) = match client
            .push(&me.server_url, &me.access_token, me.actor_id, &batch)
            .await?
        {
            PushOutcome::Acked(ack) => (after_ack(first, next_seq, &ack)?, ack.rejected),
            PushOutcome::Gap { expected } => match after_gap(first, next_seq, expected)? {
                Gap::Committed { through } => (through, Vec::new()),
                Gap::Lost { from } => {
                    store.requeue(from).await?;
                    continue;
                }
            },
            PushOutcome::TooLarge if count > 1 => {
                limit = usize::try_from(count / 2).unwrap_or(1).max(1);
                continue;
            }
            PushOutcome::TooLarge => {
                return Err(Error::Server {
                    status: 413,
                    title: "Payload Too Large".into(),
                    detail: format!("the server refuses even the single op {first}"),
                })
            }
        };
        let done = store
            .acknowledge(through, &refused, plan.clock.now_ms())
            .await?;
        pushed += done.dropped;
        rejected += done.rejected;
    }
}

/// Pulls every page; returns how many ops came and the last `acked` the server told.
async fn pull_all(store: &Store, client: &Client, limit: u32) -> Result<(u64, Option<u64>)> {
    let me = store.require_enrolled().await?;
    // Each page is asked for while the one before is applied: the phone's store is the slow
    // part, and the server answers meanwhile.
    let fetch = |after: String| {
        let (client, server, token) = (
            client.clone(),
            me.server_url.clone(),
            me.access_token.clone(),
        );
        tokio::spawn(async move { client.pull(&server, &token, &after, limit.max(1)).await })
    };
    let mut cursor = me.cursor.clone();
    let (mut pulled, mut acked) = (0, None);
    let mut pending = fetch(cursor.clone());
    loop {
        let page = (&mut pending)
            .await
            .map_err(|e| Error::Protocol(format!("a pull did not finish: {e}")))??;
        let progressed = !page.ops.is_empty() || page.next != cursor;
        if page.more && !progressed {
            return Err(Error::Protocol(
                "the server says more changes wait but sent none and kept the cursor".into(),
            ));
        }
        if page.more {
            pending = fetch(page.next.clone());
        }
        pulled += page.ops.len() as u64;
        acked = page.acked.or(acked);
        store.apply_page(&page).await?;
        cursor = page.next;
        if !page.more {
            return Ok((pulled, acked));
        }
    }
}

/// After an acknowledgement of a batch starting at `first`: the outbox ops to drop, through
/// the returned seq. `next_seq` is the seq the next local op will take. Every rejection must
/// name an op of the batch that the acknowledgement covers.
pub(crate) fn after_ack(first: u64, next_seq: u64, ack: &PushAck) -> Result<u64> {
    if ack.acked_through >= next_seq {
        // Our later ops would be taken for replays and silently dropped.
        return Err(Error::Unrecoverable(format!(
            "the server acknowledges this actor's ops through {} but this device made only {}",
            ack.acked_through,
            next_seq - 1
        )));
    }
    if ack.acked_through < first {
        return Err(Error::Protocol(format!(
            "acknowledged through {} although the batch started at {first}",
            ack.acked_through
        )));
    }
    if let Some(stray) = ack
        .rejected
        .iter()
        .find(|r| !(first..=ack.acked_through).contains(&r.seq))
    {
        return Err(stray_rejection(stray, first, ack.acked_through));
    }
    Ok(ack.acked_through)
}

fn stray_rejection(rejection: &Rejection, first: u64, through: u64) -> Error {
    Error::Protocol(format!(
        "the server rejects op {} but acknowledged ops {first} through {through}",
        rejection.seq
    ))
}

/// What a gap answer means for the outbox.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Gap {
    /// The ops through `through` were committed by an earlier push whose acknowledgement was
    /// lost: drop them and resend from there.
    Committed {
        /// The last committed op.
        through: u64,
    },
    /// The server lost acknowledged ops from `from` on (restored from a backup): put them back
    /// in the outbox and resend from there.
    Lost {
        /// The first op the server lacks.
        from: u64,
    },
}

/// After a gap answer (`expected` is the seq the server wants next) to a batch starting at
/// `first`, the outbox head: either ops below `expected` were committed already, or the
/// server lacks acknowledged ops from `expected` on.
pub(crate) fn after_gap(first: u64, next_seq: u64, expected: u64) -> Result<Gap> {
    if expected == 0 {
        return Err(Error::Protocol("the server expects op 0".into()));
    }
    if expected < first {
        return Ok(Gap::Lost { from: expected });
    }
    if expected > next_seq {
        return Err(Error::Unrecoverable(format!(
            "the server expects op {expected} of this actor but this device made only {}",
            next_seq - 1
        )));
    }
    if expected == first {
        return Err(Error::Protocol(format!(
            "the server refused a gap-free batch starting at the seq it expects ({expected})"
        )));
    }
    Ok(Gap::Committed {
        through: expected - 1,
    })
}

/// After a pull whose last page said the server holds this actor's ops through `acked` (when
/// it said), with the outbox starting at `first` (`next_seq` when empty): the first op to put
/// back in the outbox and push again, when the server holds fewer than it acknowledged.
pub(crate) fn after_pull(acked: Option<u64>, first: u64, next_seq: u64) -> Result<Option<u64>> {
    match acked {
        Some(acked) if acked >= next_seq => Err(Error::Unrecoverable(format!(
            "the server holds this actor's ops through {acked} but this device made only {}",
            next_seq - 1
        ))),
        // Ops in the outbox may be held already (an acknowledgement lost): the next push sorts
        // them out. Only acknowledged ones missing matter here.
        Some(acked) if acked + 1 < first => Ok(Some(acked + 1)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(acked_through: u64) -> PushAck {
        PushAck {
            acked_through,
            applied: 0,
            rejected: Vec::new(),
        }
    }

    fn rejecting(acked_through: u64, seq: u64) -> PushAck {
        PushAck {
            rejected: vec![Rejection {
                seq,
                record: uuid::Uuid::now_v7(),
                field: "savings_pct".into(),
                message: "out of range".into(),
            }],
            ..ack(acked_through)
        }
    }

    #[test]
    fn an_ack_drops_what_it_covers() {
        assert_eq!(after_ack(1, 301, &ack(300)).ok(), Some(300));
        // A partial acknowledgement is still progress.
        assert_eq!(after_ack(1, 301, &ack(1)).ok(), Some(1));
        assert_eq!(after_ack(1, 301, &rejecting(300, 7)).ok(), Some(300));
    }

    #[test]
    fn an_ack_without_progress_or_beyond_our_ops_is_an_error() {
        assert!(matches!(after_ack(5, 10, &ack(4)), Err(Error::Protocol(_))));
        assert!(matches!(
            after_ack(5, 10, &ack(10)),
            Err(Error::Unrecoverable(_))
        ));
    }

    #[test]
    fn a_rejection_outside_the_acknowledged_ops_is_an_error() {
        assert!(matches!(
            after_ack(5, 10, &rejecting(7, 8)),
            Err(Error::Protocol(_))
        ));
        assert!(matches!(
            after_ack(5, 10, &rejecting(7, 4)),
            Err(Error::Protocol(_))
        ));
    }

    #[test]
    fn a_gap_after_a_lost_ack_drops_the_committed_ops() {
        // Ops 1..=5 were committed but the ack was lost; the server wants 6.
        assert_eq!(
            after_gap(1, 11, 6).ok(),
            Some(Gap::Committed { through: 5 })
        );
        // Everything was committed.
        assert_eq!(
            after_gap(1, 11, 11).ok(),
            Some(Gap::Committed { through: 10 })
        );
    }

    #[test]
    fn a_gap_below_the_outbox_sends_acknowledged_ops_again() {
        // Ops 1..=5 were acknowledged and left the outbox; the restored server has 1..=2.
        assert_eq!(after_gap(6, 11, 3).ok(), Some(Gap::Lost { from: 3 }));
    }

    #[test]
    fn a_gap_that_resending_cannot_fill_is_unrecoverable() {
        assert!(matches!(after_gap(1, 11, 12), Err(Error::Unrecoverable(_))));
        assert!(matches!(after_gap(4, 11, 4), Err(Error::Protocol(_))));
        assert!(matches!(after_gap(4, 11, 0), Err(Error::Protocol(_))));
    }

    #[test]
    fn a_page_that_holds_fewer_of_our_ops_than_acknowledged_sends_them_again() {
        // Ops 1..=10 acknowledged, none queued; the server holds 1..=4.
        assert_eq!(after_pull(Some(4), 11, 11).ok(), Some(Some(5)));
        assert_eq!(after_pull(Some(0), 11, 11).ok(), Some(Some(1)));
        // Ops 1..=7 acknowledged, 8..=10 queued: 5..=7 go back.
        assert_eq!(after_pull(Some(4), 8, 11).ok(), Some(Some(5)));
    }

    #[test]
    fn a_page_that_holds_what_we_acknowledged_or_says_nothing_changes_nothing() {
        assert_eq!(after_pull(Some(10), 11, 11).ok(), Some(None));
        // Queued ops held already (a lost acknowledgement): the next push drops them.
        assert_eq!(after_pull(Some(9), 8, 11).ok(), Some(None));
        assert_eq!(after_pull(None, 11, 11).ok(), Some(None));
    }

    #[test]
    fn a_page_that_holds_more_of_our_ops_than_we_made_is_unrecoverable() {
        assert!(matches!(
            after_pull(Some(11), 11, 11),
            Err(Error::Unrecoverable(_))
        ));
    }
}
