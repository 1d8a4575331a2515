//! `/dev/mail` and `/dev/mail.json`: what the development SMTP sink has
//! received, newest first, so a developer (and the end-to-end tests) can
//! follow reset links and invitations. Mounted only when the sink runs,
//! which is never in production.

use super::sink::{Mailbox, ReceivedMail};
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

/// A received message, decoded.
#[derive(Debug, Clone, Serialize)]
pub struct MailView {
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: time::OffsetDateTime,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl MailView {
    pub fn decode(mail: &ReceivedMail) -> Self {
        let parsed = mail_parser::MessageParser::default().parse(mail.raw.as_bytes());
        let (subject, text, html) = match &parsed {
            Some(m) => (
                m.subject().unwrap_or_default().to_owned(),
                m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
            ),
            None => (String::new(), mail.raw.clone(), String::new()),
        };
        Self {
            received_at: mail.received_at,
            to: mail.envelope_to.clone(),
            subject,
            text,
            html,
        }
    }
}

pub fn router(mailbox: Mailbox) -> Router {
    Router::new()
        .route("/dev/mail", get(page))
        .route("/dev/mail.json", get(json))
        .with_state(mailbox)
}

fn newest_first(mailbox: &Mailbox) -> Vec<MailView> {
    mailbox.all().iter().rev().map(MailView::decode).collect()
}

async fn json(State(mailbox): State<Mailbox>) -> impl IntoResponse {
    Json(newest_first(&mailbox))
}

async fn page(State(mailbox): State<Mailbox>) -> Html<String> {
    let messages = newest_first(&mailbox);
    let mut body = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Development mailbox · Carethread</title>\
         <link rel=\"stylesheet\" href=\"/pkg/carethread.css\"></head><body>\
         <main class=\"site-main\"><div class=\"page\"><h1>Development mailbox</h1>\
         <p class=\"lede\">Mail the server sent to its local SMTP sink, newest first. \
         Only development instances have this page.</p>",
    );
    if messages.is_empty() {
        body.push_str("<p class=\"empty\">No mail yet.</p>");
    }
    for m in &messages {
        body.push_str(&format!(
            "<article class=\"panel mail\"><h2>{}</h2><p class=\"muted\">To {} · {}</p><pre class=\"mail__body\">{}</pre></article>",
            escape(&m.subject),
            escape(&m.to.join(", ")),
            escape(&app::ui::format_datetime(m.received_at)),
            linkify(&m.text),
        ));
    }
    body.push_str("</div></main></body></html>");
    Html(body)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Escapes `text` and makes its http(s) addresses clickable.
fn linkify(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let trimmed = word.trim_end();
            if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
                let rest = &word[trimmed.len()..];
                format!("<a href=\"{0}\">{0}</a>{1}", escape(trimmed), escape(rest))
            } else {
                escape(word)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_anchors_and_everything_is_escaped() {
        let html = linkify("Go to https://x.example/a?b=1&c=2 now <b>");
        assert!(html.contains("<a href=\"https://x.example/a?b=1&amp;c=2\">"));
        assert!(html.contains("&lt;b&gt;"));
    }
}
