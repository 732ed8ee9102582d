//! What a fresh database needs before serving: the first administrator
//! (`SACHHON_ADMIN_TOKEN` when set, otherwise a token generated and printed once) and a key to
//! sign tickets, the plan of Decision 86/QĐ-UBND (2013) and the province's districts when none
//! are stored, and the search keys of rows written before search existed.

use crate::store::{Store, StoreResult};
use crate::tokens;
use ed25519_dalek::SigningKey;

/// What start-up decided about the admin token.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminBootstrap {
    /// The environment's token is in force.
    FromEnvironment,
    /// A new token was generated; print it once.
    Generated(String),
    /// Stored admin tokens exist already.
    Existing,
}

/// Makes sure some admin credential exists, generating one if needed.
pub async fn ensure_admin(
    store: &dyn Store,
    env_token: Option<&str>,
) -> StoreResult<AdminBootstrap> {
    if env_token.is_some() {
        return Ok(AdminBootstrap::FromEnvironment);
    }
    if store.has_admin_token().await? {
        return Ok(AdminBootstrap::Existing);
    }
    let token = tokens::generate();
    store.add_admin_token(&tokens::hash(&token)).await?;
    Ok(AdminBootstrap::Generated(token))
}

/// Makes sure a ticket-signing key exists (several processes starting at once may each make
/// one; every active key admits, the newest signs).
pub async fn ensure_ticket_key(store: &dyn Store) -> StoreResult<()> {
    if store.signing_key().await?.is_none() {
        store.add_ticket_key(&new_ticket_key()).await?;
    }
    Ok(())
}

/// A new random Ed25519 key.
pub fn new_ticket_key() -> SigningKey {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).expect("the operating system's random source is available");
    SigningKey::from_bytes(&secret)
}

/// Everything a store needs before serving; returns what became of the admin token.
pub async fn prepare(store: &dyn Store, env_token: Option<&str>) -> StoreResult<AdminBootstrap> {
    ensure_ticket_key(store).await?;
    store
        .seed_plan(&sachhon_shared::indicators::long_an_2013())
        .await?;
    store
        .seed_districts(&sachhon_shared::district::long_an())
        .await?;
    store.fill_search_keys().await?;
    ensure_admin(store, env_token).await
}
