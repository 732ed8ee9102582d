//! Login throttling: failed tries are counted per account and per client address, and once
//! either is over its limit every try is refused unchecked until the window has passed — the
//! right password too, so guessing gains nothing. Password checks (argon2, 19 MiB each) run
//! under a small semaphore, and a try that finds too many waiting is refused at once, so a
//! flood of logins keeps memory flat instead of hashing hundreds of passwords at a time.
//!
//! The counts live in the process's memory: they protect a process, and nothing that
//! correctness needs depends on them (several processes each throttle on their own).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Failed tries an account may have in one window.
pub const ACCOUNT_LIMIT: u32 = 5;
/// Failed tries one address may have in one window (an office behind one NAT shares it).
pub const ADDRESS_LIMIT: u32 = 20;
/// How long failed tries are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Password checks running at once.
pub const HASHING_AT_ONCE: usize = 2;
/// Tries that may wait for a password check; more are refused.
pub const HASHING_QUEUE: usize = 16;
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

/// The throttle of one server process.
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
    hashing: Arc<Semaphore>,
    /// Tries waiting for or holding a password checker.
    in_line: Arc<AtomicUsize>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            failures: Mutex::default(),
            hashing: Arc::new(Semaphore::new(HASHING_AT_ONCE)),
            in_line: Arc::default(),
        }
    }
}

/// Leave to check one password; held while it is checked.
pub struct Permit {
    _checker: OwnedSemaphorePermit,
    _place: Place,
}

/// A place in the line for a password checker, given back when dropped.
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl LoginThrottle {
    /// Whether a try for `username` from `address` may go on; waits for a free password
    /// checker, or is refused.
    pub async fn admit(&self, username: &str, address: Option<IpAddr>) -> Result<Permit, Refusal> {
        let now = Instant::now();
        {
            let failures = self.lock();
            for (key, limit) in keys(username, address) {
                if let Some(f) = failures.get(&key) {
                    let left = WINDOW.saturating_sub(now.duration_since(f.since));
                    if f.count >= limit && !left.is_zero() {
                        return Err(Refusal::TooManyFailures(left));
                    }
                }
            }
        }
        let ahead = self.in_line.fetch_add(1, Ordering::SeqCst);
        let place = Place(Arc::clone(&self.in_line));
        if ahead >= HASHING_AT_ONCE + HASHING_QUEUE {
            return Err(Refusal::Busy);
        }
        let checker = Arc::clone(&self.hashing)
            .acquire_owned()
            .await
            .map_err(|_| Refusal::Busy)?;
        Ok(Permit {
            _checker: checker,
            _place: place,
        })
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

    #[tokio::test]
    async fn an_account_is_locked_after_its_failures_and_others_are_not() {
        let throttle = LoginThrottle::default();
        let here = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..ACCOUNT_LIMIT {
            assert!(throttle.admit("lan", here).await.is_ok());
            throttle.failed("lan", here);
        }
        assert!(matches!(
            throttle.admit("lan", here).await,
            Err(Refusal::TooManyFailures(_))
        ));
        assert!(throttle.admit("minh", here).await.is_ok());
    }

    #[tokio::test]
    async fn an_address_is_locked_after_its_failures() {
        let throttle = LoginThrottle::default();
        let here = Some(IpAddr::from([10, 0, 0, 7]));
        for i in 0..ADDRESS_LIMIT {
            throttle.failed(&format!("user{i}"), here);
        }
        assert!(throttle.admit("someone", here).await.is_err());
        assert!(throttle.admit("someone", None).await.is_ok());
    }

    #[tokio::test]
    async fn the_line_for_password_checks_is_bounded() {
        let throttle = LoginThrottle::default();
        let mut held = Vec::new();
        for _ in 0..HASHING_AT_ONCE {
            held.push(throttle.admit("a", None).await.expect("a checker is free"));
        }
        assert_eq!(throttle.in_line.load(Ordering::SeqCst), HASHING_AT_ONCE);
        drop(held);
        assert_eq!(throttle.in_line.load(Ordering::SeqCst), 0);
        throttle
            .in_line
            .store(HASHING_AT_ONCE + HASHING_QUEUE, Ordering::SeqCst);
        assert!(matches!(
            throttle.admit("a", None).await,
            Err(Refusal::Busy)
        ));
    }
}
