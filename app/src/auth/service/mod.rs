//! Account security operations (SPEC J7): sign in with lockout, register,
//! reset a forgotten password, change a password, sign out, end sessions.
//! Each is one function used by its server function, the operator's tools
//! and the tests alike; each writes its audit events and mail in the same
//! transaction as the change.
//!
//! No account enumeration: sign-in answers an unknown address exactly as a
//! wrong password (after the same argon2 work, against a dummy hash), locks
//! an unknown address after the same number of failures, and a reset
//! request answers the same thing, no sooner than a fixed floor, whether
//! or not the address has an account.
//!
//! One file per operation group: [`sign_in`] (with the session it opens),
//! [`register`], [`password`] (reset and change), [`sessions`] (sign out,
//! revoke, switch organization).

mod password;
mod register;
mod sessions;
mod sign_in;

pub use password::{change_password, check_reset_token, request_reset, reset_password};
pub use register::{register, Registration};
pub use sessions::{revoke_session, sign_out, switch_organization};
pub(crate) use sign_in::open_login;
pub use sign_in::{sign_in, SignedIn};
