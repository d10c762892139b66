//! Command-line parsing, in the shape of wasmtime's `run`: options come
//! before the module; everything after it belongs to the guest.

use std::path::PathBuf;

/// Parsed command line.
#[derive(Debug, Default)]
pub struct Options {
    /// The main module.
    pub main: PathBuf,
    /// Guest arguments (argv[1..], or --invoke's arguments).
    pub args: Vec<String>,
    /// `--lib FILE`, in order.
    pub libs: Vec<PathBuf>,
    /// `-L DIR`, in order.
    pub lib_paths: Vec<PathBuf>,
    /// `--dir HOST[::GUEST]`.
    pub dirs: Vec<(PathBuf, String)>,
    /// `--env NAME=VALUE`.
    pub env: Vec<(String, String)>,
    /// `--invoke NAME`.
    pub invoke: Option<String>,
    /// `--stats`.
    pub stats: bool,
    /// `--stack-size BYTES` for a PIE main's stack.
    pub stack_size: Option<u32>,
    /// `--timeout DURATION`: interrupt the guest after this long.
    pub timeout: Option<std::time::Duration>,
    /// `--no-cache`: neither read nor write the on-disk code cache.
    pub no_cache: bool,
    /// `--huge-pages`: transparent huge pages in linear memories.
    pub huge_pages: bool,
    /// `--list`: print the resolved library graph instead of running.
    pub list: bool,
    /// `--preload NAME=FILE`, in order.
    pub preload_modules: Vec<(String, PathBuf)>,
    /// `-W max-memory-size=…,max-table-elements=…,max-instances=…,…`.
    pub limits: wrun::StoreLimits,
    /// `-W max-wasm-stack=BYTES`.
    pub max_wasm_stack: Option<usize>,
    /// `-W max-code-size=BYTES`.
    pub max_code_size: Option<usize>,
    /// `-W simd=y|n` and the other proposal switches, in order.
    pub features: Vec<(Feature, bool)>,
}

/// A WebAssembly proposal that `-W NAME=y|n` turns on or off (wasmtime's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// `simd`
    Simd,
    /// `relaxed-simd`
    RelaxedSimd,
    /// `exceptions`
    Exceptions,
    /// `tail-call`
    TailCall,
    /// `extended-const`
    ExtendedConst,
    /// `multi-memory`
    MultiMemory,
}

impl Feature {
    fn named(name: &str) -> Option<Feature> {
        Some(match name {
            "simd" => Feature::Simd,
            "relaxed-simd" => Feature::RelaxedSimd,
            "exceptions" => Feature::Exceptions,
            "tail-call" => Feature::TailCall,
            "extended-const" => Feature::ExtendedConst,
            "multi-memory" => Feature::MultiMemory,
            _ => return None,
        })
    }

    /// `config` with this proposal turned on or off.
    pub fn apply(self, config: wrun::Config, on: bool) -> wrun::Config {
        match self {
            Feature::Simd => config.wasm_simd(on),
            Feature::RelaxedSimd => config.wasm_relaxed_simd(on),
            Feature::Exceptions => config.wasm_exceptions(on),
            Feature::TailCall => config.wasm_tail_call(on),
            Feature::ExtendedConst => config.wasm_extended_const(on),
            Feature::MultiMemory => config.wasm_multi_memory(on),
        }
    }
}

pub const USAGE: &str = "\
usage: wrun [OPTIONS] <MAIN.wasm> [ARGS]...
       wrun compile <FILE.wasm>...

Runs a WebAssembly program: a main module and the shared libraries it needs
(dylink.0). ARGS become the guest's argv[1..] (or --invoke's arguments).
`wrun compile` compiles modules into the code cache without running them.
WRUN_DEBUG=libs,bindings,init (or all, help) traces the loader on stderr.

Compiled code is kept in a cache directory ($WRUN_CACHE_DIR, else
$XDG_CACHE_HOME/wrun, else ~/.cache/wrun) and mapped from there by later runs,
which then compile nothing and share the code pages between processes.

options:
  --lib <FILE>            load this shared library before main's NEEDED ones (repeatable, in order)
  -L, --lib-path <DIR>    search directory for NEEDED libraries (repeatable; then $WRUN_LIBRARY_PATH)
  --dir <HOST[::GUEST]>   preopen a host directory for the guest (as GUEST, default the same path)
  --env <NAME=VALUE>      set a guest environment variable (repeatable)
  --invoke <NAME>         call this export with ARGS instead of running _start; print its results
  --stack-size <BYTES>    stack size for a PIE main (default 1 MiB)
  --timeout <DURATION>    stop the guest after DURATION (e.g. 500ms, 2s, 1m; a bare number is
                          seconds): it traps with \"interrupt\" and wrun exits 134
  --preload <NAME=FILE>   instantiate FILE first; its exports satisfy imports from module NAME
                          (as wasmtime's --preload; repeatable)
  -W <KEY=N,...>          limits, as wasmtime's -W: max-memory-size (bytes per memory),
                          max-table-elements, max-instances (objects of the process),
                          max-memories, max-tables, max-wasm-stack (bytes); and wrun's
                          max-code-size (bytes of machine code of all objects). Proposals,
                          all on by default: simd, relaxed-simd, exceptions, tail-call,
                          extended-const, multi-memory (=y or =n; a bare name is =y)
  --list                  print the resolved libraries (as ld.so --list / ldd) and exit
  --no-cache              do not use the code cache (compile everything, write nothing)
  --huge-pages            ask for transparent huge pages in linear memory: fewer page faults
                          for a heap that is used, more resident memory for one touched sparsely
  --stats                 print a timing breakdown (read, compile, link, init, run) and what
                          the code cache did on stderr
  -h, --help              print this help
  -V, --version           print the version
";

/// What the command line asks for.
pub enum Command {
    Run(Box<Options>),
    /// `wrun compile FILE...`.
    Compile(Vec<PathBuf>),
    Help,
    Version,
}

/// Parses `args` (without the program name) with lexopt: `--opt value`,
/// `--opt=value` and `-Ldir` all work; the first positional argument is the
/// module and everything after it belongs to the guest.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args: Vec<String> = args.into_iter().collect();
    // A subcommand only as the first word, as wasmtime's: `wrun ./compile`
    // still runs a module named `compile`.
    let parsed = if args.first().is_some_and(|a| a == "compile") {
        args.remove(0);
        parse_compile(args)
    } else {
        parse_lexopt(args)
    };
    parsed.map_err(|e| match e {
        lexopt::Error::UnexpectedOption(option) => format!("unknown option `{option}`"),
        e => e.to_string(),
    })
}

fn parse_lexopt(args: impl IntoIterator<Item = String>) -> Result<Command, lexopt::Error> {
    use lexopt::prelude::*;
    let mut options = Options::default();
    let mut parser = lexopt::Parser::from_args(args);
    let main = loop {
        let Some(arg) = parser.next()? else {
            return Err("no module given".into());
        };
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Long("lib") => options.libs.push(parser.value()?.into()),
            Short('L') | Long("lib-path") => options.lib_paths.push(parser.value()?.into()),
            Long("dir") => {
                let spec = parser.value()?.string()?;
                let (host, guest) = match spec.split_once("::") {
                    Some((h, g)) => (h.to_string(), g.to_string()),
                    None => (spec.clone(), spec.clone()),
                };
                options.dirs.push((host.into(), guest));
            }
            Long("env") => {
                let spec = parser.value()?.string()?;
                let (k, v) = spec
                    .split_once('=')
                    .ok_or_else(|| format!("--env expects NAME=VALUE, got `{spec}`"))?;
                options.env.push((k.to_string(), v.to_string()));
            }
            Long("invoke") => options.invoke = Some(parser.value()?.string()?),
            Long("stack-size") => {
                let v = parser.value()?.string()?;
                let size = v
                    .parse()
                    .map_err(|_| format!("--stack-size expects a number of bytes, got `{v}`"))?;
                options.stack_size = Some(size);
            }
            Long("stats") => options.stats = true,
            Long("no-cache") => options.no_cache = true,
            Long("huge-pages") => options.huge_pages = true,
            Long("list") => options.list = true,
            Short('W') => {
                let spec = parser.value()?.string()?;
                parse_limits(&spec, &mut options)?;
            }
            Long("preload") => {
                let spec = parser.value()?.string()?;
                let (name, file) = spec
                    .split_once('=')
                    .ok_or_else(|| format!("--preload expects NAME=FILE, got `{spec}`"))?;
                options
                    .preload_modules
                    .push((name.to_string(), file.into()));
            }
            Long("timeout") => {
                let v = parser.value()?.string()?;
                options.timeout = Some(parse_duration(&v).ok_or_else(|| {
                    format!("--timeout expects a duration like 500ms, 2s or 1m, got `{v}`")
                })?);
            }
            Value(main) => break main,
            _ => return Err(arg.unexpected()),
        }
    };
    options.main = main.into();
    options.args = parser
        .raw_args()?
        .map(|a| a.string())
        .collect::<Result<_, _>>()?;
    Ok(Command::Run(Box::new(options)))
}

/// `-W` settings: comma-separated `KEY=N` (sizes in bytes).
fn parse_limits(spec: &str, options: &mut Options) -> Result<(), lexopt::Error> {
    for item in spec.split(',').filter(|i| !i.is_empty()) {
        let (key, value) = item.split_once('=').unwrap_or((item, "y"));
        if let Some(feature) = Feature::named(key) {
            let on = match value {
                "y" | "yes" | "true" => true,
                "n" | "no" | "false" => false,
                _ => return Err(format!("-W {key} expects y or n, got `{value}`").into()),
            };
            options.features.push((feature, on));
            continue;
        }
        if !item.contains('=') {
            return Err(format!("-W expects KEY=N, got `{item}`").into());
        }
        let n: u64 = value
            .parse()
            .map_err(|_| format!("-W {key} expects a number, got `{value}`"))?;
        let count = usize::try_from(n).unwrap_or(usize::MAX);
        let limits = options.limits;
        options.limits = match key {
            "max-memory-size" => limits.memory_size(n),
            "max-table-elements" => limits.table_elements(n),
            "max-instances" => limits.instances(count),
            "max-memories" => limits.memories(count),
            "max-tables" => limits.tables(count),
            "max-wasm-stack" => {
                options.max_wasm_stack = Some(count);
                limits
            }
            "max-code-size" => {
                options.max_code_size = Some(count);
                limits
            }
            _ => return Err(format!("-W: unknown setting `{key}`").into()),
        };
    }
    Ok(())
}

fn parse_compile(args: Vec<String>) -> Result<Command, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut files = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Value(file) => files.push(file.into()),
            _ => return Err(arg.unexpected()),
        }
    }
    if files.is_empty() {
        return Err("`wrun compile` needs at least one module".into());
    }
    Ok(Command::Compile(files))
}

/// `500ms`, `2s`, `1.5s`, `1m`, `1h`, or a bare number of seconds.
fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "us" => value / 1e6,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return None,
    };
    std::time::Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Options {
        match parse(args.iter().map(|s| s.to_string())).unwrap() {
            Command::Run(o) => *o,
            _ => panic!("expected a run command"),
        }
    }

    #[test]
    fn options_stop_at_the_module() {
        let o = run(&[
            "--lib",
            "a.wasm",
            "-L",
            "dir",
            "--env=X=1",
            "main.wasm",
            "--lib",
            "-5",
        ]);
        assert_eq!(o.libs, vec![PathBuf::from("a.wasm")]);
        assert_eq!(o.lib_paths, vec![PathBuf::from("dir")]);
        assert_eq!(o.env, vec![("X".to_string(), "1".to_string())]);
        assert_eq!(o.main, PathBuf::from("main.wasm"));
        assert_eq!(o.args, vec!["--lib".to_string(), "-5".to_string()]);
    }

    #[test]
    fn proposal_switches() {
        let o = run(&[
            "-W",
            "simd=n,exceptions,max-instances=3",
            "-W",
            "tail-call=no",
            "m.wasm",
        ]);
        assert_eq!(
            o.features,
            [
                (Feature::Simd, false),
                (Feature::Exceptions, true),
                (Feature::TailCall, false)
            ]
        );
    }

    #[test]
    fn dir_mapping() {
        let o = run(&["--dir", "data::/data", "--dir", "/tmp", "m.wasm"]);
        assert_eq!(o.dirs[0], (PathBuf::from("data"), "/data".to_string()));
        assert_eq!(o.dirs[1], (PathBuf::from("/tmp"), "/tmp".to_string()));
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("5 days"), None);
        assert_eq!(parse_duration("-1s"), None);
    }

    #[test]
    fn compile_is_a_subcommand_only_first() {
        let Ok(Command::Compile(files)) = parse(["compile", "a.wasm", "b.wasm"].map(String::from))
        else {
            panic!("not a compile command");
        };
        assert_eq!(files, [PathBuf::from("a.wasm"), PathBuf::from("b.wasm")]);
        assert!(parse(["compile".to_string()]).is_err());
        let o = run(&["--no-cache", "m.wasm", "compile"]);
        assert!(o.no_cache);
        assert!(!o.huge_pages);
        assert!(run(&["--huge-pages", "m.wasm"]).huge_pages);
        assert_eq!(o.args, ["compile"]);
    }

    #[test]
    fn limits_are_parsed_as_wasmtime_spells_them() {
        let o = run(&[
            "-W",
            "max-memory-size=1048576,max-instances=3",
            "-W",
            "max-wasm-stack=65536",
            "m.wasm",
        ]);
        assert_eq!(o.limits.memory_size, Some(1 << 20));
        assert_eq!(o.limits.instances, Some(3));
        assert_eq!(o.max_wasm_stack, Some(65536));
        assert!(parse(["-W", "bogus=1", "m.wasm"].map(String::from)).is_err());
        assert!(parse(["-W", "simd=maybe", "m.wasm"].map(String::from)).is_err());
        assert!(parse(["-W", "max-tables=x", "m.wasm"].map(String::from)).is_err());
    }

    #[test]
    fn errors_are_reported() {
        assert!(parse(["--invoke".to_string()]).is_err());
        assert!(parse(["--bogus".to_string(), "m.wasm".to_string()]).is_err());
        assert!(parse(Vec::<String>::new()).is_err());
    }
}
