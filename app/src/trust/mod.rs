//! The public trust portal (SPEC J6): certifications with honest status, the
//! subprocessor table and the BAA-chain counts computed from it, data
//! principles, uptime measured by the platform's own health probes, and the
//! vendor-packet request form.
//!
//! Policy: every figure on the page is computed from the database when the
//! page is served; nothing is typed in as a number. The same
//! [`repo::load_portal`] feeds the page, its server function and
//! `GET /trust.json`, so the three can never disagree.

mod admin_page;
mod api;
pub mod edit;
#[cfg(feature = "ssr")]
pub mod feed;
mod model;
mod packet;
mod page;
#[cfg(feature = "ssr")]
pub mod repo;

pub use admin_page::TrustAdminPage;
pub use api::{get_trust_portal, request_vendor_packet, GetTrustPortal, RequestVendorPacket};
pub use model::{
    BaaChainCounts, Certification, CertificationStatus, DataPrinciple, Subprocessor, TrustChange,
    TrustPortal, Uptime, UPTIME_WINDOW_DAYS,
};
pub use packet::{PacketKind, PacketReceipt, VendorPacketRequest};
pub use page::TrustPage;
