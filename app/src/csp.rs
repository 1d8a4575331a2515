//! Content Security Policy. Pages get a per-response nonce for Leptos's
//! inline hydration scripts; every other response (static files, JSON,
//! error pages served outside Leptos) gets the same policy with no inline
//! script allowed at all.
//!
//! `'wasm-unsafe-eval'` lets the browser compile our wasm; no
//! `'unsafe-inline'` or `'unsafe-eval'` for scripts, ever.

/// The policy for a server-rendered page whose inline scripts carry `nonce`.
pub fn page_policy(nonce: &str) -> String {
    policy(&format!("'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"))
}

/// The policy for any response that is not a Leptos page.
pub fn default_policy() -> String {
    policy("'self' 'wasm-unsafe-eval'")
}

fn policy(script_src: &str) -> String {
    [
        "default-src 'self'".to_owned(),
        format!("script-src {script_src}"),
        "style-src 'self'".to_owned(),
        "img-src 'self' data:".to_owned(),
        "font-src 'self'".to_owned(),
        "connect-src 'self'".to_owned(),
        "manifest-src 'self'".to_owned(),
        "worker-src 'self'".to_owned(),
        "object-src 'none'".to_owned(),
        "base-uri 'none'".to_owned(),
        "form-action 'self'".to_owned(),
        "frame-ancestors 'none'".to_owned(),
    ]
    .join("; ")
}

/// Sets the page policy on the current Leptos response, using the nonce
/// leptos_axum generated for this render.
pub fn apply_to_page() {
    use leptos::prelude::use_context;
    let nonce = leptos::nonce::use_nonce();
    let options = use_context::<leptos_axum::ResponseOptions>();
    if let (Some(nonce), Some(options)) = (nonce, options) {
        if let Ok(value) = http::HeaderValue::from_str(&page_policy(&nonce)) {
            options.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_policy_allows_only_nonced_inline_scripts() {
        let p = page_policy("abc123");
        assert!(p.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        assert!(!p.contains("unsafe-inline"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(p.contains("object-src 'none'"));
    }

    #[test]
    fn default_policy_allows_no_inline_script() {
        let p = default_policy();
        assert!(!p.contains("nonce-"));
        assert!(!p.contains("unsafe-inline"));
        assert!(p.contains("frame-ancestors 'none'"));
    }
}
