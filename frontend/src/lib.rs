//! Hydrates the islands of the server-rendered pages once the WASM has loaded.

/// Called by the island script that the server puts in the pages with islands
/// (`app::page_has_islands`).
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::hydrate_islands();
}
