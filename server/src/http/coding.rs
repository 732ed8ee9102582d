//! HTTP content coding (RFC 9110 §8.4): answers compressed per the client's `Accept-Encoding`
//! (zstd preferred, gzip for clients without it), and push bodies read in zstd or gzip.
//!
//! The push body limit holds for the decoded body: [`axum::extract::DefaultBodyLimit`] only
//! records the limit in the request's extensions, and the handler's body extractor wraps the
//! body it is handed — by then the decoding body of [`RequestDecompressionLayer`] — in
//! `http_body_util::Limited`. Decoding is streamed, so a small body that inflates past the limit
//! (a "zip bomb") is refused with 413 once the limit's worth of decoded bytes has been read,
//! without the rest ever being inflated.

use super::export::XLSX;
use crate::problem::ApiError;
use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::compression::predicate::{
    DefaultPredicate, NotForContentType, Predicate, SizeAbove,
};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::decompression::RequestDecompressionLayer;

/// Answers smaller than this many bytes are sent as they are: compressing them saves at most
/// a few hundred bytes of a packet that goes out anyway.
pub const MIN_COMPRESSED_SIZE: u16 = 1024;

/// The content codings a request body may be in, besides none (`identity`), as the
/// `Accept-Encoding` of a 415 answer lists them.
const REQUEST_CODINGS: [&str; 2] = ["zstd", "gzip"];

/// Compresses answers of at least [`MIN_COMPRESSED_SIZE`] bytes with the best coding the
/// client accepts: zstd, else gzip, at their default levels (zstd 3, gzip 6), both cheap next
/// to building a pull page. Images and spreadsheets (zip files already) are sent as they are.
pub fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .zstd(true)
        .gzip(true)
        .quality(CompressionLevel::Default)
        .compress_when(
            DefaultPredicate::new()
                .and(SizeAbove::new(MIN_COMPRESSED_SIZE))
                .and(NotForContentType::const_new(XLSX)),
        )
}

/// Decodes request bodies sent in zstd or gzip, as they are read (see the module's notes on
/// the body limit). Other codings never reach it: [`known_coding_only`] refuses them first.
pub fn decompression() -> RequestDecompressionLayer {
    RequestDecompressionLayer::new().zstd(true).gzip(true)
}

/// Refuses a request body in a content coding that [`decompression`] does not decode — an
/// unknown one, or several applied one over the other — with 415 problem+json and the codings
/// that are read in `Accept-Encoding` (RFC 9110 §15.5.16). A known coding's name is passed on
/// in lower case, the spelling the decoding layer matches.
pub async fn known_coding_only(mut request: Request, next: Next) -> Response {
    let mut codings = request.headers().get_all(header::CONTENT_ENCODING).iter();
    let (first, second) = (codings.next(), codings.next());
    let known = match (first, second) {
        (None, _) => return next.run(request).await,
        (Some(coding), None) => coding.to_str().ok().and_then(|coding| {
            REQUEST_CODINGS
                .into_iter()
                .chain(["identity"])
                .find(|known| coding.trim().eq_ignore_ascii_case(known))
        }),
        (Some(_), Some(_)) => None,
    };
    if let Some(known) = known {
        request
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(known));
        return next.run(request).await;
    }
    let named: Vec<String> = request
        .headers()
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .map(|coding| String::from_utf8_lossy(coding.as_bytes()).into_owned())
        .collect();
    let accepted = REQUEST_CODINGS.join(", ");
    let mut response = ApiError::UnsupportedMediaType(format!(
        "a request body is sent as it is or in one of the content codings {accepted}, not {:?}",
        named.join(", ")
    ))
    .into_response();
    if let Ok(accepted) = HeaderValue::from_str(&accepted) {
        response
            .headers_mut()
            .insert(header::ACCEPT_ENCODING, accepted);
    }
    response
}
