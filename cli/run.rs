//! Loads and runs the program described by the command line.

use crate::options::Options;
use std::time::{Duration, Instant};
use wrun::wasi::{WasiCtx, WasiCtxBuilder};
use wrun::{Engine, Error, Process, ProcessConfig, Result, Val, ValType};

/// Time spent in each phase, for `--stats`.
#[derive(Debug, Default)]
pub struct Stats {
    pub read: Duration,
    pub compile: Duration,
    pub link: Duration,
    pub init: Duration,
    pub run: Duration,
}

impl Stats {
    fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        eprintln!(
            "wrun stats: read {:.3} ms, compile {:.3} ms, link {:.3} ms, init {:.3} ms, run {:.3} ms",
            ms(self.read),
            ms(self.compile),
            ms(self.link),
            ms(self.init),
            ms(self.run)
        );
    }
}

/// Builds the guest's WASI context: argv[0] is the module path, then ARGS.
pub fn wasi_context(options: &Options) -> Result<WasiCtx> {
    let mut argv = vec![options.main.display().to_string()];
    argv.extend(options.args.iter().cloned());
    let mut builder = WasiCtxBuilder::new().args(argv).env(options.env.clone());
    for (host, guest) in &options.dirs {
        builder = builder
            .preopened_dir(host.clone(), guest.clone())
            .map_err(|e| Error::msg(format!("cannot open directory {}: {e}", host.display())))?;
    }
    Ok(builder.build())
}

/// Parses a command-line argument as a value of type `ty`.
pub fn parse_arg(text: &str, ty: ValType) -> Result<Val> {
    let bad = || Error::msg(format!("cannot parse `{text}` as {ty}"));
    Ok(match ty {
        ValType::I32 => Val::I32(
            text.parse::<i32>()
                .or_else(|_| text.parse::<u32>().map(|v| v as i32))
                .map_err(|_| bad())?,
        ),
        ValType::I64 => Val::I64(
            text.parse::<i64>()
                .or_else(|_| text.parse::<u64>().map(|v| v as i64))
                .map_err(|_| bad())?,
        ),
        ValType::F32 => Val::F32(text.parse::<f32>().map_err(|_| bad())?.to_bits()),
        ValType::F64 => Val::F64(text.parse::<f64>().map_err(|_| bad())?.to_bits()),
        _ => {
            return Err(Error::msg(format!(
                "cannot pass a {ty} from the command line"
            )))
        }
    })
}

/// Calls the main's export `name` with ARGS parsed by its signature (through
/// the library's `Process::invoke`) and prints each result on its own line.
pub fn invoke(process: &mut Process, name: &str, args: &[String]) -> Result<()> {
    let ty = match process.get_func(name) {
        Some(func) => func.ty(process.store()),
        // Let the library report the missing export in its own words.
        None => return process.invoke(name, &[]).map(drop),
    };
    if args.len() != ty.params().len() {
        return Err(Error::msg(format!(
            "export `{name}` takes {} arguments ({ty}), {} given",
            ty.params().len(),
            args.len()
        )));
    }
    let params = args
        .iter()
        .zip(ty.params())
        .map(|(a, t)| parse_arg(a, *t))
        .collect::<Result<Vec<_>>>()?;
    for r in process.invoke(name, &params)? {
        println!("{r}");
    }
    Ok(())
}

/// The process configuration the command line describes.
pub fn process_config(options: &Options) -> Result<ProcessConfig> {
    let mut config = ProcessConfig::new()
        .with_env_library_path()
        .stack_size(options.stack_size.unwrap_or(wrun::link::DEFAULT_STACK_SIZE))
        .wasi(wasi_context(options)?);
    config.lib_paths = options.lib_paths.clone();
    config.preload = options.libs.clone();
    config.limits = options.limits;
    config.max_code_size = options.max_code_size;
    Ok(config)
}

/// Runs the program; returns the guest's exit status.
///
/// Every program goes through the process loader, dynamically linked or
/// not: a plain module is a main without libraries.
pub fn run(options: &Options) -> Result<i32> {
    let mut config = wrun::Config::new()
        .epoch_interruption(options.timeout.is_some())
        .memory_huge_pages(options.huge_pages);
    if let Some(bytes) = options.max_wasm_stack {
        config = config.max_wasm_stack(bytes);
    }
    for (feature, on) in &options.features {
        config = feature.apply(config, *on);
    }
    let engine = engine(config, !options.no_cache)?;
    let mut process = Process::new(&engine, process_config(options)?)?;
    if let Some(timeout) = options.timeout {
        // One tick ends it, constructors included; the timer thread is
        // simply left behind if the guest finishes first.
        process.store_mut().set_epoch_deadline(1);
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(timeout);
            engine.increment_epoch();
        });
    }
    for (name, file) in &options.preload_modules {
        process.preload_module(name, file)?;
    }
    if options.list {
        process.link_without_init(&options.main)?;
        print_objects(&process);
        return Ok(0);
    }
    process.load_main(&options.main)?;

    let t = Instant::now();
    let outcome = match &options.invoke {
        Some(export) => wrun::link::exit_status_of(invoke(&mut process, export, &options.args)),
        None => process.run_start(),
    };
    if options.stats {
        print_cache_stats(&engine);
        let load = process.stats();
        Stats {
            read: load.read,
            compile: load.compile,
            link: load.link,
            init: load.init,
            run: t.elapsed(),
        }
        .print();
    }
    // The OS takes the process's memory back at exit faster than freeing
    // it piece by piece (hash maps of symbols, instances, mappings): 9%
    // of a warm start's instructions. Guest output is already
    // written (WASI writes are unbuffered), and what the disk cache still
    // lacks is written now.
    engine.flush_disk_cache();
    std::mem::forget(process);
    outcome
}

/// An engine with `config`, using the default code cache directory when
/// `cache` is on. A cache that cannot be used (no home directory, wrong
/// owner) is a warning, not a failure: the program still runs.
pub fn engine(config: wrun::Config, cache: bool) -> Result<Engine> {
    let dir = if cache {
        wrun::Config::default_cache_dir()
    } else {
        None
    };
    if dir.is_some() {
        match Engine::new(config.clone().cache_dir(dir)) {
            Ok(engine) => return Ok(engine),
            Err(e) => eprintln!("wrun: warning: code cache off: {e}"),
        }
    }
    Engine::new(config)
}

fn print_cache_stats(engine: &Engine) {
    let s = engine.module_cache_stats();
    eprintln!(
        "code cache: {} compiled, {} mapped from the cache, {} written, {} rejected; \
         trampolines: {} compiled, {} from the cache; keys: {} from the file index",
        s.compiled,
        s.disk_hits,
        s.disk_writes,
        s.disk_rejected,
        s.trampolines_compiled,
        s.trampolines_from_disk,
        s.disk_file_keys
    );
}

/// `wrun compile FILE...`: compiles each module into the code cache.
pub fn compile(files: &[std::path::PathBuf]) -> Result<i32> {
    let engine = engine(wrun::Config::new(), true)?;
    if engine.config().cache_dir.is_none() {
        return Err(wrun::Error::msg(
            "no code cache to compile into (set WRUN_CACHE_DIR or HOME)",
        ));
    }
    for file in files {
        let before = engine.module_cache_stats();
        wrun::Module::from_file(&engine, file)?;
        let after = engine.module_cache_stats();
        let what = if after.compiled > before.compiled {
            "compiled"
        } else {
            "already cached"
        };
        println!("{}: {what}", file.display());
    }
    Ok(0)
}

/// `--list`: each object, the file it came from and why it was loaded, and
/// its data and table regions, like `ldd`.
fn print_objects(process: &Process) {
    let objects = process.objects();
    for (i, object) in objects.iter().enumerate() {
        let why = if object.is_main() {
            "main".to_string()
        } else {
            match objects.iter().find(|o| o.needed().contains(&i)) {
                Some(by) => format!("needed by {}", printable(by.name())),
                None => "given with --lib".to_string(),
            }
        };
        println!(
            "{} => {} ({why}) memory {:#x}+{:#x} table {}+{}",
            printable(object.name()),
            object.canonical_path().display(),
            object.memory_base(),
            object.memory_size(),
            object.table_base(),
            object.table_size()
        );
    }
}

/// A module-supplied name with control characters escaped.
fn printable(name: &str) -> String {
    name.chars()
        .flat_map(char::escape_default)
        .collect::<String>()
}
