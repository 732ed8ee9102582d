//! Who is calling: the web session (cookies, CSRF) and the API's callers (admin, office
//! reader, device), shared by the API handlers and the office pages.

pub mod callers;
pub mod session;
