//! Forms that work before (and without) JavaScript.
//!
//! Pages are rendered on the server and only islands hydrate, so a form is
//! a plain `<form method="post">` posted to its own page, naming its server
//! function. The server
//! (`server/src/forms.rs`) runs the function and, unless the function
//! redirects (to a receipt or the next page), renders the page the form was
//! on again with a [`FormOutcome`] in the request: what the function
//! answered and the fields as they were submitted. This module is the
//! page's side of that:
//!
//! - [`server_action`] makes the `ServerAction` a form is built from and
//!   sets its value from the outcome, so the page shows the result or the
//!   errors exactly as it would after a scripted submission: one code path
//!   for both;
//! - [`submitted`] gives a control the value that was submitted with a
//!   rejected form, so nothing typed is lost (never for passwords: the
//!   server drops those fields before they reach here);
//! - [`Form`] is the form itself: it posts to its own page and names the
//!   function in a hidden `_rpc` field, so the page keeps its address.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;

/// The hidden field that names a form's server function.
pub const RPC_FIELD: &str = "_rpc";

/// What a plain form post produced, handed to the page it came from. Put
/// into the page request's extensions by the server; read from there.
#[derive(Clone, Debug, Default)]
pub struct FormOutcome {
    /// The server function's path (`/rpc/login`).
    pub action: String,
    /// Whether the function succeeded.
    pub ok: bool,
    /// The function's answer as it encodes it: its output on success, the
    /// [`AppError`] on failure (JSON both).
    pub body: String,
    /// The submitted fields, in order, without secrets.
    pub fields: Vec<(String, String)>,
}

impl FormOutcome {
    /// The submitted value of `name`, when the submission was rejected (a
    /// form that succeeded starts empty again).
    pub fn rejected_value(&self, name: &str) -> Option<&str> {
        if self.ok {
            return None;
        }
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// The function's answer, decoded as `S` answers.
    fn result<T: DeserializeOwned>(&self) -> Option<Result<T, AppError>> {
        if self.ok {
            serde_json::from_str(&self.body).ok().map(Ok)
        } else {
            Some(Err(
                serde_json::from_str(&self.body).unwrap_or(AppError::Internal)
            ))
        }
    }
}

/// The outcome of the plain form post this page render answers, if any.
pub fn use_outcome() -> Option<FormOutcome> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<FormOutcome>().cloned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// The `ServerAction` for `S`, holding the outcome of a plain form post to
/// `S` when this render answers one. Pages build every form's action with
/// it (never `ServerAction::new` directly) so forms behave the same with
/// and without JavaScript.
#[track_caller]
pub fn server_action<S>() -> ServerAction<S>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    if let Some(result) = use_outcome()
        .filter(|outcome| outcome.action == S::PATH)
        .and_then(|outcome| outcome.result::<S::Output>())
    {
        action.value().set(Some(result));
    }
    action
}

/// The value submitted for the field `name` with a form that was rejected
/// in this render, to show it again.
pub fn submitted(name: &str) -> Option<String> {
    use_outcome().and_then(|outcome| outcome.rejected_value(name).map(str::to_owned))
}

/// A form for the server action `action`: a plain `<form method="post">`
/// that posts to the page it is on and names the function in a hidden
/// field, so the server runs the function and answers with this page again
/// (its outcome shown) or the next page, and the address bar keeps the
/// page's address. It needs no script, so it works before and without
/// JavaScript; pages do not hydrate, so it is the same with it. Every form
/// in the app is one of these.
#[component]
pub fn Form<S>(
    /// The action the form submits.
    action: ServerAction<S>,
    children: Children,
) -> impl IntoView
where
    S: ServerFn + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    // The action is the form's identity (and its outcome's), nothing more
    // is done with it here.
    let _ = action;
    view! {
        <form method="post" action=super::this_page()>
            <input type="hidden" name=RPC_FIELD value=S::PATH/>
            {children()}
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::FormOutcome;
    use crate::error::AppError;

    fn outcome(ok: bool, body: &str) -> FormOutcome {
        FormOutcome {
            action: "/rpc/x".into(),
            ok,
            body: body.into(),
            fields: vec![("email".into(), "a@b.example".into())],
        }
    }

    #[test]
    fn a_rejected_form_gives_back_what_was_typed_and_a_successful_one_does_not() {
        assert_eq!(
            outcome(false, "{}").rejected_value("email"),
            Some("a@b.example")
        );
        assert_eq!(outcome(false, "{}").rejected_value("name"), None);
        assert_eq!(outcome(true, "1").rejected_value("email"), None);
    }

    #[test]
    fn the_answer_decodes_as_the_function_answers() {
        assert_eq!(outcome(true, "3").result::<u32>(), Some(Ok(3)));
        let body = serde_json::to_string(&AppError::Forbidden).unwrap();
        assert_eq!(
            outcome(false, &body).result::<u32>(),
            Some(Err(AppError::Forbidden))
        );
        // An answer that cannot be read is an error, never a silent success.
        assert_eq!(
            outcome(false, "garbage").result::<u32>(),
            Some(Err(AppError::Internal))
        );
        assert_eq!(outcome(true, "garbage").result::<u32>(), None);
    }
}
