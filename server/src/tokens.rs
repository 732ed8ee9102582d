//! Bearer tokens: random, shown once, stored only as a SHA-256 hash. (Tokens carry 256 bits of
//! randomness, so a fast hash suffices; passwords would need a slow one.)

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use sha2::{Digest, Sha256};

/// Prefix of every token: recognisable in logs and by secret scanners, and it keeps a token
/// from beginning with `-`, which a command line would take for an option.
const PREFIX: &str = "sxh_";

/// A new random token (`sxh_` and 43 URL-safe characters).
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    format!("{PREFIX}{}", BASE64URL_NOPAD.encode(&bytes))
}

/// Whether a value has the shape of a token this server makes.
pub fn is_well_formed(value: &str) -> bool {
    value.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_unique_and_hashes_stable() {
        let (a, b) = (super::generate(), super::generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), 47);
        assert!(a.starts_with("sxh_"));
        assert!(super::is_well_formed(&a));
        assert!(!super::is_well_formed("sxh_short") && !super::is_well_formed(&a[4..]));
        assert_eq!(super::hash(&a), super::hash(&a));
        assert_ne!(super::hash(&a), super::hash(&b));
    }
}
