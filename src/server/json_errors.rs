//! Every error the web service answers is in its JSON error shape `{"error": "..."}`, also
//! those axum writes itself (413 body too large, 405, 404, 415, a rejected extractor).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The longest original text kept in the rewritten error.
const MAX_REASON: usize = 1_000;

pub async fn layer(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let status = response.status();
    close_when_body_refused(&mut response);
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    // Keep what tells a client how to retry (Allow on 405, Retry-After).
    let keep: Vec<_> = [header::ALLOW, header::RETRY_AFTER]
        .into_iter()
        .filter_map(|name| response.headers().get(&name).cloned().map(|v| (name, v)))
        .collect();
    let body = axum::body::to_bytes(response.into_body(), MAX_REASON * 4)
        .await
        .unwrap_or_default();
    let original = String::from_utf8_lossy(&body);
    let original: String = original.trim().chars().take(MAX_REASON).collect();
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the body is larger than the limit of {} bytes (1 MB) for this endpoint",
            crate::printing::payload::MAX_PAYLOAD_BYTES
        ),
        _ if original.is_empty() => status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_string(),
        _ => original,
    };
    let mut out = (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
    for (name, value) in keep {
        out.headers_mut().insert(name, value);
    }
    close_when_body_refused(&mut out);
    out
}

/// An upload refused before its body was read (too large, not a PDF, over the day's limits)
/// leaves the rest of that body on the connection: the answer says `Connection: close`, so that
/// the client does not send its next request on a connection the server is closing (it got
/// "broken pipe" instead of an answer now and then).
fn close_when_body_refused(response: &mut Response) {
    if matches!(
        response.status(),
        StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::TOO_MANY_REQUESTS
    ) {
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
    }
}
