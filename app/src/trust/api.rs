//! Server functions behind the trust page. Both are public: the portal is for
//! anyone doing procurement diligence, signed in or not.

use super::{PacketReceipt, TrustPortal};
use crate::error::AppError;
use app_macros::rpc;

/// The whole portal, computed from the database now.
#[rpc(prefix = "/rpc", endpoint = "trust/portal")]
pub async fn get_trust_portal() -> Result<TrustPortal, AppError> {
    let state = crate::state::app_state()?;
    let mut conn = state.pool.acquire().await?;
    Ok(super::repo::load_portal(&mut conn).await?)
}

/// Stores a vendor-packet request. Validation failures name each field and
/// store nothing.
#[rpc(prefix = "/rpc", endpoint = "trust/vendor-packet")]
pub async fn request_vendor_packet(
    name: String,
    email: String,
    organization: String,
    packet: String,
    message: String,
) -> Result<PacketReceipt, AppError> {
    let request =
        super::VendorPacketRequest::parse(&name, &email, &organization, &packet, &message)?;
    let state = crate::state::app_state()?;
    let mut conn = state.pool.acquire().await?;
    let receipt = super::repo::insert_packet_request(&mut conn, &request).await?;
    tracing::info!(reference = %receipt.reference, "vendor packet requested");
    Ok(receipt)
}
