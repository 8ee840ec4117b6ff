//! kindred: every customer's product recommendations from a transaction export, as Parquet.
//!
//! Collaborative filtering on purchase history, computed for every customer: the article's
//! user-based cosine (sparse, exact), item-to-item cosine, or EASE (`[model] kind`). Stages,
//! one module each, data flowing one way:
//! [`ingest`] → [`audit`] → [`clean`] → [`pivot`] → [`similarity`] → [`recommend`] → [`drift`] →
//! [`write`] → [`report`]
//! (each role's parsing, shared by ingest and audit, in [`roles`] beneath them),
//! chained in one place ([`chain::Chain`]) that [`pipeline::run`], [`evaluate`] and [`bench`]
//! share, and published atomically by [`publish`]; [`status`] reads an output folder's health.

pub mod audit;
pub mod bench;
pub mod chain;
pub mod checksum;
pub mod clean;
pub mod config;
pub mod drift;
pub mod error;
pub mod evaluate;
pub mod explain;
pub mod generate;
pub mod ingest;
pub mod pipeline;
pub mod pivot;
pub mod progress;
pub mod publish;
pub mod recommend;
pub mod report;
pub mod roles;
pub mod select;
pub mod shard;
pub mod similarity;
pub mod status;
pub mod words;
pub mod write;
