//! Fuzz target `stripe_form`: arbitrary bytes as a request body (or query string) for the Stripe
//! emulator's form parser ([`gigcheck_servers::stripe::form::parse`]).
//!
//! Besides "nothing panics", it checks that a parsed tree, written back as a form body, parses
//! to the same tree (so nothing is lost or invented between the text and the tree), and reads
//! every node the ways the emulator does.

#![no_main]

use gigcheck_servers::stripe::form::{FormValue, encode, parse};
use libfuzzer_sys::fuzz_target;

/// Reads every node as text, hash and list, as the emulator's parameter getters do.
fn walk(value: &FormValue) {
    let _ = value.as_text();
    if let Some(items) = value.as_list() {
        items.into_iter().for_each(walk);
    }
    if let Some(map) = value.as_map() {
        map.values().for_each(walk);
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(map) = parse(&text) else {
        return;
    };
    let _ = FormValue::Map(map.clone()).to_json();
    map.values().for_each(walk);
    let again = encode(&map);
    assert_eq!(
        parse(&again).as_ref(),
        Ok(&map),
        "{text:?} parsed, written back as {again:?}, parses differently"
    );
});
