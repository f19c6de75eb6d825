//! Storing donations through one group-committing writer: concurrent callers each submit a
//! donation and await its stored row; one task takes everything waiting (up to
//! [`DONATION_BATCH`]) and stores it in one transaction — one multi-row `INSERT` for the
//! donations and one for their `donation:create` events ([`Store::create_donations`]). A
//! caller's future resolves after that transaction committed, so the row it gets is durable
//! and the real-time outbox will publish it; each caller gets its own row, or its own error
//! (a failed batch is stored again one donation at a time, see [`crate::batch`]).
//!
//! The sandbox CLI's donations and the settings page's test alert go through here. The donation
//! page's paid donation does not: it commits together with the settlement of its charge
//! (`Store::record_paid_donation`), one transaction per payment. Bulk seeding calls the store
//! directly.

use maecenas_store::{Store, StoreError, entities::donation, money::NewDonation};

use crate::batch::{BatchOp, Batcher};

/// Most donations in one transaction: two chunks of the store's multi-row `INSERT`s.
pub const DONATION_BATCH: usize = 2 * maecenas_store::money::DONATION_CHUNK;

/// The batched store call: a batch of donations with their events, one transaction.
struct CreateDonations;

impl BatchOp for CreateDonations {
    type In = NewDonation;
    type Out = donation::Model;
    const MAX_BATCH: usize = DONATION_BATCH;
    const NAME: &'static str = "donation writer";

    async fn run(
        store: &Store,
        items: Vec<NewDonation>,
    ) -> Result<Vec<donation::Model>, StoreError> {
        store.create_donations(items).await
    }
}

/// The writer. Cheap to clone; clones share one queue and one writer task (started by the
/// first donation, ended when the last clone is dropped).
#[derive(Debug, Clone)]
pub struct DonationWriter {
    store: Store,
    batcher: Batcher<CreateDonations>,
}

impl DonationWriter {
    /// A writer storing into `store`'s database over a connection of its own
    /// ([`Store::own_connection`]: on SQLite its page cache stays warm between batches).
    pub fn new(store: Store) -> Self {
        Self {
            store: store.own_connection(),
            batcher: Batcher::default(),
        }
    }

    /// Stores `new` with its event, together with whatever else is waiting; returns its row
    /// once committed.
    pub async fn create(&self, new: NewDonation) -> Result<donation::Model, StoreError> {
        Ok(self.batcher.call(&self.store, new).await?)
    }
}
