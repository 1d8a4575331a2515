//! Shared UI: the page frame (header, navigation, footer) every page reuses,
//! accessible form controls with inline errors, the data table, and how a
//! page shows data it loads ([`Loaded`]).
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
    use_current_user, CurrentUserProvider, CurrentUserResource, SiteFooter, SiteHeader,
};
pub use live::{this_page, LiveRefresh};
pub use loaded::Loaded;
pub use outcome::{server_action, submitted, use_outcome, Form, FormOutcome, RPC_FIELD};
pub use table::{Column, Columns, DataTable};
