//! Composing portal e-mails and delivering them: SMTP (lettre) when `[smtp]` is configured,
//! otherwise an `.eml` file in the outbox folder whose path is reported. The `.eml` holds a live
//! activation token: the outbox is 0700 and each file 0600.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, SmtpSection};

/// A message to one contact, before delivery.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mail {
    pub from: String,
    pub to_name: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mail {
    /// The message as shown for review before sending.
    pub fn preview(&self) -> String {
        format!(
            "From: {}\nTo: {} <{}>\nSubject: {}\n\n{}",
            self.from, self.to_name, self.to, self.subject, self.body
        )
    }

    /// The RFC 5322 message.
    pub fn build(&self) -> Result<Message, MailError> {
        let from: Mailbox = self.from.parse().map_err(|e| MailError::Address {
            field: "from",
            value: self.from.clone(),
            reason: format!("{e}"),
        })?;
        let to_address = self.to.parse().map_err(|e| MailError::Address {
            field: "to",
            value: self.to.clone(),
            reason: format!("{e}"),
        })?;
        let to = Mailbox::new(Some(self.to_name.clone()), to_address);
        Message::builder()
            .from(from)
            .to(to)
            .subject(self.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(self.body.clone())
            .map_err(|e| MailError::Build(e.to_string()))
    }
}

/// How a message was delivered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "delivery", rename_all = "snake_case")]
pub enum Delivery {
    /// Handed to the SMTP server.
    Sent { server: String },
    /// SMTP is not configured: written as an `.eml` file.
    Written { path: PathBuf },
}

impl std::fmt::Display for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Delivery::Sent { server } => write!(f, "sent through {server}"),
            Delivery::Written { path } => write!(
                f,
                "SMTP is not configured: written to {} (open it in a mail program to send it)",
                path.display()
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("bad {field} address {value:?}: {reason}")]
    Address {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error(
        "SMTP server {server} refused or could not be reached: {reason} (check [smtp] in config.toml)"
    )]
    Smtp { server: String, reason: String },
    #[error("[smtp] tls = {0:?} is not one of none, starttls, tls")]
    BadTls(String),
    #[error("cannot write {path}: {source}")]
    Outbox {
        path: String,
        source: std::io::Error,
    },
}

/// Where and how messages go.
#[derive(Debug, Clone)]
pub struct Mailer {
    smtp: Option<SmtpSection>,
    from: String,
    outbox: PathBuf,
}

impl Mailer {
    /// From the config; `.eml` files go to `portal.outbox_dir`, else `outbox/` next to the database.
    pub fn from_config(config: &Config, db_path: &std::path::Path) -> Mailer {
        let outbox = config.portal.outbox_dir.clone().unwrap_or_else(|| {
            super::files::root(db_path)
                .parent()
                .map(|p| p.join("outbox"))
                .unwrap_or_else(|| PathBuf::from("outbox"))
        });
        let from = config
            .smtp
            .as_ref()
            .map(|s| s.from.clone())
            .unwrap_or_else(|| config.portal.mail_from.clone());
        Mailer {
            smtp: config.smtp.clone(),
            from,
            outbox,
        }
    }

    /// The sender address messages carry.
    pub fn from_address(&self) -> &str {
        &self.from
    }

    /// Sends the message (SMTP) or writes it to the outbox (`.eml`).
    pub async fn deliver(&self, mail: &Mail) -> Result<Delivery, MailError> {
        let message = mail.build()?;
        match &self.smtp {
            Some(smtp) => {
                let server = format!("{}:{}", smtp.host, smtp.port);
                let transport = transport(smtp)?;
                transport.send(message).await.map_err(|e| MailError::Smtp {
                    server: server.clone(),
                    reason: e.to_string(),
                })?;
                Ok(Delivery::Sent { server })
            }
            None => self.write_eml(mail, &message.formatted()),
        }
    }

    fn write_eml(&self, mail: &Mail, bytes: &[u8]) -> Result<Delivery, MailError> {
        let err = |path: &std::path::Path| {
            let path = path.display().to_string();
            move |source| MailError::Outbox { path, source }
        };
        super::private::create_dir(&self.outbox).map_err(err(&self.outbox))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let to = super::safe_name::component(&mail.to, "contact");
        let path = self.outbox.join(format!("{stamp}-{to}.eml"));
        super::private::write(&path, bytes).map_err(err(&path))?;
        Ok(Delivery::Written { path })
    }
}

fn transport(smtp: &SmtpSection) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let server = format!("{}:{}", smtp.host, smtp.port);
    let smtp_err = |e: lettre::transport::smtp::Error| MailError::Smtp {
        server: server.clone(),
        reason: e.to_string(),
    };
    let builder = match smtp.tls.as_str() {
        "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone()),
        "starttls" => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(smtp_err)?
        }
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(smtp_err)?,
        other => return Err(MailError::BadTls(other.to_string())),
    };
    let mut builder = builder
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(20)));
    if let (Some(user), Some(password)) = (&smtp.user, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}
