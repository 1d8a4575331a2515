//! The wasm entry point: hydrates the server-rendered page and nothing else.
//! Everything the browser runs lives in the `app` crate.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A marker for end-to-end tests (a click before hydration is lost) and
    // for styles that only make sense once the page is interactive.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
