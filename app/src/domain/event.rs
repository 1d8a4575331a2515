//! Domain event names: what `domain_events` records, what webhook
//! endpoints subscribe to and what their messages carry (the PostgreSQL
//! enum `event_type`).

use super::vocab::labelled_enum;

labelled_enum!(
    /// A domain event's name (`area.what_happened`), or `ping`, the test
    /// message a webhook endpoint can be sent (never a domain event).
    EventType, "event_type", [
        ReferralCreated = "referral.created": "A referral was sent",
        ReferralMatched = "referral.matched": "A referral was matched to clinicians",
        ReferralAccepted = "referral.accepted": "A clinic accepted a referral",
        ReferralDeclined = "referral.declined": "A clinic declined a referral",
        ReferralScheduled = "referral.scheduled": "A first visit was scheduled",
        ReferralFirstVisitDone = "referral.first_visit_done": "A first visit took place",
        ReferralClosed = "referral.closed": "A referral was closed",
        ReferralCancelled = "referral.cancelled": "A referral was cancelled",
        ReferralAssigned = "referral.assigned": "A clinician was assigned",
        VisitScheduled = "visit.scheduled": "A visit was scheduled",
        VisitCompleted = "visit.completed": "A visit log was signed",
        Ping = "ping": "A test message",
    ]
);

impl EventType {
    /// The events a webhook endpoint may subscribe to.
    pub const SUBSCRIBABLE: [EventType; 7] = [
        EventType::ReferralCreated,
        EventType::ReferralMatched,
        EventType::ReferralAccepted,
        EventType::ReferralDeclined,
        EventType::VisitScheduled,
        EventType::VisitCompleted,
        EventType::Ping,
    ];

    /// The area before the dot (`referral`), or the whole name.
    pub fn area(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serialize_as_stored() {
        for e in EventType::ALL {
            assert_eq!(EventType::parse(e.as_str()), Some(*e));
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
        assert_eq!(EventType::ReferralFirstVisitDone.area(), "referral");
    }
}
