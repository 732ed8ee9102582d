//! End-to-end tests: the real server on a random port with a fresh database (SQLite file or
//! PostgreSQL database), driven by real `sachhon-sync` replicas and raw protocol clients.
//! Every story runs on both backends.

mod bad_input;
mod browser;
mod checkin;
mod compression;
mod crash;
mod devices;
mod hardening;
mod https;
mod import;
mod logs;
mod metrics;
mod openapi;
mod postgres;
mod progress;
mod questionnaires;
mod registry;
mod restore;
mod scopes;
mod store;
mod sync;
mod vectors;
mod web;
mod xlsform;

/// Declares one `#[tokio::test]` per backend for an `async fn story(Backend)`.
macro_rules! on_both_backends {
    ($($story:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $story() -> anyhow::Result<()> {
                super::$story(sachhon_tests::Backend::Sqlite).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $story() -> anyhow::Result<()> {
                super::$story(sachhon_tests::Backend::Postgres).await
            })*
        }
    };
}
pub(crate) use on_both_backends;
