//! `wrun`: runs a WebAssembly program made of a main module and shared libraries.
//!
//! Exit status: the guest's exit code; 134 after a trap (`wasm trap: <message>`
//! on stderr); 1 for a load or link error (one line naming what is missing).

mod options;
mod run;

use options::{parse, Command, USAGE};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let command = match parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("wrun: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let status = match command {
        Command::Help => {
            print!("{USAGE}");
            0
        }
        Command::Version => {
            println!("wrun {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Command::Compile(files) => report(run::compile(&files)),
        Command::Run(options) => report(run::run(&options)),
    };
    let _ = std::io::stdout().flush();
    // Exit statuses are a byte on Unix: a guest status outside it would
    // wrap (256 would look like success), so it is an error instead.
    match u8::try_from(status) {
        Ok(status) => ExitCode::from(status),
        Err(_) => {
            eprintln!("wrun: error: the guest exited with status {status}, outside 0..=255");
            ExitCode::from(1)
        }
    }
}

/// The exit status of a command's outcome, its error printed.
fn report(outcome: wrun::Result<i32>) -> i32 {
    match outcome {
        Ok(code) => code,
        Err(error) => {
            let _ = std::io::stdout().flush();
            if error.trap().is_some() {
                eprintln!("{error}");
            } else if error.exit_code().is_none() {
                eprintln!("wrun: error: {error}");
            }
            // One convention for the CLI and embedders: the exit code,
            // 134 after a trap, 1 for load and link errors.
            error.exit_status()
        }
    }
}
