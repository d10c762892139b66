//! Integration tests, one binary (so linking happens once).

mod api;
mod cli;
mod code_cache;
mod dlopen;
mod dylink;
mod engine;
mod exceptions;
mod hostile;
mod real_libs;
mod signals;
mod stress;

/// Compiles WAT text (test helper shared by the modules).
fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat<'_>>(&buf).expect("parse");
    module.encode().expect("encode")
}
