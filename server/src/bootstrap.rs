//! The first administrator: `SACHHON_ADMIN_TOKEN` when set, otherwise a token generated and
//! printed once when the database has none.

use crate::store::{Store, StoreResult};
use crate::tokens;

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
