//! Integration tests, one binary (so linking happens once).

mod cli;
mod dylink;
mod engine;
mod signals;
