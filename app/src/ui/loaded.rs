//! [`Loaded`]: what a page shows for data it loads from a server function
//! — a loading line until it arrives (rendered on the server, so a page
//! without JavaScript arrives complete), the error notice when the call
//! fails (signed out, forbidden, not found…), and the page's own view of
//! the value otherwise.

use crate::auth::ErrorNotice;
use crate::error::AppError;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Renders `resource`: `loading` while it loads, [`ErrorNotice`] on an
/// error, `ok(value)` on success. With `keep`, a reload keeps showing the
/// previous content instead of the loading line (a `Transition`; pages that
/// refetch after an action use it).
#[component]
pub fn Loaded<T, V, F>(
    resource: Resource<Result<T, AppError>>,
    #[prop(into)] loading: String,
    #[prop(optional)] keep: bool,
    ok: F,
) -> impl IntoView
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    let body = move || {
        resource.get().map(|result| match result {
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
            Ok(value) => ok(value).into_any(),
        })
    };
    let fallback = move || view! { <p class="loading">{loading.clone()}</p> };
    if keep {
        view! { <Transition fallback>{body}</Transition> }.into_any()
    } else {
        view! { <Suspense fallback>{body}</Suspense> }.into_any()
    }
}
