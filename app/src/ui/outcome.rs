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
/// The hidden field that tells apart forms for one function on one page
/// (one per webhook endpoint, per team member…).
pub const FORM_FIELD: &str = "_form";

/// What a plain form post produced, handed to the page it came from. Put
/// into the page request's extensions by the server; read from there.
#[derive(Clone, Default)]
pub struct FormOutcome {
    /// The server function's path (`/rpc/login`).
    pub action: String,
    /// Which of the page's forms for that function, when it has several.
    pub instance: Option<String>,
    /// Whether the function succeeded.
    pub ok: bool,
    /// The function's answer as it encodes it: its output on success, the
    /// [`AppError`] on failure (JSON both).
    pub body: String,
    /// The submitted fields, in order, without secrets.
    pub fields: Vec<(String, String)>,
}

/// The answer can be a secret shown once (a new key, a webhook's secret):
/// never in a log.
impl std::fmt::Debug for FormOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormOutcome")
            .field("action", &self.action)
            .field("instance", &self.instance)
            .field("ok", &self.ok)
            .field("fields", &self.fields.len())
            .finish_non_exhaustive()
    }
}

impl FormOutcome {
    /// The submitted value of `name`, whatever the answer.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether this is the outcome of the form for `action` (and
    /// `instance`, for a page with several of them).
    fn is_for(&self, action: &str, instance: Option<&str>) -> bool {
        self.action == action && self.instance.as_deref() == instance
    }

    /// The submitted value of `name`, when the submission was rejected (a
    /// form that succeeded starts empty again).
    pub fn rejected_value(&self, name: &str) -> Option<&str> {
        if self.ok {
            return None;
        }
        self.field(name)
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
/// and without JavaScript. For a page with several forms for `S`, see
/// [`server_action_in`].
#[track_caller]
pub fn server_action<S>() -> ServerAction<S>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    seeded(None)
}

/// [`server_action`] for the one of a page's forms for `S` that is told
/// apart by `instance` (the same value as its [`Form`]'s `instance`).
#[track_caller]
pub fn server_action_in<S>(instance: &str) -> ServerAction<S>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    seeded(Some(instance))
}

#[track_caller]
fn seeded<S>(instance: Option<&str>) -> ServerAction<S>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    if let Some(result) = use_outcome()
        .filter(|outcome| outcome.is_for(S::PATH, instance))
        .and_then(|outcome| outcome.result::<S::Output>())
    {
        action.value().set(Some(result));
    }
    action
}

/// The form a control is in: set by [`Form`] for its children, so a
/// control refills only from its own form's rejected post.
#[derive(Clone)]
struct FormScope {
    action: &'static str,
    instance: Option<String>,
}

/// The outcome of a rejected post from the form this control is in (any
/// form, for a control outside one).
fn rejected_here() -> Option<FormOutcome> {
    let outcome = use_outcome().filter(|outcome| !outcome.ok)?;
    match use_context::<FormScope>() {
        Some(scope) if !outcome.is_for(scope.action, scope.instance.as_deref()) => None,
        _ => Some(outcome),
    }
}

/// The value submitted for the field `name` with this form, when it was
/// rejected in this render, to show it again.
pub fn submitted(name: &str) -> Option<String> {
    rejected_here().and_then(|outcome| outcome.field(name).map(str::to_owned))
}

/// Whether the checkbox `name` is checked: as submitted when this form was
/// rejected in this render, else `default`.
pub fn checked(name: &str, default: bool) -> bool {
    match rejected_here() {
        Some(outcome) => outcome.field(name).is_some(),
        None => default,
    }
}

/// A form for the server action `action`: a plain `<form method="post">`
/// that posts to the page it is on and names the function in a hidden
/// field, so the server runs the function and answers with this page again
/// (its outcome shown) or the next page, and the address bar keeps the
/// page's address. It needs no script, so it works before and without
/// JavaScript; pages do not hydrate, so it is the same with it. Every form
/// in the app is one of these. `instance` tells apart a page's several
/// forms for one function (pair it with [`server_action_in`]).
#[component]
pub fn Form<S>(
    /// The action the form submits.
    action: ServerAction<S>,
    /// Which of the page's forms for this function it is, if several.
    #[prop(optional, into)]
    instance: Option<String>,
    children: Children,
) -> impl IntoView
where
    S: ServerFn + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    // The action names the function; the outcome reaches it through
    // `server_action`, so nothing more is done with it here.
    let _ = action;
    let scope = FormScope {
        action: S::PATH,
        instance: instance.clone(),
    };
    // A child owner, so the scope reaches this form's controls and not the
    // siblings rendered after it; the view keeps it alive.
    let owner = Owner::current().map(|o| o.child()).unwrap_or_default();
    let children = owner.with(|| {
        provide_context(scope);
        children()
    });
    let children = leptos::tachys::reactive_graph::OwnedView::new_with_owner(children, owner);
    view! {
        <form method="post" action=this_page()>
            <input type="hidden" name=RPC_FIELD value=S::PATH/>
            {instance.map(|instance| view! { <input type="hidden" name=FORM_FIELD value=instance/> })}
            {children}
        </form>
    }
}

/// The one posting form that is not a [`Form`]: a file upload. A server
/// function's form cannot carry a file without script, so the file goes,
/// as plain multipart, to a route of its own (`server/src/attachments.rs`),
/// which answers 303 back to the page with what happened in the query.
#[component]
pub fn UploadForm(
    /// The route that takes the file.
    action: String,
    children: Children,
) -> impl IntoView {
    view! {
        <form method="post" enctype="multipart/form-data" action=action class="form">
            {children()}
        </form>
    }
}

/// The address of the page being rendered (path and query): the router's
/// on the server; in an island, where there is no router, the window's.
/// Leading slashes are collapsed to one: `//host/x` would name another
/// site as a form's target.
pub fn this_page() -> String {
    // On the server, the request's own address (the integration provides
    // its parts to every render). Not the router's location: a form rendered
    // late in an async page (inside a resolved resource) has found that
    // reactive value already disposed, and reading it panicked.
    #[cfg(feature = "ssr")]
    let (path, query) = match use_context::<http::request::Parts>() {
        Some(parts) => (
            parts.uri.path().to_owned(),
            parts.uri.query().unwrap_or_default().to_owned(),
        ),
        // Outside a request (there is none to post back to).
        None => ("/".to_owned(), String::new()),
    };
    #[cfg(not(feature = "ssr"))]
    let (path, query) = {
        let location = window().location();
        (
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default(),
        )
    };
    let path = format!("/{}", path.trim_start_matches(['/', '\\']));
    let query = query.trim_start_matches('?');
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::FormOutcome;
    use crate::error::AppError;

    fn outcome(ok: bool, body: &str) -> FormOutcome {
        FormOutcome {
            action: "/rpc/x".into(),
            instance: None,
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
    fn an_outcome_is_for_one_form_and_never_prints_its_answer() {
        let mut o = outcome(false, "ct_live_secret");
        assert!(o.is_for("/rpc/x", None));
        assert!(!o.is_for("/rpc/x", Some("a")));
        o.instance = Some("a".into());
        assert!(o.is_for("/rpc/x", Some("a")));
        assert!(!o.is_for("/rpc/y", Some("a")));
        assert!(!format!("{o:?}").contains("ct_live_secret"));
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
