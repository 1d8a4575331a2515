//! Identity (SPEC §1, J7): who someone is, how they prove it, and which
//! organization they act for.
//!
//! - [`password`] and [`hashing`]: the password policy and argon2id.
//! - [`session`]: the session claim, the [`Principal`] resolved from it on
//!   every request, and [`require`], the authorization call at the top of
//!   every protected server function.
//! - [`service`]: sign-in with lockout, registration, password reset and
//!   change, sign-out, session revocation, switching organization.
//! - [`api`] and the pages: the server functions and the forms.

mod api;
mod pages;
mod password;

#[cfg(feature = "ssr")]
pub mod hashing;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod throttle;
#[cfg(feature = "ssr")]
pub mod token;

#[cfg(feature = "ssr")]
pub use crate::identity::Principal;
pub use crate::identity::{OrgKind, Role};
pub use api::*;
pub use pages::{
    AccountPage, ErrorNotice, ForbiddenNotice, ForgotPasswordPage, LoginPage, RegisterPage,
    ResetPasswordPage, SignInRequired, SwitchOrganizationPage,
};
pub use password::{NewPassword, PASSWORD_MAX, PASSWORD_MIN};
#[cfg(feature = "ssr")]
pub use session::{request_cookie, require, RequestMeta};
