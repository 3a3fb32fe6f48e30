//! The JSON shapes of the ledger's writes (`Purchase`, `NewHousehold`, `NewCard`, a batch of
//! purchases), as the HTTP API reads them with serde_json: no panic, and whatever is accepted
//! serialises and reads back equal. The first byte picks the shape.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;
use storenet::ledger::{NewCard, NewHousehold, Purchase};

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + Debug>(data: &[u8]) {
    if let Ok(x) = serde_json::from_slice::<T>(data) {
        let text = serde_json::to_vec(&x).expect("serialising what we read");
        let again: T = serde_json::from_slice(&text).unwrap_or_else(|e| {
            panic!(
                "{x:?} written as {} does not read back: {e}",
                String::from_utf8_lossy(&text)
            )
        });
        assert_eq!(x, again);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 4 {
        0 => round_trip::<Purchase>(body),
        1 => round_trip::<Vec<Purchase>>(body),
        2 => round_trip::<NewHousehold>(body),
        _ => round_trip::<NewCard>(body),
    }
});
