//! The trust portal's change feed as Atom (RFC 4287), for customers who
//! want to hear of a new subprocessor before it receives data. Rendered
//! here, from the same rows as the page's "Recent changes", so the two
//! cannot disagree; `server/src/routes.rs` serves it at `/trust/feed.atom`.
//! Hand-written rather than a feed crate: the document is a dozen fixed
//! elements, and every text node goes through [`escape`].

use super::model::{format_date, TrustChange};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// XML text and attribute escaping.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\n' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The feed document. `public_url` is the instance's address (no trailing
/// slash needed); `updated` is used when there are no entries yet.
pub fn atom(changes: &[TrustChange], public_url: &str, updated: OffsetDateTime) -> String {
    let base = public_url.trim_end_matches('/');
    let updated = changes.first().map(|c| c.occurred_at).unwrap_or(updated);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    xml.push_str("  <title>Carethread trust portal: changes</title>\n");
    xml.push_str(&format!("  <id>{}/trust/feed.atom</id>\n", escape(base)));
    xml.push_str(&format!(
        "  <link rel=\"self\" href=\"{}/trust/feed.atom\"/>\n",
        escape(base)
    ));
    xml.push_str(&format!(
        "  <link rel=\"alternate\" href=\"{}/trust\"/>\n",
        escape(base)
    ));
    xml.push_str(&format!("  <updated>{}</updated>\n", rfc3339(updated)));
    xml.push_str("  <author><name>Carethread</name></author>\n");
    for c in changes {
        let title = format!("{} {}: {}", c.item_kind, c.change, c.title);
        let effective = c
            .effective_on
            .map(|d| format!(" Effective {}.", format_date(d)))
            .unwrap_or_default();
        xml.push_str("  <entry>\n");
        xml.push_str(&format!(
            "    <id>{}/trust/changes/{}</id>\n",
            escape(base),
            c.id
        ));
        xml.push_str(&format!("    <title>{}</title>\n", escape(&title)));
        xml.push_str(&format!(
            "    <updated>{}</updated>\n",
            rfc3339(c.occurred_at)
        ));
        xml.push_str(&format!(
            "    <link rel=\"alternate\" href=\"{}/trust\"/>\n",
            escape(base)
        ));
        xml.push_str(&format!(
            "    <category term=\"{}\"/>\n",
            escape(&c.item_kind)
        ));
        xml.push_str(&format!(
            "    <summary>{}{}</summary>\n",
            escape(&c.summary),
            escape(&effective)
        ));
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn entries_are_escaped_and_carry_their_effective_day() {
        let change = TrustChange {
            id: 7,
            occurred_at: datetime!(2026-11-30 12:00 UTC),
            item_kind: "subprocessor".into(),
            change: "added".into(),
            title: "Acme <SMS> & Co".into(),
            summary: "New subprocessor Acme <SMS> & Co.".into(),
            effective_on: Some(date!(2027 - 01 - 15)),
        };
        let xml = atom(
            &[change],
            "https://care.example/",
            datetime!(2026-01-01 0:00 UTC),
        );
        assert!(
            xml.contains("<updated>2026-11-30T12:00:00Z</updated>"),
            "{xml}"
        );
        assert!(xml.contains("<title>subprocessor added: Acme &lt;SMS&gt; &amp; Co</title>"));
        assert!(xml.contains("Effective January 15, 2027."));
        assert!(xml.contains("<id>https://care.example/trust/changes/7</id>"));
        assert!(!xml.contains("<SMS>"));
    }

    #[test]
    fn an_empty_feed_is_still_a_valid_document() {
        let xml = atom(&[], "https://care.example", datetime!(2026-01-01 0:00 UTC));
        assert!(xml.contains("<updated>2026-01-01T00:00:00Z</updated>"));
        assert_eq!(xml.matches("<entry>").count(), 0);
        assert!(xml.trim_end().ends_with("</feed>"));
    }
}
