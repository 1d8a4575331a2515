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

use leptos::prelude::*;

/// Bumps `tick` every `secs` seconds in the browser: lists and referral
/// pages refetch on it, so a status change shows without a reload.
pub(crate) fn live_tick(secs: u64) -> ReadSignal<u64> {
    let (tick, set_tick) = signal(0u64);
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || set_tick.update(|t| *t += 1),
            std::time::Duration::from_secs(secs),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    tick
}
