//! A donation as the real-time channel carries it: the same DonationAlerts donation object the
//! REST API returns, so a Centrifugo subscriber reads exactly what `/alerts/donations` shows.

use maecenas_store::{Store, StoreError};

use crate::wire::Donation;

/// The recipient and the wire object of donation `id`, or `None` when either is gone.
pub async fn donation_for_alert(
    store: &Store,
    id: i64,
) -> Result<Option<(i64, Donation)>, StoreError> {
    let Some(row) = store.donation_by_id(id).await? else {
        return Ok(None);
    };
    let Some(recipient) = store.user_by_id(row.recipient_user_id).await? else {
        return Ok(None);
    };
    let currency = store
        .campaign_by_creator(recipient.id)
        .await?
        .map_or_else(|| "USD".to_owned(), |c| c.currency);
    Ok(Some((
        recipient.id,
        Donation::of(row, &recipient, &currency),
    )))
}
