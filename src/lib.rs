//! tablesafe's server and command-line front end: the only code that knows
//! tonic, prost, axum and clap. Everything else is in `tablesafe-engine`.
#![forbid(unsafe_code)]

pub mod auth;
pub mod client_cli;
pub mod codec;
pub mod config;
pub mod convert;
pub mod demo;
pub mod grpc_health;
pub mod http;
pub mod inspect;
pub mod listener;
pub mod metrics;
pub mod offline;
pub mod offsite_restore;
pub mod proto;
pub mod server;
pub mod service;
pub mod status;
pub mod wire;
