//! `gigcheck import`: other tools' collections turned into spec files. Postman Collection v2.1
//! is the one format: [`postman`] reads it, [`convert`] writes specs from it.

pub mod convert;
mod js;
mod names;
pub mod postman;
mod request;
mod script;
mod vars;
