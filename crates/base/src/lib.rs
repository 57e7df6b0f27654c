//! What every gigcheck crate stands on: [`console`] (printing that survives a closed pipe, with
//! the `out!`/`outln!`/`err!`/`errln!` macros), [`webhook_signature`] (Stripe's signing scheme),
//! [`jwt`] (HS256 tokens), [`http_client`] (how HTTP clients are built) and [`text`] (counts
//! with their nouns, did-you-mean). The runner (`gigcheck-core`) and the embedded servers
//! (`gigcheck-servers`) both use these, and neither uses the other.

pub mod console;
pub mod http_client;
pub mod jwt;
pub mod text;
pub mod webhook_signature;
