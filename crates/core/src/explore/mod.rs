//! Exploring a backend from the contract alone, beyond what any scenario asks: requests drawn
//! from the OpenAPI document of [`crate::openapi`]. So far: [`generate`], valid values and the
//! values derived from them that a backend must refuse or handle.

pub mod generate;
