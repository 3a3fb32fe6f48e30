//! Keeping several instances on one database in step.
//!
//! Each `storenet serve` instance holds its outlet index in memory. An instance's own admin
//! writes swap its index at once; to see another instance's writes, every instance polls the
//! registry's change counter ([`Store::registry_version`], bumped by database triggers on every
//! chain or outlet change) every [`Settings::registry_poll_ms`](crate::config::Settings)
//! milliseconds and reloads when it moved. The poll is one single-row primary-key read, so its
//! cost is negligible at the default of 2 s, and it works the same on SQLite (several processes on
//! one file) and PostgreSQL (several hosts), with no extra connection held for `LISTEN`.

use super::AppState;
use crate::spatial::SharedIndex;
use crate::store::Store;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Starts the poll task for `state`, unless polling is off (`registry_poll_ms = 0`). The task
/// ends by itself once every clone of the state is gone.
pub fn spawn_registry_poll(state: &AppState, known: i64) {
    let every = state.settings.registry_poll_ms;
    if every == 0 {
        return;
    }
    let index: Weak<SharedIndex> = Arc::downgrade(&state.index);
    let store = state.store.clone();
    let writer = state.writer.clone();
    tokio::spawn(poll(
        index,
        store,
        writer,
        known,
        Duration::from_millis(every),
    ));
}

async fn poll(
    index: Weak<SharedIndex>,
    store: Store,
    writer: Arc<tokio::sync::Mutex<()>>,
    mut known: i64,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate
    loop {
        tick.tick().await;
        let Some(index) = index.upgrade() else {
            return; // the service is gone
        };
        match store.registry_version().await {
            Ok(v) if v == known => {}
            Ok(v) => {
                // Under the write lock, so a local admin write and this reload do not interleave.
                let _w = writer.lock().await;
                match store.load_registry().await {
                    Ok(reg) => {
                        index.replace(reg);
                        known = v;
                        tracing::info!(version = v, "outlets changed in the database; reloaded");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "reloading the outlets failed; will retry")
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading the registry version failed; will retry"),
        }
    }
}
