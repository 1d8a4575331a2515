//! The wasm entry point. Pages are rendered on the server (Leptos islands
//! mode); the browser hydrates only the interactive islands on a page, so
//! the wasm holds those islands and nothing else. Everything the browser
//! runs lives in the `app` crate.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    // Keeps the app crate, and with it every `#[island]`'s exported
    // hydration function, in the link.
    #[allow(unused_imports)]
    use app::*;
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // A marker for end-to-end tests: a click on an island before it
    // hydrates is lost.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
