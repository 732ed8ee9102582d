//! The sachhon sync server as a library: [`app`] builds the router for in-process tests,
//! [`serve`] runs it on a listener for the binary and the end-to-end tests, [`serve_tls`]
//! does the same over HTTPS (all in [`service`]).

pub mod auth;
pub mod bootstrap;
pub mod http;
pub mod maintenance;
pub mod metrics;
pub mod problem;
pub mod progress;
pub mod qr;
pub mod registry;
pub mod review;
pub mod service;
pub mod store;
pub mod time;
pub mod tls;
pub mod tokens;
pub mod web;
pub mod xlsform;

pub use service::{app, serve, serve_tls, AppState};
