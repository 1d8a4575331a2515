//! A signed intake submission as a PDF, made on the server: real text
//! (Helvetica, one of the fonts every PDF reader has, so the text is
//! selectable and nothing is embedded), the answers by section, the drawn
//! signature as vector lines, and on every page a footer with the
//! document's SHA-256 and the verify link.
//!
//! `pdf-writer` (the PDF layer of the Typst project, maintained, with no
//! dependencies beyond number formatting) writes the objects; the layout
//! here is deliberately simple: one column, wrapped lines, new pages as
//! needed.

use super::model::SubmissionView;
use crate::pdf::Writer;

/// The PDF's bytes.
pub fn render(v: &SubmissionView, strokes: &[Vec<[i16; 2]>]) -> Vec<u8> {
    let footer = format!(
        "SHA-256 of the signed document: {}. Check it at {}",
        v.summary.sha256, v.verify_url
    );
    let mut w = Writer::new(footer);
    if !v.intact {
        w.text(
            "WARNING: this document no longer matches the hash recorded when it was signed.",
            12.0,
            true,
        );
    }
    w.text(&v.summary.form_title, 18.0, true);
    let patient = if v.summary.patient_initials.is_empty() {
        String::new()
    } else {
        format!(" · patient {}", v.summary.patient_initials)
    };
    w.text(
        &format!(
            "Version {} · signed {}{patient}",
            v.summary.version,
            crate::ui::format_datetime(v.summary.submitted_at),
        ),
        10.0,
        false,
    );
    w.gap(8.0);
    for section in &v.sections {
        w.gap(6.0);
        w.text(&section.title, 13.0, true);
        for a in &section.answers {
            w.text(&a.label, 10.0, true);
            w.text(&a.value, 10.0, false);
            w.gap(2.0);
        }
    }
    w.gap(10.0);
    w.text("Signature", 13.0, true);
    w.text(&v.consent_text, 9.0, false);
    w.text(&format!("Signed by: {}", v.signature_name), 11.0, false);
    if !strokes.is_empty() {
        w.strokes(strokes);
    }
    w.gap(8.0);
    w.text(
        &format!("Document SHA-256: {}", v.summary.sha256),
        8.0,
        false,
    );
    w.text(
        &format!("Form version SHA-256: {}", v.form_sha256),
        8.0,
        false,
    );
    w.text(
        &format!("Consent text SHA-256: {}", v.consent_sha256),
        8.0,
        false,
    );
    if let Some(ip) = &v.ip {
        w.text(&format!("Signed from: {ip}"), 8.0, false);
    }

    w.finish()
}
