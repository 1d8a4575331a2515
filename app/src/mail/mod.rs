//! Outgoing mail: each message is an askama template pair (plain text and
//! HTML) rendered here and filed in the `mail_outbox` table in the caller's
//! transaction (see `migrations/*_mail_outbox.sql`). The server's worker
//! sends it over SMTP and retries while the SMTP server is down.
//!
//! Policy: no PHI in any message — names of organizations and people who
//! act in the product, links and times only. Links carry single-use tokens
//! and lead to pages that ask for nothing else by mail.

use askama::Template;
use sqlx::PgConnection;

/// A rendered message, ready to file.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The template's name, kept as the delivery record.
    pub template: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Files `mail` for delivery. It is sent only if the surrounding
/// transaction commits.
pub async fn enqueue(conn: &mut PgConnection, mail: &Mail) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO mail_outbox (template, recipient, subject, body_text, body_html)
         VALUES ($1, $2, $3, $4, $5)",
        mail.template,
        mail.to,
        mail.subject,
        mail.text,
        mail.html
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct PasswordResetText<'a> {
    link: &'a str,
    minutes: u64,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct PasswordResetHtml<'a> {
    link: &'a str,
    minutes: u64,
}

#[derive(Template)]
#[template(path = "mail/password_changed.txt")]
struct PasswordChangedText<'a> {
    reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_changed.html")]
struct PasswordChangedHtml<'a> {
    reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/account_locked.txt")]
struct AccountLockedText<'a> {
    minutes: u64,
    reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/account_locked.html")]
struct AccountLockedHtml<'a> {
    minutes: u64,
    reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    organization: &'a str,
    inviter: &'a str,
    role: &'a str,
    link: &'a str,
    days: u64,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    organization: &'a str,
    inviter: &'a str,
    role: &'a str,
    link: &'a str,
    days: u64,
}

#[derive(Template)]
#[template(path = "mail/referral_new.txt")]
struct ReferralNewText<'a> {
    clinic: &'a str,
    initials: &'a str,
    reference: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/referral_new.html")]
struct ReferralNewHtml<'a> {
    clinic: &'a str,
    initials: &'a str,
    reference: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/referral_status.txt")]
struct ReferralStatusText<'a> {
    reference: &'a str,
    initials: &'a str,
    status: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/referral_status.html")]
struct ReferralStatusHtml<'a> {
    reference: &'a str,
    initials: &'a str,
    status: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/sandbox_key.txt")]
struct SandboxKeyText<'a> {
    key: &'a str,
    base: &'a str,
}

#[derive(Template)]
#[template(path = "mail/sandbox_key.html")]
struct SandboxKeyHtml<'a> {
    key: &'a str,
    base: &'a str,
}

#[derive(Template)]
#[template(path = "mail/welcome.txt")]
struct WelcomeText<'a> {
    login_link: &'a str,
    reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/welcome.html")]
struct WelcomeHtml<'a> {
    login_link: &'a str,
    reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/registration_repeated.txt")]
struct RegistrationRepeatedText<'a> {
    login_link: &'a str,
    reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/registration_repeated.html")]
struct RegistrationRepeatedHtml<'a> {
    login_link: &'a str,
    reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/license_unverified.txt")]
struct LicenseUnverifiedText<'a> {
    state: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/license_unverified.html")]
struct LicenseUnverifiedHtml<'a> {
    state: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/break_glass_opened.txt")]
struct BreakGlassOpenedText<'a> {
    organization: &'a str,
    admin: &'a str,
    reason: &'a str,
    expires: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/break_glass_opened.html")]
struct BreakGlassOpenedHtml<'a> {
    organization: &'a str,
    admin: &'a str,
    reason: &'a str,
    expires: &'a str,
    link: &'a str,
}

fn render(template: &impl Template) -> String {
    // The templates are compiled in and take only strings and numbers:
    // rendering cannot fail at run time.
    template.render().unwrap_or_else(|error| {
        tracing::error!(%error, "mail template failed to render");
        String::new()
    })
}

/// A new account is ready (registration answers the same for a new and an
/// existing address, so this mail is how its owner learns it).
pub fn welcome(to: &str, login_link: &str, reset_link: &str) -> Mail {
    Mail {
        template: "welcome",
        to: to.to_owned(),
        subject: "Your Carethread account is ready".to_owned(),
        text: render(&WelcomeText {
            login_link,
            reset_link,
        }),
        html: render(&WelcomeHtml {
            login_link,
            reset_link,
        }),
    }
}

/// Someone registered with an address that already has an account.
pub fn registration_repeated(to: &str, login_link: &str, reset_link: &str) -> Mail {
    Mail {
        template: "registration_repeated",
        to: to.to_owned(),
        subject: "Someone tried to create a Carethread account with your address".to_owned(),
        text: render(&RegistrationRepeatedText {
            login_link,
            reset_link,
        }),
        html: render(&RegistrationRepeatedHtml {
            login_link,
            reset_link,
        }),
    }
}

pub fn password_reset(to: &str, link: &str, minutes: u64) -> Mail {
    Mail {
        template: "password_reset",
        to: to.to_owned(),
        subject: "Reset your Carethread password".to_owned(),
        text: render(&PasswordResetText { link, minutes }),
        html: render(&PasswordResetHtml { link, minutes }),
    }
}

pub fn password_changed(to: &str, reset_link: &str) -> Mail {
    Mail {
        template: "password_changed",
        to: to.to_owned(),
        subject: "Your Carethread password was changed".to_owned(),
        text: render(&PasswordChangedText { reset_link }),
        html: render(&PasswordChangedHtml { reset_link }),
    }
}

pub fn account_locked(to: &str, minutes: u64, reset_link: &str) -> Mail {
    Mail {
        template: "account_locked",
        to: to.to_owned(),
        subject: "Sign-in to your Carethread account was locked".to_owned(),
        text: render(&AccountLockedText {
            minutes,
            reset_link,
        }),
        html: render(&AccountLockedHtml {
            minutes,
            reset_link,
        }),
    }
}

pub fn invitation(
    to: &str,
    organization: &str,
    inviter: &str,
    role: &str,
    link: &str,
    days: u64,
) -> Mail {
    Mail {
        template: "invitation",
        to: to.to_owned(),
        subject: format!("You are invited to join {organization} on Carethread"),
        text: render(&InvitationText {
            organization,
            inviter,
            role,
            link,
            days,
        }),
        html: render(&InvitationHtml {
            organization,
            inviter,
            role,
            link,
            days,
        }),
    }
}

#[derive(Template)]
#[template(path = "mail/intake_request.txt")]
struct IntakeRequestText<'a> {
    clinic: &'a str,
    link: &'a str,
    until: &'a str,
}

#[derive(Template)]
#[template(path = "mail/intake_request.html")]
struct IntakeRequestHtml<'a> {
    clinic: &'a str,
    link: &'a str,
    until: &'a str,
}

/// To a patient or their family: a clinic asks them to fill in a form.
/// The clinic's name, a link and its expiry only (not the form's title,
/// which can say what care is given).
pub fn intake_request(to: &str, clinic: &str, link: &str, until: &str, reminder: bool) -> Mail {
    Mail {
        template: if reminder {
            "intake_reminder"
        } else {
            "intake_request"
        },
        to: to.to_owned(),
        subject: if reminder {
            format!("Reminder: {clinic} asks you to fill in a form")
        } else {
            format!("{clinic} asks you to fill in a form")
        },
        text: render(&IntakeRequestText {
            clinic,
            link,
            until,
        }),
        html: render(&IntakeRequestHtml {
            clinic,
            link,
            until,
        }),
    }
}

/// To a clinician: a change took a verified license back to the queue.
/// The license's state and a link only (not its number).
pub fn license_unverified(to: &str, state: &str, link: &str) -> Mail {
    Mail {
        template: "license_unverified",
        to: to.to_owned(),
        subject: format!("Your {state} license waits for verification"),
        text: render(&LicenseUnverifiedText { state, link }),
        html: render(&LicenseUnverifiedHtml { state, link }),
    }
}

#[derive(Template)]
#[template(path = "mail/booking_update.txt")]
struct BookingUpdateText<'a> {
    headline: &'a str,
    initials: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/booking_update.html")]
struct BookingUpdateHtml<'a> {
    headline: &'a str,
    initials: &'a str,
    link: &'a str,
}

/// A booking moved on (requested, accepted, declined, cancelled): to the
/// clinician or the family. Initials and a link only (not even the
/// date of care).
pub fn booking_update(to: &str, subject: &str, headline: &str, initials: &str, link: &str) -> Mail {
    Mail {
        template: "booking_update",
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: render(&BookingUpdateText {
            headline,
            initials,
            link,
        }),
        html: render(&BookingUpdateHtml {
            headline,
            initials,
            link,
        }),
    }
}

/// To a clinic's staff: a referral arrived. Initials and a link only.
pub fn referral_new(to: &str, clinic: &str, initials: &str, reference: &str, link: &str) -> Mail {
    Mail {
        template: "referral_new",
        to: to.to_owned(),
        subject: format!("New referral {reference} for {clinic}"),
        text: render(&ReferralNewText {
            clinic,
            initials,
            reference,
            link,
        }),
        html: render(&ReferralNewHtml {
            clinic,
            initials,
            reference,
            link,
        }),
    }
}

/// To the referrer: the referral's status changed. Initials and a link.
pub fn referral_status(
    to: &str,
    reference: &str,
    initials: &str,
    status: &str,
    link: &str,
) -> Mail {
    Mail {
        template: "referral_status",
        to: to.to_owned(),
        subject: format!("Referral {reference}: {status}"),
        text: render(&ReferralStatusText {
            reference,
            initials,
            status,
            link,
        }),
        html: render(&ReferralStatusHtml {
            reference,
            initials,
            status,
            link,
        }),
    }
}

/// A self-served sandbox API key, to the address that asked. The key
/// reaches only de-identified sandbox data; the body is erased once sent.
pub fn sandbox_key(to: &str, key: &str, base: &str) -> Mail {
    Mail {
        template: "sandbox_key",
        to: to.to_owned(),
        subject: "Your Carethread sandbox API key".to_owned(),
        text: render(&SandboxKeyText { key, base }),
        html: render(&SandboxKeyHtml { key, base }),
    }
}

/// A platform administrator opened break-glass access to the organization
/// (to its administrators; names, reason and expiry only, no PHI).
pub fn break_glass_opened(
    to: &str,
    organization: &str,
    admin: &str,
    reason: &str,
    expires: &str,
    link: &str,
) -> Mail {
    Mail {
        template: "break_glass_opened",
        to: to.to_owned(),
        subject: format!("Break-glass access to {organization} was opened"),
        text: render(&BreakGlassOpenedText {
            organization,
            admin,
            reason,
            expires,
            link,
        }),
        html: render(&BreakGlassOpenedHtml {
            organization,
            admin,
            reason,
            expires,
            link,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_the_link_in_both_parts() {
        let link = "https://care.example.org/reset-password?token=abc";
        let m = password_reset("pat@example.org", link, 60);
        assert!(m.text.contains(link));
        assert!(m
            .html
            .contains("https://care.example.org/reset-password?token=abc"));
        assert!(m.text.contains("60 minutes"));
        assert!(m.html.starts_with("<!DOCTYPE html>"));
    }

    #[test]
    fn html_parts_escape_what_they_are_given() {
        let m = invitation(
            "pat@example.org",
            "Riverbend <Home> Health",
            "Ana & Co",
            "Clinic staff",
            "https://x.example/invite?token=t",
            7,
        );
        assert!(
            m.html.contains("Riverbend &#60;Home&#62; Health")
                || m.html.contains("Riverbend &lt;Home&gt; Health")
        );
        assert!(m.text.contains("Riverbend <Home> Health"));
        assert!(m.subject.contains("Riverbend <Home> Health"));
    }
}
