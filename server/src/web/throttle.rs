//! Login throttling: failed tries are counted per account and per client address, and once
//! either is over its limit every try is refused unchecked until the window has passed — the
//! right password too, so guessing gains nothing. Passwords are checked (argon2, 19 MiB each)
//! by [`CHECKERS`] threads of their own, each keeping its argon2 memory from one check to the
//! next, with a line of at most [`LINE`] tries; a try that finds the line full is refused at
//! once. So a flood of logins keeps memory flat: measured with the default allocator, letting
//! the blocking pool hash took a server from 20 MB to 334 MB for 22 checks, and it kept it.
//!
//! The counts live in the process's memory: they protect a process, and nothing that
//! correctness needs depends on them (several processes each throttle on their own).

use super::password::Checker;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Failed tries an account may have in one window.
pub const ACCOUNT_LIMIT: u32 = 5;
/// Failed tries one address may have in one window (an office behind one NAT shares it).
pub const ADDRESS_LIMIT: u32 = 20;
/// How long failed tries are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Threads that check passwords.
pub const CHECKERS: usize = 2;
/// Tries that may wait for a checker; more are refused.
pub const LINE: usize = 16;
/// Most accounts and addresses remembered; past it, expired ones are forgotten first.
const MAX_KEYS: usize = 100_000;

/// Why a try is refused before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failed tries for this account or from this address; retry after this long.
    TooManyFailures(Duration),
    /// Too many tries waiting for a password check.
    Busy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Account(u64),
    Address(IpAddr),
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
}

/// One password to check against a stored hash, and where to answer.
struct Check {
    password: String,
    phc: String,
    answer: oneshot::Sender<bool>,
}

/// The throttle of one server process.
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
    line: SyncSender<Check>,
}

impl Default for LoginThrottle {
    /// Starts the checker threads; they end when the throttle is dropped.
    fn default() -> Self {
        let (line, checks) = sync_channel::<Check>(LINE);
        let checks = Arc::new(Mutex::new(checks));
        for _ in 0..CHECKERS {
            let checks = Arc::clone(&checks);
            std::thread::spawn(move || {
                let mut checker = Checker::default();
                loop {
                    let next = checks
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .recv();
                    let Ok(check) = next else { return };
                    let _ = check
                        .answer
                        .send(checker.verify(&check.password, &check.phc));
                }
            });
        }
        Self {
            failures: Mutex::default(),
            line,
        }
    }
}

impl LoginThrottle {
    /// Whether a try for `username` from `address` may have its password checked.
    pub fn admit(&self, username: &str, address: Option<IpAddr>) -> Result<(), Refusal> {
        let now = Instant::now();
        let failures = self.lock();
        for (key, limit) in keys(username, address) {
            if let Some(f) = failures.get(&key) {
                let left = WINDOW.saturating_sub(now.duration_since(f.since));
                if f.count >= limit && !left.is_zero() {
                    return Err(Refusal::TooManyFailures(left));
                }
            }
        }
        Ok(())
    }

    /// Checks `password` against the stored hash `phc` on a checker thread; refused at once
    /// when the line is full.
    pub async fn verify(&self, password: String, phc: String) -> Result<bool, Refusal> {
        let (answer, answered) = oneshot::channel();
        let check = Check {
            password,
            phc,
            answer,
        };
        match self.line.try_send(check) {
            Ok(()) => answered.await.map_err(|_| Refusal::Busy),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Refusal::Busy),
        }
    }

    /// Records a failed try.
    pub fn failed(&self, username: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self.lock();
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, f| now.duration_since(f.since) < WINDOW);
        }
        if failures.len() >= MAX_KEYS {
            return;
        }
        for (key, _) in keys(username, address) {
            let entry = failures.entry(key).or_insert(Failures {
                count: 0,
                since: now,
            });
            if now.duration_since(entry.since) >= WINDOW {
                *entry = Failures {
                    count: 0,
                    since: now,
                };
            }
            entry.count += 1;
        }
    }

    /// Forgets an account's failures after it logged in.
    pub fn succeeded(&self, username: &str) {
        self.lock().remove(&account(username));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Failures>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn account(username: &str) -> Key {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    username.hash(&mut hasher);
    Key::Account(hasher.finish())
}

fn keys(username: &str, address: Option<IpAddr>) -> Vec<(Key, u32)> {
    let mut keys = vec![(account(username), ACCOUNT_LIMIT)];
    keys.extend(address.map(|a| (Key::Address(a), ADDRESS_LIMIT)));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_locked_after_its_failures_and_others_are_not() {
        let throttle = LoginThrottle::default();
        let here = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..ACCOUNT_LIMIT {
            assert!(throttle.admit("lan", here).is_ok());
            throttle.failed("lan", here);
        }
        assert!(matches!(
            throttle.admit("lan", here),
            Err(Refusal::TooManyFailures(_))
        ));
        assert!(throttle.admit("minh", here).is_ok());
        throttle.succeeded("lan");
        assert!(throttle.admit("lan", None).is_ok());
    }

    #[test]
    fn an_address_is_locked_after_its_failures() {
        let throttle = LoginThrottle::default();
        let here = Some(IpAddr::from([10, 0, 0, 7]));
        for i in 0..ADDRESS_LIMIT {
            throttle.failed(&format!("user{i}"), here);
        }
        assert!(throttle.admit("someone", here).is_err());
        assert!(throttle.admit("someone", None).is_ok());
    }

    #[tokio::test]
    async fn passwords_are_checked_and_the_line_is_bounded() {
        let throttle = LoginThrottle::default();
        let phc = super::super::password::hash("mật khẩu dài").expect("hash");
        assert_eq!(
            throttle.verify("mật khẩu dài".into(), phc.clone()).await,
            Ok(true)
        );
        assert_eq!(throttle.verify("sai".into(), phc.clone()).await, Ok(false));
        let many = (0..CHECKERS + LINE + 8).map(|_| throttle.verify("sai".into(), phc.clone()));
        let answers = futures_all(many).await;
        assert!(answers.contains(&Err(Refusal::Busy)), "{answers:?}");
        assert!(answers.contains(&Ok(false)), "{answers:?}");
    }

    /// Polls every future to its end, concurrently, on this task.
    async fn futures_all<F: std::future::Future>(
        futures: impl Iterator<Item = F>,
    ) -> Vec<F::Output> {
        let mut pending: Vec<_> = futures.map(Box::pin).collect();
        let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
        std::future::poll_fn(|cx| {
            for (future, slot) in pending.iter_mut().zip(done.iter_mut()) {
                if slot.is_none() {
                    if let std::task::Poll::Ready(out) = future.as_mut().poll(cx) {
                        *slot = Some(out);
                    }
                }
            }
            if done.iter().all(Option::is_some) {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
        done.into_iter().flatten().collect()
    }
}
