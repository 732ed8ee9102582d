//! The sachhon sync server as a library: [`app`] builds the router for in-process tests,
//! [`serve`] runs it on a listener for the binary and the end-to-end tests.

pub mod bootstrap;
pub mod http;
pub mod maintenance;
pub mod metrics;
pub mod progress;
pub mod store;
pub mod time;
pub mod tokens;
pub mod web;

pub use http::{app, serve, AppState};
