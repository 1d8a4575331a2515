//! What the audit log records and how it is shown.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Every kind of event. The stored name (`as_str`) is stable: exports and
/// verification depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    AccountLocked,
    SignOut,
    SessionRevoked,
    PasswordResetRequested,
    PasswordReset,
    PasswordChanged,
    AccountRegistered,
    RegistrationRepeated,
    AccountCreated,
    InvitationSent,
    InvitationAccepted,
    InvitationRevoked,
    RoleChanged,
    MemberRemoved,
    OrganizationCreated,
    OrganizationSwitched,
    ReferralCreated,
    ReferralViewed,
    ReferralsSearched,
    ReferralAccepted,
    ReferralDeclined,
    ReferralCancelled,
    ReferralStatusChanged,
    ReferralAssigned,
    ClinicianProfileSaved,
    ClinicianVerificationChanged,
    ClinicianLicenseVerificationChanged,
    ApiKeyCreated,
    ApiKeyRevoked,
    WebhookRegistered,
    WebhookDisabled,
    BreakGlassOpened,
    JobRetried,
    PatientCreated,
    PatientLinked,
    PatientViewed,
    CareRecipientAdded,
    CareRecipientViewed,
    ClinicianAvailabilityChanged,
    BookingHeld,
    BookingConfirmed,
    BookingCancelled,
    BookingViewed,
    PaymentConfirmed,
    PaymentDisputed,
    PaymentResolved,
    IntakeFormCreated,
    IntakeFormEdited,
    IntakeFormPublished,
    IntakeLinkSent,
    IntakeLinkRevoked,
    IntakeLinkReminded,
    IntakeSubmissionReceived,
    IntakeSignatureCaptured,
    IntakeSubmissionViewed,
    IntakeSubmissionReviewed,
    IntakeSubmissionExported,
    IntakeCopyDownloaded,
    PacketReleased,
    VisitScheduled,
    VisitAccepted,
    VisitDeclined,
    VisitCancelled,
    VisitMissed,
    VisitCheckedIn,
    VisitCheckedOut,
    VisitLogSigned,
    VisitLogAddendum,
    VisitLogCountersigned,
    VisitsViewed,
    AttachmentAdded,
    AttachmentViewed,
    TrustEdited,
    AuditExported,
    ExportRequested,
    ExportCompleted,
    ExportDownloaded,
    ClinicSettingsChanged,
    LoginLogViewed,
    RetentionChanged,
    LegalHoldPlaced,
    LegalHoldReleased,
    ErasureRequested,
    DataErased,
    ErasureBlocked,
    DataPurged,
    CertificateDownloaded,
}

impl AuditAction {
    pub const ALL: [AuditAction; 89] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::AccountLocked,
        AuditAction::SignOut,
        AuditAction::SessionRevoked,
        AuditAction::PasswordResetRequested,
        AuditAction::PasswordReset,
        AuditAction::PasswordChanged,
        AuditAction::AccountRegistered,
        AuditAction::RegistrationRepeated,
        AuditAction::AccountCreated,
        AuditAction::InvitationSent,
        AuditAction::InvitationAccepted,
        AuditAction::InvitationRevoked,
        AuditAction::RoleChanged,
        AuditAction::MemberRemoved,
        AuditAction::OrganizationCreated,
        AuditAction::OrganizationSwitched,
        AuditAction::ReferralCreated,
        AuditAction::ReferralViewed,
        AuditAction::ReferralsSearched,
        AuditAction::ReferralAccepted,
        AuditAction::ReferralDeclined,
        AuditAction::ReferralCancelled,
        AuditAction::ReferralStatusChanged,
        AuditAction::ReferralAssigned,
        AuditAction::ClinicianProfileSaved,
        AuditAction::ClinicianVerificationChanged,
        AuditAction::ClinicianLicenseVerificationChanged,
        AuditAction::ApiKeyCreated,
        AuditAction::ApiKeyRevoked,
        AuditAction::WebhookRegistered,
        AuditAction::WebhookDisabled,
        AuditAction::BreakGlassOpened,
        AuditAction::JobRetried,
        AuditAction::PatientCreated,
        AuditAction::PatientLinked,
        AuditAction::PatientViewed,
        AuditAction::CareRecipientAdded,
        AuditAction::CareRecipientViewed,
        AuditAction::ClinicianAvailabilityChanged,
        AuditAction::BookingHeld,
        AuditAction::BookingConfirmed,
        AuditAction::BookingCancelled,
        AuditAction::BookingViewed,
        AuditAction::PaymentConfirmed,
        AuditAction::PaymentDisputed,
        AuditAction::PaymentResolved,
        AuditAction::IntakeFormCreated,
        AuditAction::IntakeFormEdited,
        AuditAction::IntakeFormPublished,
        AuditAction::IntakeLinkSent,
        AuditAction::IntakeLinkRevoked,
        AuditAction::IntakeLinkReminded,
        AuditAction::IntakeSubmissionReceived,
        AuditAction::IntakeSignatureCaptured,
        AuditAction::IntakeSubmissionViewed,
        AuditAction::IntakeSubmissionReviewed,
        AuditAction::IntakeSubmissionExported,
        AuditAction::IntakeCopyDownloaded,
        AuditAction::PacketReleased,
        AuditAction::VisitScheduled,
        AuditAction::VisitAccepted,
        AuditAction::VisitDeclined,
        AuditAction::VisitCancelled,
        AuditAction::VisitMissed,
        AuditAction::VisitCheckedIn,
        AuditAction::VisitCheckedOut,
        AuditAction::VisitLogSigned,
        AuditAction::VisitLogAddendum,
        AuditAction::VisitLogCountersigned,
        AuditAction::VisitsViewed,
        AuditAction::AttachmentAdded,
        AuditAction::AttachmentViewed,
        AuditAction::TrustEdited,
        AuditAction::AuditExported,
        AuditAction::ExportRequested,
        AuditAction::ExportCompleted,
        AuditAction::ExportDownloaded,
        AuditAction::ClinicSettingsChanged,
        AuditAction::LoginLogViewed,
        AuditAction::RetentionChanged,
        AuditAction::LegalHoldPlaced,
        AuditAction::LegalHoldReleased,
        AuditAction::ErasureRequested,
        AuditAction::DataErased,
        AuditAction::ErasureBlocked,
        AuditAction::DataPurged,
        AuditAction::CertificateDownloaded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "auth.sign_in",
            AuditAction::SignInFailed => "auth.sign_in_failed",
            AuditAction::AccountLocked => "auth.account_locked",
            AuditAction::SignOut => "auth.sign_out",
            AuditAction::SessionRevoked => "auth.session_revoked",
            AuditAction::PasswordResetRequested => "auth.password_reset_requested",
            AuditAction::PasswordReset => "auth.password_reset",
            AuditAction::PasswordChanged => "auth.password_changed",
            AuditAction::AccountRegistered => "account.registered",
            AuditAction::RegistrationRepeated => "account.registration_repeated",
            AuditAction::AccountCreated => "account.created",
            AuditAction::InvitationSent => "invitation.sent",
            AuditAction::InvitationAccepted => "invitation.accepted",
            AuditAction::InvitationRevoked => "invitation.revoked",
            AuditAction::RoleChanged => "member.role_changed",
            AuditAction::MemberRemoved => "member.removed",
            AuditAction::OrganizationCreated => "organization.created",
            AuditAction::OrganizationSwitched => "organization.switched",
            AuditAction::ReferralCreated => "referral.created",
            AuditAction::ReferralViewed => "referral.viewed",
            AuditAction::ReferralsSearched => "referral.searched",
            AuditAction::ReferralAccepted => "referral.accepted",
            AuditAction::ReferralDeclined => "referral.declined",
            AuditAction::ReferralCancelled => "referral.cancelled",
            AuditAction::ReferralStatusChanged => "referral.status_changed",
            AuditAction::ReferralAssigned => "referral.assigned",
            AuditAction::ClinicianProfileSaved => "clinician.profile_saved",
            AuditAction::ClinicianVerificationChanged => "clinician.verification_changed",
            AuditAction::ClinicianLicenseVerificationChanged => {
                "clinician.license_verification_changed"
            }
            AuditAction::ApiKeyCreated => "api_key.created",
            AuditAction::ApiKeyRevoked => "api_key.revoked",
            AuditAction::WebhookRegistered => "webhook.registered",
            AuditAction::WebhookDisabled => "webhook.disabled",
            AuditAction::BreakGlassOpened => "break_glass.opened",
            AuditAction::JobRetried => "job.retried",
            AuditAction::PatientCreated => "patient.created",
            AuditAction::PatientLinked => "patient.linked",
            AuditAction::PatientViewed => "patient.viewed",
            AuditAction::CareRecipientAdded => "care_recipient.added",
            AuditAction::CareRecipientViewed => "care_recipient.viewed",
            AuditAction::ClinicianAvailabilityChanged => "clinician.availability_changed",
            AuditAction::BookingHeld => "booking.held",
            AuditAction::BookingConfirmed => "booking.confirmed",
            AuditAction::BookingCancelled => "booking.cancelled",
            AuditAction::BookingViewed => "booking.viewed",
            AuditAction::PaymentConfirmed => "payment.confirmed",
            AuditAction::PaymentDisputed => "payment.disputed",
            AuditAction::PaymentResolved => "payment.resolved",
            AuditAction::IntakeFormCreated => "intake_form.created",
            AuditAction::IntakeFormEdited => "intake_form.edited",
            AuditAction::IntakeFormPublished => "intake_form.published",
            AuditAction::IntakeLinkSent => "intake.link_sent",
            AuditAction::IntakeLinkRevoked => "intake.link_revoked",
            AuditAction::IntakeLinkReminded => "intake.link_reminded",
            AuditAction::IntakeSubmissionReceived => "intake.submission_received",
            AuditAction::IntakeSignatureCaptured => "intake.signature_captured",
            AuditAction::IntakeSubmissionViewed => "intake.submission_viewed",
            AuditAction::IntakeSubmissionReviewed => "intake.submission_reviewed",
            AuditAction::IntakeSubmissionExported => "intake.submission_exported",
            AuditAction::IntakeCopyDownloaded => "intake.copy_downloaded",
            AuditAction::PacketReleased => "patient.packet_released",
            AuditAction::VisitScheduled => "visit.scheduled",
            AuditAction::VisitAccepted => "visit.accepted",
            AuditAction::VisitDeclined => "visit.declined",
            AuditAction::VisitCancelled => "visit.cancelled",
            AuditAction::VisitMissed => "visit.missed",
            AuditAction::VisitCheckedIn => "visit.checked_in",
            AuditAction::VisitCheckedOut => "visit.checked_out",
            AuditAction::VisitLogSigned => "visit.log_signed",
            AuditAction::VisitLogAddendum => "visit.log_addendum",
            AuditAction::VisitLogCountersigned => "visit.log_countersigned",
            AuditAction::VisitsViewed => "visit.viewed",
            AuditAction::AttachmentAdded => "referral.attachment_added",
            AuditAction::AttachmentViewed => "patient.attachment_viewed",
            AuditAction::TrustEdited => "trust.edited",
            AuditAction::AuditExported => "audit.exported",
            AuditAction::ExportRequested => "export.requested",
            AuditAction::ExportCompleted => "export.completed",
            AuditAction::ExportDownloaded => "export.downloaded",
            AuditAction::ClinicSettingsChanged => "clinic.settings_changed",
            AuditAction::LoginLogViewed => "security.login_log_viewed",
            AuditAction::RetentionChanged => "retention.changed",
            AuditAction::LegalHoldPlaced => "legal_hold.placed",
            AuditAction::LegalHoldReleased => "legal_hold.released",
            AuditAction::ErasureRequested => "data.erasure_requested",
            AuditAction::DataErased => "data.erased",
            AuditAction::ErasureBlocked => "data.erasure_blocked",
            AuditAction::DataPurged => "data.purged",
            AuditAction::CertificateDownloaded => "data.certificate_downloaded",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == value)
    }

    /// How the admin page names the event.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::SignIn => "Signed in",
            AuditAction::SignInFailed => "Failed sign-in",
            AuditAction::AccountLocked => "Account locked after failed sign-ins",
            AuditAction::SignOut => "Signed out",
            AuditAction::SessionRevoked => "Session revoked",
            AuditAction::PasswordResetRequested => "Password reset requested",
            AuditAction::PasswordReset => "Password reset",
            AuditAction::PasswordChanged => "Password changed",
            AuditAction::AccountRegistered => "Account registered",
            AuditAction::RegistrationRepeated => "Registration with an existing address",
            AuditAction::AccountCreated => "Account created by the operator",
            AuditAction::InvitationSent => "Invitation sent",
            AuditAction::InvitationAccepted => "Invitation accepted",
            AuditAction::InvitationRevoked => "Invitation revoked",
            AuditAction::RoleChanged => "Role changed",
            AuditAction::MemberRemoved => "Member removed",
            AuditAction::OrganizationCreated => "Organization created",
            AuditAction::OrganizationSwitched => "Switched organization",
            AuditAction::ReferralCreated => "Referral sent",
            AuditAction::ReferralViewed => "Referral viewed",
            AuditAction::ReferralsSearched => "Referrals listed",
            AuditAction::ReferralAccepted => "Referral accepted",
            AuditAction::ReferralDeclined => "Referral declined",
            AuditAction::ReferralCancelled => "Referral cancelled",
            AuditAction::ReferralStatusChanged => "Referral status changed",
            AuditAction::ReferralAssigned => "Clinician assigned to a referral",
            AuditAction::ClinicianProfileSaved => "Clinician profile saved",
            AuditAction::ClinicianVerificationChanged => "Clinician verification changed",
            AuditAction::ClinicianLicenseVerificationChanged => {
                "Clinician license verification changed"
            }
            AuditAction::ApiKeyCreated => "API key created",
            AuditAction::ApiKeyRevoked => "API key revoked",
            AuditAction::WebhookRegistered => "Webhook endpoint registered",
            AuditAction::WebhookDisabled => "Webhook endpoint disabled",
            AuditAction::BreakGlassOpened => {
                "Break-glass access opened by a platform administrator"
            }
            AuditAction::JobRetried => "Failed background job retried",
            AuditAction::PatientCreated => "Patient record created",
            AuditAction::PatientLinked => "Referral linked to an existing patient",
            AuditAction::PatientViewed => "Patient record viewed",
            AuditAction::CareRecipientAdded => "Care recipient added",
            AuditAction::CareRecipientViewed => "Care recipient viewed",
            AuditAction::ClinicianAvailabilityChanged => "Clinician availability changed",
            AuditAction::BookingHeld => "Slot held for a booking",
            AuditAction::BookingConfirmed => "Booking confirmed and payment held",
            AuditAction::BookingCancelled => "Booking cancelled",
            AuditAction::BookingViewed => "Booked visit viewed",
            AuditAction::PaymentConfirmed => "Visit confirmed by the family",
            AuditAction::PaymentDisputed => "Payment disputed",
            AuditAction::PaymentResolved => "Payment dispute resolved",
            AuditAction::IntakeFormCreated => "Intake form created",
            AuditAction::IntakeFormEdited => "Intake form draft saved",
            AuditAction::IntakeFormPublished => "Intake form version published",
            AuditAction::IntakeLinkSent => "Intake form sent",
            AuditAction::IntakeLinkRevoked => "Intake link revoked",
            AuditAction::IntakeLinkReminded => "Intake reminder sent",
            AuditAction::IntakeSubmissionReceived => "Signed intake form received",
            AuditAction::IntakeSignatureCaptured => "Intake e-signature captured",
            AuditAction::IntakeSubmissionViewed => "Intake submission viewed",
            AuditAction::IntakeSubmissionReviewed => "Intake submission marked reviewed",
            AuditAction::IntakeSubmissionExported => "Intake submission downloaded as PDF",
            AuditAction::IntakeCopyDownloaded => "Signer downloaded their copy",
            AuditAction::PacketReleased => "Patient packet released to the accepting clinic",
            AuditAction::VisitScheduled => "Visit scheduled",
            AuditAction::VisitAccepted => "Visit accepted by the clinician",
            AuditAction::VisitDeclined => "Visit declined by the clinician",
            AuditAction::VisitCancelled => "Visit cancelled",
            AuditAction::VisitMissed => "Visit marked missed",
            AuditAction::VisitCheckedIn => "Checked in to a visit",
            AuditAction::VisitCheckedOut => "Checked out of a visit",
            AuditAction::VisitLogSigned => "Visit log signed",
            AuditAction::VisitLogAddendum => "Addendum added to a signed visit log",
            AuditAction::VisitLogCountersigned => "Visit log countersigned",
            AuditAction::VisitsViewed => "Visits viewed",
            AuditAction::AttachmentAdded => "Document attached to a referral",
            AuditAction::AttachmentViewed => "Referral document opened",
            AuditAction::TrustEdited => "Trust portal edited",
            AuditAction::AuditExported => "Audit log exported",
            AuditAction::ExportRequested => "Data export requested",
            AuditAction::ExportCompleted => "Data export written",
            AuditAction::ExportDownloaded => "Data export downloaded",
            AuditAction::ClinicSettingsChanged => "Clinic settings changed",
            AuditAction::LoginLogViewed => "Staff sign-in log viewed",
            AuditAction::RetentionChanged => "Retention setting changed",
            AuditAction::LegalHoldPlaced => "Legal hold placed on a patient",
            AuditAction::LegalHoldReleased => "Legal hold released",
            AuditAction::ErasureRequested => "Deletion requested",
            AuditAction::DataErased => "Data erased; certificate of destruction issued",
            AuditAction::ErasureBlocked => "Deletion blocked by a legal hold",
            AuditAction::DataPurged => "Expired data purged (retention)",
            AuditAction::CertificateDownloaded => "Certificate of destruction downloaded",
        }
    }
}

/// One event as the admin page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub actor: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub details: String,
}

impl AuditEventView {
    /// The human label, or the stored name for actions this build does not
    /// know (events written by a newer version).
    pub fn action_label(&self) -> &str {
        match AuditAction::parse(&self.action) {
            Some(action) => action.label(),
            None => &self.action,
        }
    }
}

/// The result of walking a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStatus {
    /// Events verified before the first problem (all of them when intact).
    pub events: i64,
    pub first_broken_seq: Option<i64>,
    pub problem: Option<String>,
}

impl ChainStatus {
    pub fn intact(&self) -> bool {
        self.first_broken_seq.is_none()
    }
}

/// A break-glass grant on the organization, as its administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakGlassGrantView {
    pub id: crate::identity::GrantId,
    pub organization: String,
    /// The platform administrator who opened it.
    pub admin_name: String,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Live now: neither ended nor expired (by the database's clock).
    pub active: bool,
}

/// One page of the log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub organization: String,
    /// Break-glass grants on the organization: the live ones and those of
    /// the last 30 days, newest first.
    pub break_glass: Vec<BreakGlassGrantView>,
    pub events: Vec<AuditEventView>,
    /// Pass as `before` for the next (older) page.
    pub next_before: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_unique_and_match_the_database_check() {
        let mut names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
        for name in names {
            // The CHECK on audit_events.action: dotted lower-case words.
            assert!(name.len() <= 64);
            assert!(name
                .split('.')
                .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
            assert_eq!(
                AuditAction::parse(name).map(AuditAction::as_str),
                Some(name)
            );
        }
    }
}
