//! A development SMTP sink: a real SMTP server on a local port that accepts
//! every message and keeps the last few hundred in memory, where the
//! `/dev/mail` page (and the tests) read them.
//!
//! Why our own: it is a development tool of ~150 lines; `mailin-embedded`
//! (the maintained embeddable server) brings rustls with its default
//! aws-lc C build and a blocking thread pool with no shutdown, which costs
//! more build time here than this module does to keep.
//!
//! It speaks enough SMTP for a well-behaved client (lettre): EHLO/HELO,
//! MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT. No TLS, no
//! AUTH, loopback only; never used in production (configuration refuses).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Messages kept; older ones are dropped.
const CAPACITY: usize = 500;
/// Largest message accepted (bytes).
const MAX_MESSAGE: usize = 2 * 1024 * 1024;

/// One message as received.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub received_at: OffsetDateTime,
    pub envelope_from: String,
    pub envelope_to: Vec<String>,
    /// The message as sent (headers and MIME body).
    pub raw: String,
}

/// The sink's store, shared with the mailbox page and tests.
#[derive(Clone, Default)]
pub struct Mailbox {
    messages: Arc<Mutex<VecDeque<ReceivedMail>>>,
}

impl Mailbox {
    /// Every message, oldest first.
    pub fn all(&self) -> Vec<ReceivedMail> {
        self.lock().iter().cloned().collect()
    }

    fn push(&self, mail: ReceivedMail) {
        let mut messages = self.lock();
        if messages.len() == CAPACITY {
            messages.pop_front();
        }
        messages.push_back(mail);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<ReceivedMail>> {
        // A panic while holding the lock cannot leave the queue invalid.
        self.messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Starts the sink on `listener`; it runs until the process ends.
pub fn spawn(listener: TcpListener, mailbox: Mailbox) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let mailbox = mailbox.clone();
                    tokio::spawn(async move {
                        if let Err(error) = session(stream, peer, mailbox).await {
                            tracing::debug!(%error, "SMTP sink session ended with an error");
                        }
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "SMTP sink could not accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    })
}

/// Binds `addr` and starts the sink, or says why not.
pub async fn start(addr: SocketAddr, mailbox: Mailbox) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    spawn(listener, mailbox);
    Ok(bound)
}

async fn session(stream: TcpStream, _peer: SocketAddr, mailbox: Mailbox) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 carethread-dev-sink ESMTP ready\r\n")
        .await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-carethread-dev-sink\r\n250-8BITMIME\r\n250 SIZE 2097152\r\n",
            "HELO" => b"250 carethread-dev-sink\r\n",
            "MAIL" => {
                from = address_of(&command);
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                to.push(address_of(&command));
                b"250 OK\r\n"
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let raw = read_data(&mut lines).await?;
                match raw {
                    Some(raw) => {
                        mailbox.push(ReceivedMail {
                            received_at: OffsetDateTime::now_utc(),
                            envelope_from: std::mem::take(&mut from),
                            envelope_to: std::mem::take(&mut to),
                            raw,
                        });
                        b"250 OK: queued\r\n"
                    }
                    None => b"552 Message too large\r\n",
                }
            }
            "RSET" => {
                from.clear();
                to.clear();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 Command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// Reads a DATA section up to the lone dot, undoing dot-stuffing. `None`
/// when it is larger than [`MAX_MESSAGE`] (the rest is read and dropped).
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut R,
) -> std::io::Result<Option<String>> {
    let mut raw = String::new();
    let mut line = String::new();
    let mut too_big = false;
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let content = line.trim_end_matches(['\r', '\n']);
        if content == "." {
            return Ok((!too_big).then_some(raw));
        }
        let content = content.strip_prefix('.').unwrap_or(content);
        if raw.len() + content.len() > MAX_MESSAGE {
            too_big = true;
            continue;
        }
        raw.push_str(content);
        raw.push_str("\r\n");
    }
}

/// `MAIL FROM:<a@b>` → `a@b`.
fn address_of(command: &str) -> String {
    command
        .split_once(':')
        .map(|(_, rest)| rest.trim())
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("")
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_addresses_are_read_from_commands() {
        assert_eq!(
            address_of("MAIL FROM:<a@b.example> SIZE=100"),
            "a@b.example"
        );
        assert_eq!(address_of("RCPT TO: <c@d.example>"), "c@d.example");
        assert_eq!(address_of("MAIL FROM:<>"), "");
    }

    #[tokio::test]
    async fn data_is_unstuffed_and_ends_at_the_lone_dot() {
        let input = b"Subject: x\r\n\r\n..leading dot\r\nline\r\n.\r\nAFTER\r\n";
        let mut reader = BufReader::new(&input[..]);
        let raw = read_data(&mut reader).await.unwrap().unwrap();
        assert_eq!(raw, "Subject: x\r\n\r\n.leading dot\r\nline\r\n");
    }
}
