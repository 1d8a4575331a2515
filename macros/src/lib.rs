//! `#[rpc(...)]`: the one place a server function's error becomes the HTTP
//! status of the response it is part of.
//!
//! A Leptos server function is reached through two doors, and only one of
//! them goes through server_fn's machinery:
//! - over HTTP (`POST /rpc/...`), where server_fn encodes the error and
//!   answers 500 unless told otherwise;
//! - called directly while a page renders on the server (a `Resource`
//!   loader), where the macro-generated function just runs the body: no
//!   encoding, no hook. This is how `/clinic` answers 401 to a visitor with
//!   no session.
//!
//! So neither an axum layer on `/rpc` nor a hook in `AppError`'s
//! `FromServerFnError` encoding sees the second door. Wrapping the body
//! does: `#[rpc(args)]` is `#[leptos::server(args)]` (the arguments are
//! passed through unchanged) around a body whose `Err` first sets the
//! status (and `Retry-After`) of the current response, through
//! `crate::error::with_status` in the `app` crate, the only crate that uses
//! this macro. Errors server_fn makes itself before the body runs (an
//! unreadable request) get theirs in `AppError::from_server_fn_error`.
//!
//! Policy: every server function in `app` is declared with `#[rpc]`; a test
//! in `app::error` fails on a bare `#[server(...)]`.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, ItemFn, ReturnType};

/// `#[leptos::server(...)]` whose `Err` sets the response's status. The
/// function must return `Result<_, AppError>`.
#[proc_macro_attribute]
pub fn rpc(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = proc_macro2::TokenStream::from(args);
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = parse_macro_input!(item as ItemFn);
    let ReturnType::Type(_, return_type) = &sig.output else {
        return syn::Error::new_spanned(&sig, "a server function returns Result<_, AppError>")
            .to_compile_error()
            .into();
    };
    quote! {
        #[::leptos::server(#args)]
        #(#attrs)*
        #vis #sig {
            let result: #return_type = async #block.await;
            crate::error::with_status(result)
        }
    }
    .into()
}
