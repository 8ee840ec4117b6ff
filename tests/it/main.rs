//! Integration tests: the real `kindred` binary on the real export and on hand-made files,
//! outputs read back with an independent Parquet reader (arrow-rs's `parquet` crate).

mod arrow_schema;
mod customer_neighbours;
mod customer_type;
mod dates;
mod drift;
mod errors;
mod evaluate;
mod formats;
mod golden;
mod limits;
mod look;
mod messages;
mod missing;
mod models;
mod ops;
mod parquet_types;
mod publish;
mod reader;
mod report;
mod resources;
mod rows;
mod segment;
mod select;
mod shards;
mod workdir;
