//! The referral pages: the new-referral form (`/referrer/referrals/new`),
//! the lists (the referrer's sent referrals at `/referrer`, the clinic's
//! inbox at `/clinic/inbox`) and a referral's page with its timeline,
//! matches and actions.

mod detail;
mod list;
mod new;

pub use detail::ReferralDetailPage;
pub use list::ReferralListPage;
pub use new::NewReferralPage;
