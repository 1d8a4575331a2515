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
/// error, `ok(value)` on success. Pages render with `SsrMode::Async`, so
/// the value is there before the page is sent; the loading line is what an
/// out-of-order render (the not-found fallback) would stream first.
#[component]
pub fn Loaded<T, V, F>(
    resource: Resource<Result<T, AppError>>,
    #[prop(into)] loading: String,
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
    view! { <Suspense fallback>{body}</Suspense> }
}
