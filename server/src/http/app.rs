//! The field app (`/app/`): plain ES modules, HTML and CSS from `server/app/`, embedded in the
//! binary (a debug build reads them from the source folder, so that editing the app needs no
//! rebuild). Every file is sent with its media type and a content security policy that keeps
//! the app to its own origin.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rust_embed::RustEmbed;

/// The files of the field app.
#[derive(RustEmbed)]
#[folder = "app/"]
struct AppFiles;

/// What the app may load: only its own origin (camera frames are blobs; the manifest's icon a
/// data URL when inlined).
const POLICY: &str = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; \
                      style-src 'self'; script-src 'self'; connect-src 'self'; \
                      worker-src 'self'; manifest-src 'self'; object-src 'none'; \
                      base-uri 'none'; frame-ancestors 'none'";

/// `GET /app`: the app lives under `/app/` (the service worker's scope).
pub async fn root() -> Redirect {
    Redirect::permanent("/app/")
}

/// `GET /app/`: the app's page.
pub async fn index() -> Response {
    file("index.html")
}

/// `GET /app/{*path}`: one of the app's files.
pub async fn asset(Path(path): Path<String>) -> Response {
    file(&path)
}

fn file(path: &str) -> Response {
    let Some(content) = AppFiles::get(path) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let mut response = content.data.into_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media_type(path)),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    // Revalidated every time: the service worker keeps the offline copy, not the HTTP cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn media_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
