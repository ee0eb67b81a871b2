//! The portal endpoints of `backroom serve`: what a customer's browser calls.
//!
//! - `GET  /portal/register?token=T`   who the invitation is for (does not use it)
//! - `POST /portal/register {"token"}` create the login identity (not registered → inactive);
//!   returns the access key once and e-mails the confirmation link
//! - `GET  /portal/activate?token=T`   who the confirmation link is for (does not use it)
//! - `POST /portal/activate {"token"}` confirm the account (inactive → active)
//! - `GET  /portal/terms`, `POST /portal/terms/accept` (access key) accept the current terms
//! - `POST /portal/jobs?title=&name=` (access key, body: the PDF) submit through the integration link
//! - `GET  /portal/jobs` (access key) the customer's jobs
//! - `POST /portal/jobs/{id}/support?name=` (access key, body: the file) attach the support file
//! - `PUT  /portal/jobs/{id}/model` (access key, body: JSON) save the PDL model of the job editor
//! - `GET  /portal/g/{link}`, `POST /portal/g/{link}/jobs?title=&name=&email=` the generic link
//!
//! The access key goes in `Authorization: Bearer KEY` (or HTTP basic auth with the key as password).
//! Errors are `{"error": "..."}`: 401 unknown token or key, 410 expired or used token or expired
//! link, 404 unknown generic link, 409 wrong state, 413 size limit, 429 jobs-per-day limit,
//! 415 not a PDF.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use crate::contacts::invite::{self, Purpose};
use crate::contacts::links::{self, LimitHit};
use crate::contacts::mail::Mailer;
use crate::contacts::submit::{self, Submitter, UploadError};
use crate::contacts::{ContactError, portal};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/register", get(inspect_invitation).post(register))
        .route("/portal/activate", get(inspect_confirmation).post(activate))
        .route("/portal/terms", get(terms))
        .route("/portal/terms/accept", post(accept_terms))
        .route("/portal/jobs", get(my_jobs).post(submit_integration))
        .route("/portal/jobs/{id}/support", post(attach_support))
        .route("/portal/jobs/{id}/model", axum::routing::put(save_model))
        .route("/portal/g/{link}", get(generic_info))
        .route("/portal/g/{link}/jobs", post(submit_generic))
}

/// An error as the portal answers it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!("portal: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error (see the server log)",
        )
    }
}

impl From<ContactError> for ApiError {
    fn from(e: ContactError) -> ApiError {
        let status = match &e {
            ContactError::TokenUnknown | ContactError::NotAuthenticated => StatusCode::UNAUTHORIZED,
            ContactError::TokenExpired { .. }
            | ContactError::TokenUsed { .. }
            | ContactError::TokenRevoked { .. }
            | ContactError::LinkExpired { .. } => StatusCode::GONE,
            ContactError::WrongState { .. } => StatusCode::CONFLICT,
            ContactError::Deactivated { .. } => StatusCode::FORBIDDEN,
            ContactError::Limit(LimitHit::JobsPerDay { .. }) => StatusCode::TOO_MANY_REQUESTS,
            ContactError::Limit(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ContactError::NotFound { .. } | ContactError::LinkReplaced => StatusCode::NOT_FOUND,
            ContactError::BadInput(_)
            | ContactError::InvalidEmail { .. }
            | ContactError::Required { .. }
            | ContactError::TooLong { .. }
            | ContactError::Duplicate { .. } => StatusCode::BAD_REQUEST,
            ContactError::DeleteBlocked(_) => StatusCode::CONFLICT,
            ContactError::Store(_) | ContactError::Io { .. } => return ApiError::internal(e),
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> ApiError {
        match e {
            UploadError::Limit(hit) => ContactError::Limit(hit).into(),
            UploadError::NotPdf => ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, e.to_string()),
            UploadError::Empty | UploadError::Interrupted(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, e.to_string())
            }
            UploadError::Io { .. } => ApiError::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"backroom portal\""),
            );
        }
        response
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Runs store work off the async threads.
async fn with_store<T, F>(state: &AppState, work: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, ContactError> + Send + 'static,
{
    let ctx = state.ctx.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = ctx.open_store().map_err(ApiError::internal)?;
        work(&mut conn).map_err(ApiError::from)
    })
    .await
    .map_err(ApiError::internal)?
}

/// The access key from `Authorization: Bearer KEY` or basic auth (`email:KEY`).
fn access_key(headers: &HeaderMap) -> ApiResult<String> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ContactError::NotAuthenticated)?;
    if let Some(key) = value.strip_prefix("Bearer ") {
        return Ok(key.trim().to_string());
    }
    if let Some(encoded) = value.strip_prefix("Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(ContactError::NotAuthenticated)?;
        if let Some((_, key)) = decoded.split_once(':') {
            return Ok(key.to_string());
        }
    }
    Err(ContactError::NotAuthenticated.into())
}

#[derive(Deserialize)]
struct TokenQuery {
    token: String,
}

async fn inspect_invitation(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let (contact, expires_at) = with_store(&state, move |conn| {
        portal::inspect(conn, &q.token, Purpose::Register)
    })
    .await?;
    Ok(Json(json!({
        "name": contact.name,
        "email": contact.email,
        "company": contact.company,
        "expires_at": expires_at,
    })))
}

async fn inspect_confirmation(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let (contact, expires_at) = with_store(&state, move |conn| {
        portal::inspect(conn, &q.token, Purpose::Confirm)
    })
    .await?;
    Ok(Json(json!({
        "name": contact.name,
        "email": contact.email,
        "state": contact.state,
        "expires_at": expires_at,
    })))
}

async fn register(
    State(state): State<AppState>,
    Json(body): Json<TokenQuery>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let config = state.ctx.config.clone();
    let registered = with_store(&state, move |conn| {
        portal::register(conn, &config, &body.token)
    })
    .await?;
    let mailer = Mailer::from_config(&state.ctx.config, &state.ctx.db_path);
    let mail = invite::compose(
        &state.ctx.config,
        mailer.from_address(),
        &registered.contact,
        Purpose::Confirm,
        &invite::link(
            &state.ctx.config,
            Purpose::Confirm,
            &registered.confirm_token,
        ),
        &registered.confirm_expires_at,
    );
    let confirmation = match mailer.deliver(&mail).await {
        Ok(delivery) => json!({ "sent_to": registered.contact.email, "delivery": delivery }),
        Err(e) => {
            tracing::warn!(email = %registered.contact.email, "confirmation e-mail failed: {e}");
            json!({ "error": format!("the confirmation e-mail could not be sent; ask the print shop for a new activation request ({e})") })
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "email": registered.contact.email,
            "state": registered.contact.state,
            "access_key": registered.access_key,
            "confirmation": confirmation,
        })),
    ))
}

async fn activate(
    State(state): State<AppState>,
    Json(body): Json<TokenQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let contact = with_store(&state, move |conn| portal::confirm(conn, &body.token)).await?;
    Ok(Json(
        json!({ "email": contact.email, "state": contact.state }),
    ))
}

async fn terms(State(state): State<AppState>) -> ApiResult<Response> {
    let content = with_store(&state, |conn| {
        Ok(crate::store::contacts::current_terms(conn)?
            .zip(crate::store::contacts::current_terms_content(conn)?))
    })
    .await?;
    let (terms, bytes) =
        content.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no terms of service yet"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    crate::contacts::safe_name::component(&terms.file_name, "terms")
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn accept_terms(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    let key = access_key(&headers)?;
    let contact = with_store(&state, move |conn| portal::accept_terms(conn, &key)).await?;
    Ok(Json(json!({
        "email": contact.email,
        "terms_accepted_at": contact.terms_accepted_at,
    })))
}

async fn my_jobs(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    let key = access_key(&headers)?;
    let jobs = with_store(&state, move |conn| {
        let contact = portal::authenticate(conn, &key)?;
        Ok(crate::store::contacts::jobs_of(conn, contact.id)?)
    })
    .await?;
    Ok(Json(json!(jobs)))
}

#[derive(Deserialize)]
struct JobQuery {
    title: Option<String>,
    name: Option<String>,
    email: Option<String>,
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

async fn submit_integration(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<JobQuery>,
    body: Body,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let key = access_key(&headers)?;
    let limits = links::Limits::integration(&state.ctx.config);
    let declared = declared_length(&headers);
    let presented = key.clone();
    let (contact, (_held, budget)) = with_store(&state, move |conn| {
        let contact = portal::authenticate_active(conn, &key)?;
        let held = submit::reserve(&format!("contact:{}", contact.id), |streaming| {
            links::check_integration(conn, contact.id, &limits, declared, streaming)
        })?;
        Ok((contact, held))
    })
    .await?;
    let upload = submit::receive(
        &state.ctx.db_path,
        body.into_data_stream(),
        budget.max_bytes,
        budget.limit,
        submit::Kind::Pdf,
    )
    .await?;
    let submitter = Submitter::Contact {
        id: contact.id,
        limits,
        key: presented,
    };
    finish(state, submitter, q, upload).await
}

async fn attach_support(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Query(q): Query<JobQuery>,
    body: Body,
) -> ApiResult<Json<serde_json::Value>> {
    let key = access_key(&headers)?;
    let contact = with_store(&state, move |conn| portal::authenticate_active(conn, &key)).await?;
    let limits = links::Limits::integration(&state.ctx.config);
    let limit = LimitHit::JobSize {
        limit: limits.max_job_bytes,
    };
    let upload = submit::receive(
        &state.ctx.db_path,
        body.into_data_stream(),
        limits.max_job_bytes,
        limit,
        submit::Kind::Any,
    )
    .await?;
    let db_path = state.ctx.db_path.clone();
    let name = q.name.unwrap_or_else(|| "support".into());
    let job = with_store(&state, move |conn| {
        submit::attach_support(conn, &db_path, contact.id, id, &name, upload, &limits)
    })
    .await?;
    Ok(Json(json!(job)))
}

async fn save_model(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let key = access_key(&headers)?;
    let job = with_store(&state, move |conn| {
        let contact = portal::authenticate_active(conn, &key)?;
        submit::save_model(conn, contact.id, id, &body)
    })
    .await?;
    Ok(Json(json!(job)))
}

async fn generic_info(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let link = generic_link(&state, token).await?;
    Ok(Json(json!({
        "expires_on": link.expires_on,
        "jobs_per_day": link.jobs_per_day,
        "max_job_bytes": link.max_job_bytes,
        "max_day_bytes": link.max_day_bytes,
    })))
}

/// The generic link settings when `token` is the current link, else 404.
async fn generic_link(state: &AppState, token: String) -> ApiResult<links::GenericLink> {
    let link = with_store(state, |conn| links::load(conn)).await?;
    if !links::same_token(&link.token, &token) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "this generic link is not valid (it may have been regenerated); ask the print shop for the current one",
        ));
    }
    Ok(link)
}

async fn submit_generic(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Query(q): Query<JobQuery>,
    body: Body,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let link = generic_link(&state, token.clone()).await?;
    if let Some(email) = q.email.as_deref() {
        crate::contacts::email::check(email).map_err(|reason| ContactError::InvalidEmail {
            value: email.to_string(),
            reason,
        })?;
    }
    let declared = declared_length(&headers);
    let (_held, budget) = with_store(&state, move |conn| {
        submit::reserve("generic", |streaming| {
            links::check_submission(conn, &link, declared, streaming)
        })
    })
    .await?;
    let upload = submit::receive(
        &state.ctx.db_path,
        body.into_data_stream(),
        budget.max_bytes,
        budget.limit,
        submit::Kind::Pdf,
    )
    .await?;
    let email = q.email.clone();
    finish(state, Submitter::Generic { email, token }, q, upload).await
}

async fn finish(
    state: AppState,
    submitter: Submitter,
    q: JobQuery,
    upload: submit::Upload,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let db_path = state.ctx.db_path.clone();
    let name = q.name.unwrap_or_else(|| "input.pdf".into());
    let title = q
        .title
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| name.clone());
    let job = with_store(&state, move |conn| {
        submit::record(conn, &db_path, &submitter, &title, &name, upload)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!(job))))
}
