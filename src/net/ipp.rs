//! The `ipp` provider: IPP/IPPS to a printer or a CUPS queue (Print-Job, Get-Jobs,
//! Get-Job-Attributes, Get-Printer-Attributes), each request with a timeout, on one pooled HTTP
//! client per printer URL.

use std::time::Duration;

use ipp::prelude::*;
use ipp::value::IppName;

use super::ipp_http::{self, HttpError};
use super::print::{Accepted, Lookup, PrintRequest, PrinterStatus, RemoteState, SendError};

/// How long a Print-Job may take, document upload included.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a query (Get-Jobs, Get-Job-Attributes, Get-Printer-Attributes) may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The requesting-user-name backroom sends.
const USER: &str = "backroom";

fn parse_uri(target: &str) -> Result<Uri, SendError> {
    target.parse::<Uri>().map_err(|e| {
        SendError::Permanent(format!(
            "bad IPP printer URL {target:?}: {e} (expected ipp://host[:port]/path)"
        ))
    })
}

/// `urn:uuid:...` as IPP wants it, from a bare UUID or an already prefixed one.
pub fn job_uuid_urn(job_uuid: &str) -> String {
    if job_uuid.starts_with("urn:uuid:") {
        job_uuid.to_string()
    } else {
        format!("urn:uuid:{job_uuid}")
    }
}

/// Maps an IPP client error to retryable (network, busy, server) or permanent.
fn classify(target: &str, e: IppError) -> SendError {
    match e {
        IppError::StatusError(code) => status_error(target, code),
        IppError::RequestError(http) if http == 401 || http == 403 => {
            SendError::Permanent(format!(
                "{target} refused the request (HTTP {http}): the printer wants credentials backroom does not have"
            ))
        }
        IppError::RequestError(404) => SendError::Permanent(format!(
            "{target}: no such printer (HTTP 404); check the queue path of the URL"
        )),
        IppError::RequestError(http)
            if (400..500).contains(&http) && http != 408 && http != 429 =>
        {
            SendError::Permanent(format!("{target} rejected the request (HTTP {http})"))
        }
        IppError::RequestError(http) => {
            SendError::Retryable(format!("{target} answered HTTP {http}"))
        }
        IppError::AsyncClientError(e) => network_error(target, &e),
        IppError::InvalidUri(e) => {
            SendError::Permanent(format!("bad IPP printer URL {target:?}: {e}"))
        }
        other => SendError::Retryable(format!("{target}: {other}")),
    }
}

fn network_error(target: &str, e: &reqwest::Error) -> SendError {
    if error_chain(e).to_ascii_lowercase().contains("certificate") {
        return SendError::Permanent(format!(
            "{target}: the printer's TLS certificate is not trusted (self-signed?): \
             use ipp:// on the local network, or give the printer a trusted certificate"
        ));
    }
    let what = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        let mut source: Option<&dyn std::error::Error> = Some(e);
        let mut reason = String::from("cannot connect");
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                reason = format!("cannot connect: {io}");
            }
            source = s.source();
        }
        reason
    } else {
        e.to_string()
    };
    SendError::Retryable(format!("{target}: {what}"))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// IPP status codes: busy, unavailable and temporary states are worth retrying.
fn status_error(target: &str, code: StatusCode) -> SendError {
    let text = format!("{target} answered {}", status_keyword(code));
    match code {
        StatusCode::ServerErrorBusy
        | StatusCode::ServerErrorServiceUnavailable
        | StatusCode::ServerErrorTemporaryError
        | StatusCode::ServerErrorNotAcceptingJobs
        | StatusCode::ServerErrorDeviceError
        | StatusCode::ServerErrorInternalError
        | StatusCode::ClientErrorTimeout => SendError::Retryable(text),
        _ => SendError::Permanent(text),
    }
}

/// The IPP keyword of a status code (`ServerErrorBusy` → `server-error-busy`).
pub fn status_keyword(code: StatusCode) -> String {
    let mut out = String::new();
    for (i, c) in format!("{code:?}").chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// One request on the printer's pooled connection (see [`super::ipp_http`]); `document` follows
/// the attributes (Print-Job). An IPP status other than success is an error.
async fn exchange(
    target: &str,
    uri: &Uri,
    timeout: Duration,
    request: IppRequestResponse,
    document: Option<&[u8]>,
) -> Result<IppRequestResponse, SendError> {
    // A document sent without its answer (no answer in time, the connection dropped after it
    // was made, an answer that cannot be read) may print: in doubt, not merely retryable.
    let printing = document.is_some();
    let lost = |message: String| {
        if printing {
            SendError::InDoubt(message)
        } else {
            SendError::Retryable(message)
        }
    };
    let call = ipp_http::post(uri, request, document, timeout);
    // The client's own timeout covers the HTTP exchange; this one also covers a stalled parse.
    let response = tokio::time::timeout(timeout + Duration::from_secs(2), call)
        .await
        .map_err(|_| lost(format!("{target}: timed out after {timeout:?}")))?
        .map_err(|e| match e {
            HttpError::Network(e) => match network_error(target, &e) {
                SendError::Retryable(message) if !e.is_connect() => lost(message),
                other => other,
            },
            HttpError::Status(code) => classify(target, IppError::RequestError(code)),
            HttpError::Parse(e) => lost(format!("{target}: not a valid IPP answer: {e}")),
        })?;
    let status = response.header().status_code();
    if !status.is_success() {
        let message = response
            .attributes()
            .groups_of(DelimiterTag::OperationAttributes)
            .find_map(|g| g.get("status-message"))
            .map(|a| a.value().to_string());
        return Err(match (status_error(target, status), message) {
            (SendError::Retryable(e), Some(m)) => SendError::Retryable(format!("{e} ({m})")),
            (SendError::Permanent(e), Some(m)) => SendError::Permanent(format!("{e} ({m})")),
            (SendError::InDoubt(e), Some(m)) => SendError::InDoubt(format!("{e} ({m})")),
            (e, None) => e,
        });
    }
    Ok(response)
}

fn op_error(target: &str, e: impl std::fmt::Display) -> SendError {
    SendError::Permanent(format!("{target}: cannot build the IPP request: {e}"))
}

/// Print-Job with `job-uuid`, `job-name`, `copies`, the tray as `media-col/media-source`.
pub async fn send(
    target: &str,
    tray: Option<&str>,
    req: &PrintRequest<'_>,
) -> Result<Accepted, SendError> {
    let uri = parse_uri(target)?;
    let err = |e: ipp::parser::IppParseError| op_error(target, e);
    let mut attributes = vec![
        IppAttribute::with_name(
            "job-uuid",
            IppValue::new_uri(job_uuid_urn(req.job_uuid)).map_err(err)?,
        )
        .map_err(err)?,
        IppAttribute::with_name(
            IppAttribute::COPIES,
            IppValue::Integer(i32::try_from(req.copies.max(1)).unwrap_or(1)),
        )
        .map_err(err)?,
    ];
    if let Some(tray) = tray.filter(|t| !t.is_empty()) {
        let source = IppValue::new_keyword(tray).map_err(err)?;
        let collection = std::collections::BTreeMap::from([(
            IppName::try_from("media-source").map_err(err)?,
            source,
        )]);
        attributes.push(
            IppAttribute::with_name("media-col", IppValue::Collection(collection)).map_err(err)?,
        );
    }
    // The document goes straight from `req` into the request body: no copy into a payload.
    let operation = IppOperationBuilder::print_job(uri.clone(), IppPayload::empty())
        .user_name(USER)
        .job_title(req.title)
        .document_format("application/pdf")
        .attributes(attributes)
        .build()
        .map_err(err)?;
    let response = exchange(
        target,
        &uri,
        SEND_TIMEOUT,
        operation.into(),
        Some(req.document),
    )
    .await?;
    let job_id = response
        .attributes()
        .groups_of(DelimiterTag::JobAttributes)
        .find_map(|g| g.get(IppAttribute::JOB_ID))
        .map(|a| a.value().to_string());
    Ok(Accepted {
        remote_ref: job_id,
        already_had: false,
    })
}

/// Get-Jobs (which-jobs=all): the printer's job with this `job-uuid`, if it has one.
///
/// A printer that does not know `all` (IPP/1.1 only) is asked for `not-completed`, then `completed`.
pub async fn find_by_uuid(target: &str, job_uuid: &str) -> Result<Lookup, SendError> {
    let wanted = job_uuid_urn(job_uuid);
    match get_jobs(target, "all", &wanted).await {
        Err(SendError::Permanent(e)) if e.contains("attributes-or-values-not-supported") => {
            match get_jobs(target, "not-completed", &wanted).await? {
                Lookup::NotFound => get_jobs(target, "completed", &wanted).await,
                found => Ok(found),
            }
        }
        other => other,
    }
}

async fn get_jobs(target: &str, which: &str, wanted: &str) -> Result<Lookup, SendError> {
    let uri = parse_uri(target)?;
    let err = |e: ipp::parser::IppParseError| op_error(target, e);
    let operation = IppOperationBuilder::get_jobs(uri.clone())
        .user_name(USER)
        .build()
        .map_err(err)?;
    let mut request: IppRequestResponse = operation.into();
    let requested = ["job-id", "job-uuid", "job-state"]
        .into_iter()
        .map(IppValue::new_keyword)
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    request.attributes_mut().add(
        DelimiterTag::OperationAttributes,
        IppAttribute::with_name("which-jobs", IppValue::new_keyword(which).map_err(err)?)
            .map_err(err)?,
    );
    request.attributes_mut().add(
        DelimiterTag::OperationAttributes,
        IppAttribute::with_name(
            IppAttribute::REQUESTED_ATTRIBUTES,
            IppValue::Array(requested),
        )
        .map_err(err)?,
    );
    let response = exchange(target, &uri, QUERY_TIMEOUT, request, None).await?;
    for group in response.attributes().groups_of(DelimiterTag::JobAttributes) {
        let uuid = group.get("job-uuid").map(|a| a.value().to_string());
        if uuid.as_deref() != Some(wanted) {
            continue;
        }
        let remote_ref = group
            .get(IppAttribute::JOB_ID)
            .map(|a| a.value().to_string())
            .unwrap_or_default();
        let state = group
            .get(IppAttribute::JOB_STATE)
            .and_then(|a| job_state(a.value()))
            .unwrap_or(RemoteState::Pending);
        return Ok(Lookup::Found { remote_ref, state });
    }
    Ok(Lookup::NotFound)
}

/// Get-Job-Attributes: the job's `job-state`.
pub async fn remote_state(
    target: &str,
    remote_ref: &str,
) -> Result<Option<RemoteState>, SendError> {
    let uri = parse_uri(target)?;
    let job_id: i32 = remote_ref.trim().parse().map_err(|_| {
        SendError::Permanent(format!(
            "IPP job reference {remote_ref:?} is not a job-id (expected a number)"
        ))
    })?;
    let operation = IppOperationBuilder::get_job_attributes(uri.clone(), job_id)
        .user_name(USER)
        .build()
        .map_err(|e| op_error(target, e))?;
    let response = exchange(target, &uri, QUERY_TIMEOUT, operation.into(), None).await?;
    Ok(response
        .attributes()
        .groups_of(DelimiterTag::JobAttributes)
        .find_map(|g| g.get(IppAttribute::JOB_STATE))
        .and_then(|a| job_state(a.value())))
}

/// IPP `job-state` (RFC 8011 5.3.7) as a `RemoteState`.
pub fn job_state(value: &IppValue) -> Option<RemoteState> {
    let n = match value {
        IppValue::Enum(n) | IppValue::Integer(n) => *n,
        _ => return None,
    };
    Some(match n {
        3 => RemoteState::Pending,
        4 => RemoteState::Held,
        5 => RemoteState::Processing,
        6 => RemoteState::Stopped,
        7 => RemoteState::Canceled,
        8 => RemoteState::Aborted,
        9 => RemoteState::Completed,
        _ => return None,
    })
}

/// Get-Printer-Attributes: state, state reasons and the trays (`media-source-supported`).
pub async fn check(target: &str) -> Result<PrinterStatus, SendError> {
    let uri = parse_uri(target)?;
    let operation = IppOperationBuilder::get_printer_attributes(uri.clone())
        .attributes([
            "printer-state",
            "printer-state-reasons",
            "printer-state-message",
            "printer-is-accepting-jobs",
            "media-source-supported",
            "printer-make-and-model",
        ])
        .build()
        .map_err(|e| op_error(target, e))?;
    let response = exchange(target, &uri, QUERY_TIMEOUT, operation.into(), None).await?;
    let group = response
        .attributes()
        .groups_of(DelimiterTag::PrinterAttributes)
        .next();
    let get = |name: &str| group.and_then(|g| g.get(name)).map(|a| a.value().clone());
    let state = match get("printer-state") {
        Some(IppValue::Enum(3)) => "idle".to_string(),
        Some(IppValue::Enum(4)) => "processing".to_string(),
        Some(IppValue::Enum(5)) => "stopped".to_string(),
        Some(other) => other.to_string(),
        None => "unknown".to_string(),
    };
    let reasons: Vec<String> = get("printer-state-reasons")
        .map(|v| values(&v))
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r != "none")
        .collect();
    let accepting = !matches!(
        get("printer-is-accepting-jobs"),
        Some(IppValue::Boolean(false))
    );
    let mut detail = get("printer-make-and-model")
        .map(|v| v.to_string())
        .unwrap_or_default();
    if let Some(message) = get("printer-state-message").map(|v| v.to_string())
        && !message.is_empty()
    {
        if !detail.is_empty() {
            detail.push_str(": ");
        }
        detail.push_str(&message);
    }
    Ok(PrinterStatus {
        ready: accepting && state != "stopped",
        state,
        reasons,
        trays: get("media-source-supported")
            .map(|v| values(&v))
            .unwrap_or_default(),
        detail,
    })
}

/// A one-or-many IPP value as strings.
fn values(v: &IppValue) -> Vec<String> {
    match v {
        IppValue::Array(items) => items.iter().map(|i| i.to_string()).collect(),
        single => vec![single.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_states_follow_rfc_8011() {
        assert_eq!(job_state(&IppValue::Enum(3)), Some(RemoteState::Pending));
        assert_eq!(job_state(&IppValue::Enum(5)), Some(RemoteState::Processing));
        assert_eq!(job_state(&IppValue::Enum(9)), Some(RemoteState::Completed));
        assert_eq!(job_state(&IppValue::Enum(8)), Some(RemoteState::Aborted));
        assert_eq!(job_state(&IppValue::Enum(7)), Some(RemoteState::Canceled));
        assert_eq!(job_state(&IppValue::Enum(42)), None);
    }

    #[test]
    fn busy_is_retryable_and_bad_documents_are_not() {
        let t = "ipp://p/ipp/print";
        assert!(matches!(
            status_error(t, StatusCode::ServerErrorBusy),
            SendError::Retryable(_)
        ));
        assert!(matches!(
            status_error(t, StatusCode::ClientErrorDocumentFormatNotSupported),
            SendError::Permanent(_)
        ));
        assert!(matches!(
            status_error(t, StatusCode::ClientErrorBadRequest),
            SendError::Permanent(_)
        ));
    }

    #[test]
    fn status_codes_read_as_ipp_keywords() {
        assert_eq!(
            status_keyword(StatusCode::ServerErrorBusy),
            "server-error-busy"
        );
        assert_eq!(
            status_keyword(StatusCode::ClientErrorDocumentFormatNotSupported),
            "client-error-document-format-not-supported"
        );
    }

    #[test]
    fn uuids_become_urns_once() {
        assert_eq!(job_uuid_urn("abc"), "urn:uuid:abc");
        assert_eq!(job_uuid_urn("urn:uuid:abc"), "urn:uuid:abc");
    }
}
