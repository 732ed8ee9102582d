//! Passwords of web accounts: argon2id with its default (OWASP-recommended) parameters, kept as
//! PHC strings. Hashing is slow on purpose; callers on a request path run it off the async
//! threads.

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher, PasswordVerifier, Version};
use std::sync::OnceLock;

/// The shortest password `sachhon user add` accepts, in characters.
pub const MIN_CHARS: usize = 8;

/// The longest password accepted, in bytes (hashing cost grows with the input).
pub const MAX_BYTES: usize = 1024;

/// A login name as stored — trimmed and lower case — or why it is refused.
pub fn username(name: &str) -> Result<String, String> {
    let name = super::normalise_username(name);
    if name.is_empty() || name.chars().count() > 64 {
        return Err("the username must have 1 to 64 characters".into());
    }
    if name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("the username must not contain spaces or control characters".into());
    }
    Ok(name)
}

/// Why a password is refused.
pub fn check(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_CHARS {
        return Err(format!(
            "the password must have at least {MIN_CHARS} characters"
        ));
    }
    if password.len() > MAX_BYTES {
        return Err(format!("the password must be at most {MAX_BYTES} bytes"));
    }
    Ok(())
}

/// The argon2id hash of a password with a fresh random salt, as a PHC string.
pub fn hash(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no random source: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// Whether the password matches the stored hash (a malformed hash matches nothing).
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_BYTES {
        return false;
    }
    PasswordHash::new(phc)
        .and_then(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed))
        .is_ok()
}

/// The most argon2 memory a stored hash may ask for (a hash made elsewhere with bigger
/// parameters matches nothing rather than taking the server's memory).
const MAX_MEMORY_BLOCKS: u32 = 64 * 1024;

/// A password checker that keeps its argon2 working memory (19 MiB with the default
/// parameters) from one check to the next, so that checking many passwords never allocates
/// more than once.
#[derive(Default)]
pub struct Checker {
    blocks: Vec<Block>,
}

impl Checker {
    /// Whether the password matches the stored hash, as [`verify`] says, in this checker's
    /// memory.
    pub fn verify(&mut self, password: &str, phc: &str) -> bool {
        self.matches(password, phc).unwrap_or(false)
    }

    fn matches(&mut self, password: &str, phc: &str) -> Option<bool> {
        if password.len() > MAX_BYTES {
            return Some(false);
        }
        let parsed = PasswordHash::new(phc).ok()?;
        let params = Params::try_from(&parsed).ok()?;
        if params.m_cost() > MAX_MEMORY_BLOCKS {
            return None;
        }
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from)
            .ok()?;
        let expected = parsed.hash?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let needed = params.block_count();
        if self.blocks.len() < needed {
            self.blocks.resize(needed, Block::default());
        }
        let mut out = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                &mut self.blocks[..needed],
            )
            .ok()?;
        // `Output` compares in constant time.
        Some(Output::new(&out).ok()? == expected)
    }
}

/// A hash to check against when the username is unknown, so that a failed login takes as long
/// whether or not the account exists (no user enumeration by timing).
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    // Checked only for its cost: the result is ignored, so a known password does no harm.
    DECOY.get_or_init(|| hash("sachhon decoy password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash("mật khẩu dài").expect("hash");
        let b = hash("mật khẩu dài").expect("hash");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "fresh salt each time");
        assert!(verify("mật khẩu dài", &a));
        assert!(!verify("mật khẩu dai", &a));
        assert!(!verify("anything", "not a hash"));
        assert!(!verify("anything", decoy_hash()));
        let mut checker = Checker::default();
        for _ in 0..2 {
            assert!(checker.verify("mật khẩu dài", &a));
            assert!(!checker.verify("mật khẩu dai", &b));
        }
        assert!(!checker.verify("anything", "not a hash"));
        assert!(!checker.verify("anything", decoy_hash()));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check("1234567").is_err());
        assert!(check("12345678").is_ok());
        assert!(
            check("mậtkhẩu!").is_ok(),
            "counted in characters, not bytes"
        );
    }
}
