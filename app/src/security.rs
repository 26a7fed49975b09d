//! The Content-Security-Policy of rendered pages.

/// The policy for a page whose inline hydration script carries `nonce`.
///
/// Scripts: this origin plus the per-response nonce, and `wasm-unsafe-eval` so the
/// browser may compile the WASM bundle. Nothing may frame the service.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let script_src = match nonce {
        Some(nonce) => format!("'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_string(),
    };
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// During server rendering, puts this response's CSP (with its nonce) on the response.
pub(crate) fn set_page_csp() {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::use_context;
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            let nonce = leptos::nonce::use_nonce();
            let policy = content_security_policy(nonce.as_deref());
            if let Ok(value) = http::HeaderValue::from_str(&policy) {
                response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
            }
        }
    }
}
