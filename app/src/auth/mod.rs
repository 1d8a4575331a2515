//! Identity: who someone is and how they prove it. This area grows with
//! sign-in, sessions, roles and invitations; today it holds the password
//! policy and password hashing that those will use.

mod password;

#[cfg(feature = "ssr")]
pub mod hashing;

pub use password::{NewPassword, PASSWORD_MAX, PASSWORD_MIN};
