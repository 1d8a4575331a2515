//! The sign-in and account pages. Forms are `ui::Form`s over the server
//! functions in `super::api`: errors come back per field and the form keeps
//! what was typed.

mod account;
mod login;
mod notices;
mod register;
mod reset;

pub use account::{AccountPage, SwitchOrganizationPage};
pub use login::LoginPage;
pub use notices::{ErrorNotice, ForbiddenNotice, SignInRequired};
pub use register::RegisterPage;
pub use reset::{ForgotPasswordPage, ResetPasswordPage};
