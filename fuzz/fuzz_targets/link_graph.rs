//! The link planner on random module graphs: a main and up to five
//! libraries, valid modules with `dylink.0`, built from the input: NEEDED
//! edges (cycles and self-references included), functions and data symbols
//! exported under a small pool of names (so duplicates across libraries
//! are common), imports of those names from `env` with the right or a wrong
//! signature, `GOT.mem` and `GOT.func` imports, weak imports, and
//! constructors that call imports, and exception tags (defined and exported,
//! or imported from `env`; functions that throw them). The main's `_start`
//! calls every import, every `GOT.func` pointer and reads every `GOT.mem`
//! address, optionally inside a `try_table (catch_all)`.
//!
//! Checked: loading and running give a value (loaded and an exit status, an
//! error, a trap), never a panic or crash; and the same graph loaded again
//! in a fresh process gives the same outcome (symbol resolution must not
//! depend on hash order or on what an earlier process did).
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;

mod common;
use common::engine;
use wasm_encoder::{
    BlockType, Catch, CodeSection, ConstExpr, CustomSection, EntityType, ExportKind, ExportSection,
    Function, FunctionSection, GlobalSection, GlobalType, ImportSection, Instruction, MemArg,
    MemArgTarget, MemoryType, Module, RefType, TableType, TagKind, TagSection, TagType,
    TypeSection, ValType,
};

/// Names symbols are drawn from (few, so libraries collide).
const FUNCS: [&str; 4] = ["alpha", "beta", "gamma", "delta"];
const DATA: [&str; 3] = ["table_x", "table_y", "counter"];
const TAGS: [&str; 2] = ["err", "oops"];

/// Function signatures: () -> i32 and (i32) -> i32.
const SIG_NULLARY: u32 = 0;
const SIG_UNARY: u32 = 1;
const SIG_START: u32 = 2;
/// A tag's type: (i32) -> ().
const SIG_TAG: u32 = 3;

#[derive(Debug, Arbitrary)]
struct Graph {
    libs: [Option<Object>; 5],
    main: Object,
}

#[derive(Debug, Arbitrary)]
struct Object {
    /// Indices into `libs` (mod 5; missing libraries included).
    needed: Vec<u8>,
    /// (name, unary?, returned constant, throws the object's tag instead?)
    funcs: Vec<(u8, bool, i8, bool)>,
    /// A tag: (name, defined and exported here? else imported from env)
    tag: Option<(u8, bool)>,
    /// The main's `_start` catches everything.
    catch_all: bool,
    /// (name, offset in the object's data)
    data: Vec<(u8, u8)>,
    /// (kind, name, unary?, weak?): kind 0 env func, 1 GOT.func, 2 GOT.mem
    imports: Vec<(u8, u8, bool, bool)>,
    memory_size: u8,
    table_size: u8,
    /// Export a constructor that calls the first imported function.
    ctor: bool,
}

fn leb(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn name(out: &mut Vec<u8>, s: &str) {
    leb(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

fn lib_name(i: usize) -> String {
    format!("lib{i}.wasm")
}

/// The `dylink.0` section: memory info, NEEDED, weak import flags.
fn dylink(object: &Object, weak: &[(&str, String)]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut mem = Vec::new();
    leb(&mut mem, u32::from(object.memory_size) * 4);
    leb(&mut mem, 2);
    leb(&mut mem, u32::from(object.table_size % 8));
    leb(&mut mem, 0);
    data.push(1);
    leb(&mut data, mem.len() as u32);
    data.extend(mem);
    if !object.needed.is_empty() {
        let mut needed = Vec::new();
        let names: Vec<String> = object
            .needed
            .iter()
            .take(6)
            .map(|n| lib_name(usize::from(*n) % 5))
            .collect();
        leb(&mut needed, names.len() as u32);
        for n in &names {
            name(&mut needed, n);
        }
        data.push(2);
        leb(&mut data, needed.len() as u32);
        data.extend(needed);
    }
    if !weak.is_empty() {
        let mut info = Vec::new();
        leb(&mut info, weak.len() as u32);
        for (module, field) in weak {
            name(&mut info, module);
            name(&mut info, field);
            leb(&mut info, 1); // WASM_SYMBOL_BINDING_WEAK
        }
        data.push(4);
        leb(&mut data, info.len() as u32);
        data.extend(info);
    }
    data
}

/// One object as a module. `is_main` adds `_start`, which calls every
/// function import and GOT.func pointer and reads every GOT.mem address.
fn build(object: &Object, is_main: bool) -> Vec<u8> {
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    types.ty().function([ValType::I32], [ValType::I32]);
    types.ty().function([], []);
    types.ty().function([ValType::I32], []);

    let mut imports = ImportSection::new();
    imports.import(
        "env",
        "memory",
        MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        },
    );
    imports.import(
        "env",
        "__indirect_function_table",
        TableType {
            element_type: RefType::FUNCREF,
            minimum: 0,
            maximum: None,
            table64: false,
            shared: false,
        },
    );
    let i32_global = |mutable| GlobalType {
        val_type: ValType::I32,
        mutable,
        shared: false,
    };
    imports.import("env", "__memory_base", i32_global(false));
    imports.import("env", "__table_base", i32_global(false));
    let mut num_globals = 2u32;
    let mut func_imports = Vec::new(); // (func index, unary)
    let mut got_funcs = Vec::new(); // (global index, unary)
    let mut got_mems = Vec::new(); // global index
    let mut weak = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (kind, n, unary, is_weak) in object.imports.iter().take(8) {
        let (module, field) = match kind % 3 {
            0 => ("env", FUNCS[usize::from(*n) % FUNCS.len()]),
            1 => ("GOT.func", FUNCS[usize::from(*n) % FUNCS.len()]),
            _ => ("GOT.mem", DATA[usize::from(*n) % DATA.len()]),
        };
        if !seen.insert((module, field)) {
            continue;
        }
        match kind % 3 {
            0 => {
                let sig = if *unary { SIG_UNARY } else { SIG_NULLARY };
                imports.import(module, field, EntityType::Function(sig));
                func_imports.push((func_imports.len() as u32, *unary));
            }
            1 => {
                imports.import(module, field, i32_global(true));
                got_funcs.push((num_globals, *unary));
                num_globals += 1;
            }
            _ => {
                imports.import(module, field, i32_global(true));
                got_mems.push(num_globals);
                num_globals += 1;
            }
        }
        if *is_weak {
            weak.push((module, field.to_string()));
        }
    }
    let num_imported_funcs = func_imports.len() as u32;
    let tag_type = TagType {
        kind: TagKind::Exception,
        func_type_idx: SIG_TAG,
    };
    let mut tags = TagSection::new();
    let tag = object.tag.map(|(n, define)| {
        let field = TAGS[usize::from(n) % TAGS.len()];
        if define {
            tags.tag(tag_type);
        } else {
            imports.import("env", field, EntityType::Tag(tag_type));
        }
        (field, define)
    });

    let mut functions = FunctionSection::new();
    let mut code = CodeSection::new();
    let mut exports = ExportSection::new();
    let mut exported = std::collections::HashSet::new();
    let mut next_func = num_imported_funcs;
    for (n, unary, value, throws) in object.funcs.iter().take(6) {
        let field = FUNCS[usize::from(*n) % FUNCS.len()];
        let mut f = Function::new([]);
        f.instruction(&Instruction::I32Const(i32::from(*value)));
        if *unary {
            f.instruction(&Instruction::LocalGet(0));
            f.instruction(&Instruction::I32Add);
        }
        if *throws && tag.is_some() {
            // The object's one tag is index 0 (imported or defined).
            f.instruction(&Instruction::Throw(0));
        }
        f.instruction(&Instruction::End);
        functions.function(if *unary { SIG_UNARY } else { SIG_NULLARY });
        code.function(&f);
        if exported.insert(field) {
            exports.export(field, ExportKind::Func, next_func);
        }
        next_func += 1;
    }
    if let Some((field, true)) = tag {
        if exported.insert(field) {
            exports.export(field, ExportKind::Tag, 0);
        }
    }
    let mut globals = GlobalSection::new();
    let mut next_global = num_globals;
    for (n, offset) in object.data.iter().take(4) {
        let field = DATA[usize::from(*n) % DATA.len()];
        if exported.insert(field) {
            globals.global(i32_global(false), &ConstExpr::i32_const(i32::from(*offset)));
            exports.export(field, ExportKind::Global, next_global);
            next_global += 1;
        }
    }
    // The body shared by `_start` and the constructor: call what it
    // imports, through GOT.func pointers too, and read GOT.mem cells.
    let catch_all = is_main && object.catch_all;
    let body = |calls_only_first: bool| {
        let mut f = Function::new([]);
        if catch_all && !calls_only_first {
            f.instruction(&Instruction::Block(BlockType::Empty));
            f.instruction(&Instruction::TryTable(
                BlockType::Empty,
                vec![Catch::All { label: 0 }].into(),
            ));
        }
        for (index, unary) in &func_imports {
            if *unary {
                f.instruction(&Instruction::I32Const(1));
            }
            f.instruction(&Instruction::Call(*index));
            f.instruction(&Instruction::Drop);
            if calls_only_first {
                break;
            }
        }
        if !calls_only_first {
            for (global, unary) in &got_funcs {
                if *unary {
                    f.instruction(&Instruction::I32Const(2));
                }
                f.instruction(&Instruction::GlobalGet(*global));
                f.instruction(&Instruction::CallIndirect {
                    type_index: if *unary { SIG_UNARY } else { SIG_NULLARY },
                    table_index: 0,
                });
                f.instruction(&Instruction::Drop);
            }
            for global in &got_mems {
                f.instruction(&Instruction::GlobalGet(*global));
                f.instruction(&Instruction::I32Load(MemArg {
                    offset: 0,
                    align: 0,
                    target: MemArgTarget::Memory(0),
                    ordering: None,
                }));
                f.instruction(&Instruction::Drop);
            }
        }
        if catch_all && !calls_only_first {
            f.instruction(&Instruction::End);
            f.instruction(&Instruction::End);
        }
        f.instruction(&Instruction::End);
        f
    };
    if is_main {
        functions.function(SIG_START);
        code.function(&body(false));
        exports.export("_start", ExportKind::Func, next_func);
        next_func += 1;
    }
    if object.ctor {
        functions.function(SIG_START);
        code.function(&body(true));
        exports.export("__wasm_call_ctors", ExportKind::Func, next_func);
    }

    let mut module = Module::new();
    module.section(&CustomSection {
        name: "dylink.0".into(),
        data: dylink(object, &weak).into(),
    });
    module.section(&types);
    module.section(&imports);
    module.section(&functions);
    if !tags.is_empty() {
        module.section(&tags);
    }
    module.section(&globals);
    module.section(&exports);
    module.section(&code);
    module.finish()
}

/// Loads and runs the graph in a fresh process; the outcome as text.
fn outcome(dir: &std::path::Path, main: &[u8]) -> String {
    let quiet = wrun::wasi::WasiCtx::builder().inherit_stdio(false).build();
    let config = wrun::ProcessConfig::new().lib_path(dir).wasi(quiet).limits(
        wrun::StoreLimits::new()
            .memory_size(64 << 20)
            .table_elements(100_000),
    );
    let mut process = match wrun::Process::new(engine(), config) {
        Ok(p) => p,
        Err(e) => return format!("process: {e}"),
    };
    process.store_mut().set_epoch_deadline(20);
    // Interrupts depend on timing, not on the graph: one that stops a
    // constructor (while loading) or `_start` is not compared.
    let interrupted = |e: &wrun::Error| e.trap() == Some(wrun::Trap::Interrupt);
    match process.load_main_bytes("main.wasm", main) {
        Err(e) if interrupted(&e) => "interrupt".to_string(),
        Err(e) => format!("load: {e}"),
        Ok(()) => match process.run_start() {
            Ok(status) => format!("exit {status}"),
            Err(e) if interrupted(&e) => "interrupt".to_string(),
            Err(e) => format!("run: {e}"),
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(graph) = Graph::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("wrun-fuzz-graph-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (i, lib) in graph.libs.iter().enumerate() {
        if let Some(lib) = lib {
            std::fs::write(dir.join(lib_name(i)), build(lib, false)).unwrap();
        }
    }
    let main = build(&graph.main, true);
    if let Some(path) = std::env::var_os("WRUN_FUZZ_DUMP") {
        std::fs::write(path, &main).unwrap();
    }
    let first = outcome(&dir, &main);
    let second = outcome(&dir, &main);
    // WRUN_FUZZ_VERBOSE=1 prints each outcome (to see what the inputs reach).
    if std::env::var_os("WRUN_FUZZ_VERBOSE").is_some() {
        eprintln!("outcome: {first}");
    }
    if first != "interrupt" && second != "interrupt" {
        assert_eq!(first, second, "the same graph linked differently");
    }
});
