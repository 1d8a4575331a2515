//! Shared UI: the page frame (header, navigation, footer) every page reuses,
//! accessible form controls with inline errors, the [`Form`] every form is
//! and the outcome of its plain post ([`server_action`], [`submitted`]),
//! the data table, how a page shows data it loads ([`Loaded`]), and the
//! [`LiveRefresh`] island.
//!
//! Policy: controls carry their own label, hint and error wiring
//! (`aria-invalid`, `aria-describedby`), so a page cannot forget them.

mod form;
mod format;
mod layout;
mod live;
mod loaded;
mod outcome;
mod table;

pub use form::{
    action_error, field_error, ErrorSummary, RadioGroup, SelectField, TextArea, TextField,
};
pub use format::format_datetime;
pub use layout::{
    role_links, use_current_user, CurrentUserProvider, CurrentUserResource, SiteFooter, SiteHeader,
};
pub use live::LiveRefresh;
pub use loaded::Loaded;
pub use outcome::{
    checked, server_action, server_action_in, submitted, this_page, use_outcome, Form, FormOutcome,
    UploadForm, FORM_FIELD, RPC_FIELD,
};
pub use table::{Column, Columns, DataTable};
