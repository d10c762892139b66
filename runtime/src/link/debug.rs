//! `WRUN_DEBUG`, the loader's trace switch, like glibc's `LD_DEBUG`: a
//! comma-separated list of what to report on stderr while programs load.
//!
//! - `libs`: each NEEDED name, the directories searched and the file found
//!   (or that a loaded library was reused);
//! - `bindings`: for each import, which object or definition satisfied it;
//! - `init`: each initialiser as it runs, in order;
//! - `all`: everything above; `help`: this list, once.
//!
//! Names from modules are printed escaped (`error::printable`), so a module
//! cannot forge trace lines.

use std::sync::OnceLock;

/// Which traces are on.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Debug {
    pub libs: bool,
    pub bindings: bool,
    pub init: bool,
}

const HELP: &str = "\
WRUN_DEBUG: comma-separated list of
  libs      library search: names, directories searched, files found
  bindings  which object or host definition satisfies each import
  init      initialisers (relocations, constructors) as they run
  all       all of the above
";

/// Parses a `WRUN_DEBUG` value; unknown words are ignored.
pub(crate) fn parse(value: &str) -> (Debug, bool) {
    let mut debug = Debug::default();
    let mut help = false;
    for word in value.split(',').map(str::trim) {
        match word {
            "libs" => debug.libs = true,
            "bindings" => debug.bindings = true,
            "init" => debug.init = true,
            "all" => {
                debug = Debug {
                    libs: true,
                    bindings: true,
                    init: true,
                }
            }
            "help" => help = true,
            _ => {}
        }
    }
    (debug, help)
}

/// The traces `WRUN_DEBUG` asks for, read once per OS process.
pub(crate) fn flags() -> Debug {
    static FLAGS: OnceLock<Debug> = OnceLock::new();
    *FLAGS.get_or_init(|| {
        let value = std::env::var("WRUN_DEBUG").unwrap_or_default();
        let (debug, help) = parse(&value);
        if help {
            eprint!("{HELP}");
        }
        debug
    })
}

/// Prints one trace line.
pub(crate) fn trace(what: &str, line: std::fmt::Arguments<'_>) {
    eprintln!("wrun: {what}: {line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_turn_traces_on() {
        let (d, help) = parse("libs, init,bogus");
        assert!(d.libs && d.init && !d.bindings && !help);
        let (d, help) = parse("all,help");
        assert!(d.libs && d.bindings && d.init && help);
        let (d, _) = parse("");
        assert!(!d.libs && !d.bindings && !d.init);
    }
}
