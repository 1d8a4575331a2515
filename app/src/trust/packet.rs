//! The vendor-packet request: what a procurement reviewer asks for, and the
//! validation that turns raw form input into a request we can store.

use crate::domain::vocab::labelled_enum;
use crate::domain::{BoundedText, EmailAddress, TextRules};
use crate::error::FieldError;
use serde::{Deserialize, Serialize};

labelled_enum!(
    /// Which part of the diligence packet is requested.
    PacketKind, "vendor_packet_kind", [
        FullPacket = "full_packet": "The full vendor packet",
        SampleBaa = "sample_baa": "Sample Business Associate Agreement",
        SecurityQuestionnaire = "security_questionnaire":
            "Completed security questionnaire (HECVAT-Lite / CAIQ)",
        PenTestSummary = "pen_test_summary": "Penetration-test summary",
        Sbom = "sbom": "Software bill of materials (SBOM) and network diagram",
    ]
);

const NAME: TextRules = TextRules::single_line("Your name", 1, 120);
const ORGANIZATION: TextRules = TextRules::single_line("Organization", 2, 160);
const MESSAGE: TextRules = TextRules::multi_line("Message", 0, 2000);

/// A request that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorPacketRequest {
    pub name: BoundedText,
    pub email: EmailAddress,
    pub organization: BoundedText,
    pub packet: PacketKind,
    pub message: Option<BoundedText>,
}

impl VendorPacketRequest {
    /// Checks every field and reports every problem at once, keyed by the
    /// form's input names.
    pub fn parse(
        name: &str,
        email: &str,
        organization: &str,
        packet: &str,
        message: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = BoundedText::parse(name, NAME)
            .map_err(|m| errors.push(FieldError::new("name", m)))
            .ok();
        let email = EmailAddress::parse(email)
            .map_err(|m| errors.push(FieldError::new("email", m)))
            .ok();
        let organization = BoundedText::parse(organization, ORGANIZATION)
            .map_err(|m| errors.push(FieldError::new("organization", m)))
            .ok();
        let packet = PacketKind::parse(packet.trim());
        if packet.is_none() {
            errors.push(FieldError::new(
                "packet",
                "Choose what you would like us to send.",
            ));
        }
        let message = BoundedText::parse_optional(message, MESSAGE)
            .map_err(|m| errors.push(FieldError::new("message", m)))
            .ok();
        match (name, email, organization, packet, message) {
            (Some(name), Some(email), Some(organization), Some(packet), Some(message))
                if errors.is_empty() =>
            {
                Ok(Self {
                    name,
                    email,
                    organization,
                    packet,
                    message,
                })
            }
            _ => Err(errors),
        }
    }
}

/// What the requester sees after a successful request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketReceipt {
    /// A short reference to quote in follow-ups, e.g. `VP-3F9A12C4`.
    pub reference: String,
    pub email: String,
    pub response_days: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_request_parses() {
        let r = VendorPacketRequest::parse(
            " Dana Ortiz ",
            "dana@mercy.example.org",
            "Mercy Regional",
            "sample_baa",
            "",
        )
        .unwrap();
        assert_eq!(r.name.as_str(), "Dana Ortiz");
        assert_eq!(r.packet, PacketKind::SampleBaa);
        assert_eq!(r.message, None);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errors = VendorPacketRequest::parse("", "not-an-email", "M", "bogus", "").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "organization", "packet"]);
    }

    #[test]
    fn packet_values_round_trip() {
        for k in PacketKind::ALL {
            assert_eq!(PacketKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(PacketKind::parse(""), None);
    }
}
