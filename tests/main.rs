//! Integration tests, one binary (so linking happens once).

mod api;
mod cli;
mod dylink;
mod engine;
mod signals;
mod stress;
