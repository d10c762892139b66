//! Compile-time description of a module: everything the compiler and the
//! instantiator need, read once from the validated bytes. Holds no process
//! state (see `vm` for that).

use crate::dylink::DylinkInfo;
use crate::error::{Error, Result};
use crate::function_names::FunctionNames;
use crate::types::{ExternType, FuncType, GlobalType, MemoryType, TableType, ValType};
use hashbrown::HashMap;
use wasmparser::{KnownCustom, Name, Parser, Payload};

/// A constant expression (global initialisers, segment offsets, element items).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ConstExpr {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    RefNull,
    RefFunc(u32),
    GlobalGet(u32),
    /// An extended constant expression (the extended-const proposal, which
    /// wasm-ld uses for `global.get __memory_base` + `i32.const` offsets):
    /// index into [`ModuleInfo::extended_consts`].
    Extended(u32),
}

/// One operator of an extended constant expression (a stack machine).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ConstOp {
    I32(i32),
    I64(i64),
    GlobalGet(u32),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

impl ConstExpr {
    /// Reads `expr`; an expression of more than one operator is kept in
    /// `extended` (validation has checked it is well typed).
    fn parse(
        expr: &wasmparser::ConstExpr<'_>,
        extended: &mut Vec<Box<[ConstOp]>>,
    ) -> Result<ConstExpr> {
        use wasmparser::Operator as O;
        let mut ops = Vec::new();
        let mut single = None;
        let mut reader = expr.get_operators_reader();
        loop {
            let op = reader.read()?;
            let item = match op {
                O::End => break,
                O::I32Const { value } => (ConstExpr::I32(value), Some(ConstOp::I32(value))),
                O::I64Const { value } => (ConstExpr::I64(value), Some(ConstOp::I64(value))),
                O::F32Const { value } => (ConstExpr::F32(value.bits()), None),
                O::F64Const { value } => (ConstExpr::F64(value.bits()), None),
                O::RefNull { .. } => (ConstExpr::RefNull, None),
                O::RefFunc { function_index } => (ConstExpr::RefFunc(function_index), None),
                O::GlobalGet { global_index } => (
                    ConstExpr::GlobalGet(global_index),
                    Some(ConstOp::GlobalGet(global_index)),
                ),
                O::I32Add => (ConstExpr::RefNull, Some(ConstOp::I32Add)),
                O::I32Sub => (ConstExpr::RefNull, Some(ConstOp::I32Sub)),
                O::I32Mul => (ConstExpr::RefNull, Some(ConstOp::I32Mul)),
                O::I64Add => (ConstExpr::RefNull, Some(ConstOp::I64Add)),
                O::I64Sub => (ConstExpr::RefNull, Some(ConstOp::I64Sub)),
                O::I64Mul => (ConstExpr::RefNull, Some(ConstOp::I64Mul)),
                O::V128Const { value } => (ConstExpr::V128(value.i128() as u128), None),
                other => {
                    return Err(Error::unsupported(format!(
                        "constant expression operator {other:?}"
                    )));
                }
            };
            if single.is_none() && ops.is_empty() {
                single = Some(item.0);
            }
            ops.push(item.1);
        }
        if ops.len() == 1 {
            return single.ok_or_else(|| Error::msg("empty constant expression"));
        }
        let ops = ops
            .into_iter()
            .collect::<Option<Box<[ConstOp]>>>()
            .ok_or_else(|| Error::unsupported("this extended constant expression"))?;
        extended.push(ops);
        Ok(ConstExpr::Extended(extended.len() as u32 - 1))
    }
}

/// Evaluates an extended constant expression; `global` reads a global's
/// raw bits. Arithmetic wraps, as in code.
pub(crate) fn eval_extended(ops: &[ConstOp], global: impl Fn(u32) -> u128) -> u128 {
    let mut stack: Vec<u64> = Vec::with_capacity(4);
    for op in ops {
        let value = match *op {
            ConstOp::I32(v) => u64::from(v as u32),
            ConstOp::I64(v) => v as u64,
            ConstOp::GlobalGet(g) => global(g) as u64,
            binary => {
                let b = stack.pop().unwrap_or(0);
                let a = stack.pop().unwrap_or(0);
                let (a32, b32) = (a as u32, b as u32);
                match binary {
                    ConstOp::I32Add => u64::from(a32.wrapping_add(b32)),
                    ConstOp::I32Sub => u64::from(a32.wrapping_sub(b32)),
                    ConstOp::I32Mul => u64::from(a32.wrapping_mul(b32)),
                    ConstOp::I64Add => a.wrapping_add(b),
                    ConstOp::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                }
            }
        };
        stack.push(value);
    }
    u128::from(stack.pop().unwrap_or(0))
}

/// What an import or export refers to, by index in its index space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityIndex {
    /// A function index.
    Func(u32),
    /// A table index.
    Table(u32),
    /// A memory index.
    Memory(u32),
    /// A global index.
    Global(u32),
    /// An exception tag index.
    Tag(u32),
}

/// One import.
#[derive(Debug, Clone)]
pub struct Import {
    /// Module name (e.g. `env`, `GOT.mem`).
    pub module: String,
    /// Field name.
    pub name: String,
    /// The slot it fills.
    pub index: EntityIndex,
    /// The type it must have.
    pub ty: ExternType,
}

/// An element segment.
#[derive(Debug, Clone)]
pub(crate) struct ElementSegment {
    pub mode: SegmentMode,
    pub items: Vec<ConstExpr>,
}

/// A data segment. Its bytes stay in the module's bytes (kept with its
/// code, `Module::data_segment`), not copied out at load.
#[derive(Debug, Clone)]
pub(crate) struct DataSegment {
    pub mode: SegmentMode,
    /// Where the segment's bytes are in the module's bytes.
    pub range: std::ops::Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SegmentMode {
    Passive,
    Declared,
    Active { index: u32, offset: ConstExpr },
}

/// Everything about a module except its code.
#[derive(Debug, Default)]
pub(crate) struct ModuleInfo {
    pub name: Option<String>,
    pub types: Vec<FuncType>,
    /// Type index of every function, imported ones first.
    pub functions: Vec<u32>,
    pub tables: Vec<TableType>,
    pub memories: Vec<MemoryType>,
    pub globals: Vec<GlobalType>,
    /// Initialisers of defined globals.
    pub global_inits: Vec<ConstExpr>,
    /// Bodies of the extended constant expressions ([`ConstExpr::Extended`]).
    pub extended_consts: Vec<Box<[ConstOp]>>,
    pub num_imported_funcs: u32,
    pub num_imported_tables: u32,
    pub num_imported_memories: u32,
    pub num_imported_globals: u32,
    /// For each imported global, its slot among the immutable ones, whose
    /// values are copied into the vmctx (`VmOffsets::imported_constant`).
    pub imported_constant_slots: Vec<Option<u32>>,
    /// Type index of every exception tag, imported ones first.
    pub tags: Vec<u32>,
    pub num_imported_tags: u32,
    pub imports: Vec<Import>,
    /// Exports in order. The names are shared: the index below and every
    /// process's symbol scope key them without copying.
    pub exports: Vec<(std::sync::Arc<str>, EntityIndex)>,
    pub export_index: HashMap<std::sync::Arc<str>, EntityIndex>,
    pub start: Option<u32>,
    pub elements: Vec<ElementSegment>,
    pub data: Vec<DataSegment>,
    pub func_names: FunctionNames,
    pub dylink: Option<DylinkInfo>,
}

impl ModuleInfo {
    /// Signature of function `index`.
    pub fn func_type(&self, index: u32) -> &FuncType {
        &self.types[self.functions[index as usize] as usize]
    }

    /// How many imported globals are immutable (have a copy in the vmctx).
    pub fn num_imported_constants(&self) -> u32 {
        self.imported_constant_slots.iter().flatten().count() as u32
    }

    /// The type of an entity.
    pub fn entity_type(&self, index: EntityIndex) -> ExternType {
        match index {
            EntityIndex::Func(i) => ExternType::Func(self.func_type(i).clone()),
            EntityIndex::Table(i) => ExternType::Table(self.tables[i as usize]),
            EntityIndex::Memory(i) => ExternType::Memory(self.memories[i as usize]),
            EntityIndex::Global(i) => ExternType::Global(self.globals[i as usize]),
            EntityIndex::Tag(i) => ExternType::Tag(self.tag_type(i).clone()),
        }
    }

    /// The signature of tag `index` (its params are the exception's values).
    pub fn tag_type(&self, index: u32) -> &FuncType {
        &self.types[self.tags[index as usize] as usize]
    }
}

fn table_type(t: &wasmparser::TableType) -> Result<TableType> {
    Ok(TableType {
        element: ValType::from_ref(t.element_type)?,
        minimum: t.initial,
        maximum: t.maximum,
    })
}

fn memory_type(m: &wasmparser::MemoryType) -> Result<MemoryType> {
    if m.memory64 || m.shared || m.page_size_log2.is_some() {
        return Err(Error::unsupported(
            "memory64, shared or custom-page-size memories",
        ));
    }
    Ok(MemoryType {
        minimum: m.initial,
        maximum: m.maximum,
    })
}

fn global_type(g: &wasmparser::GlobalType) -> Result<GlobalType> {
    if g.shared {
        return Err(Error::unsupported("shared globals"));
    }
    Ok(GlobalType {
        content: ValType::from_wasm(g.content_type)?,
        mutable: g.mutable,
    })
}

/// Reads a (validated) module. Returns the info and the function bodies;
/// without `with_bodies`, the code section is skipped (its contents past
/// the function count may be left out of `bytes`: `module_file`) and no
/// bodies are returned.
pub(crate) fn parse(
    bytes: &[u8],
    with_bodies: bool,
) -> Result<(ModuleInfo, Vec<wasmparser::FunctionBody<'_>>)> {
    let mut info = ModuleInfo::default();
    let mut bodies = Vec::new();
    let mut parser = Parser::new(0);
    let mut rest = bytes;
    loop {
        let payload = match parser.parse(rest, true)? {
            wasmparser::Chunk::Parsed { consumed, payload } => {
                rest = &rest[consumed..];
                payload
            }
            // Not given at the end of the input (`eof`); an error if it were.
            wasmparser::Chunk::NeedMoreData(_) => {
                return Err(Error::msg("unexpected end of the module"))
            }
        };
        match payload {
            Payload::End(_) => break,
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group?.types() {
                        let func = match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => f,
                            _ => return Err(Error::unsupported("GC types")),
                        };
                        info.types.push(FuncType::from_wasm(func)?);
                    }
                }
            }
            Payload::ImportSection(reader) => {
                info.imports.reserve_exact(reader.count() as usize);
                for import in reader.into_imports() {
                    read_import(&mut info, import?)?;
                }
            }
            Payload::FunctionSection(reader) => {
                info.functions.reserve_exact(reader.count() as usize);
                for ty in reader {
                    info.functions.push(ty?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table?;
                    if !matches!(table.init, wasmparser::TableInit::RefNull) {
                        return Err(Error::unsupported("table initialiser expressions"));
                    }
                    info.tables.push(table_type(&table.ty)?);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    info.memories.push(memory_type(&memory?)?);
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global?;
                    info.globals.push(global_type(&global.ty)?);
                    info.global_inits.push(ConstExpr::parse(
                        &global.init_expr,
                        &mut info.extended_consts,
                    )?);
                }
            }
            Payload::ExportSection(reader) => {
                let count = reader.count() as usize;
                info.exports.reserve_exact(count);
                info.export_index.reserve(count);
                for export in reader {
                    let export = export?;
                    let index = match export.kind {
                        wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                            EntityIndex::Func(export.index)
                        }
                        wasmparser::ExternalKind::Table => EntityIndex::Table(export.index),
                        wasmparser::ExternalKind::Memory => EntityIndex::Memory(export.index),
                        wasmparser::ExternalKind::Global => EntityIndex::Global(export.index),
                        wasmparser::ExternalKind::Tag => EntityIndex::Tag(export.index),
                    };
                    let name: std::sync::Arc<str> = export.name.into();
                    info.export_index.insert(name.clone(), index);
                    info.exports.push((name, index));
                }
            }
            Payload::StartSection { func, .. } => info.start = Some(func),
            Payload::ElementSection(reader) => {
                for element in reader {
                    info.elements
                        .push(read_element(element?, &mut info.extended_consts)?);
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let mode = match data.kind {
                        wasmparser::DataKind::Passive => SegmentMode::Passive,
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: memory_index,
                            offset: ConstExpr::parse(&offset_expr, &mut info.extended_consts)?,
                        },
                    };
                    // `data.data` is a slice of `bytes`.
                    let start = data.data.as_ptr() as usize - bytes.as_ptr() as usize;
                    info.data.push(DataSegment {
                        mode,
                        range: start..start + data.data.len(),
                    });
                }
            }
            Payload::CodeSectionStart { count, size, .. } => {
                if with_bodies {
                    bodies.reserve_exact(count as usize);
                } else {
                    parser.skip_section();
                    rest = rest.get(size as usize..).ok_or_else(|| {
                        Error::msg("the code section runs past the end of the module")
                    })?;
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            Payload::CustomSection(section) => match section.as_known() {
                KnownCustom::Name(reader) => {
                    info.func_names = FunctionNames::new(section.data());
                    info.name = module_name(reader);
                }
                KnownCustom::Dylink0(reader) => info.dylink = Some(DylinkInfo::read(reader)?),
                _ => {}
            },
            Payload::TagSection(reader) => {
                for tag in reader {
                    info.tags.push(tag?.func_type_idx);
                }
            }
            _ => {}
        }
    }
    Ok((info, bodies))
}

fn read_import(info: &mut ModuleInfo, import: wasmparser::Import<'_>) -> Result<()> {
    let (index, ty) = match import.ty {
        wasmparser::TypeRef::Func(t) | wasmparser::TypeRef::FuncExact(t) => {
            let index = info.functions.len() as u32;
            info.functions.push(t);
            info.num_imported_funcs += 1;
            let ty = info
                .types
                .get(t as usize)
                .cloned()
                .ok_or_else(|| Error::msg("import refers to an unknown type"))?;
            (EntityIndex::Func(index), ExternType::Func(ty))
        }
        wasmparser::TypeRef::Table(t) => {
            let ty = table_type(&t)?;
            info.tables.push(ty);
            info.num_imported_tables += 1;
            (
                EntityIndex::Table(info.tables.len() as u32 - 1),
                ExternType::Table(ty),
            )
        }
        wasmparser::TypeRef::Memory(m) => {
            let ty = memory_type(&m)?;
            info.memories.push(ty);
            info.num_imported_memories += 1;
            (
                EntityIndex::Memory(info.memories.len() as u32 - 1),
                ExternType::Memory(ty),
            )
        }
        wasmparser::TypeRef::Global(g) => {
            let ty = global_type(&g)?;
            info.globals.push(ty);
            info.num_imported_globals += 1;
            let slot = (!ty.mutable).then(|| info.num_imported_constants());
            info.imported_constant_slots.push(slot);
            (
                EntityIndex::Global(info.globals.len() as u32 - 1),
                ExternType::Global(ty),
            )
        }
        wasmparser::TypeRef::Tag(t) => {
            let ty = info
                .types
                .get(t.func_type_idx as usize)
                .cloned()
                .ok_or_else(|| Error::msg("tag import refers to an unknown type"))?;
            info.tags.push(t.func_type_idx);
            info.num_imported_tags += 1;
            (
                EntityIndex::Tag(info.tags.len() as u32 - 1),
                ExternType::Tag(ty),
            )
        }
    };
    info.imports.push(Import {
        module: import.module.to_string(),
        name: import.name.to_string(),
        index,
        ty,
    });
    Ok(())
}

fn read_element(
    element: wasmparser::Element<'_>,
    extended: &mut Vec<Box<[ConstOp]>>,
) -> Result<ElementSegment> {
    let mode = match element.kind {
        wasmparser::ElementKind::Passive => SegmentMode::Passive,
        wasmparser::ElementKind::Declared => SegmentMode::Declared,
        wasmparser::ElementKind::Active {
            table_index,
            offset_expr,
        } => SegmentMode::Active {
            index: table_index.unwrap_or(0),
            offset: ConstExpr::parse(&offset_expr, extended)?,
        },
    };
    let mut items = Vec::new();
    match element.items {
        wasmparser::ElementItems::Functions(reader) => {
            for f in reader {
                items.push(ConstExpr::RefFunc(f?));
            }
        }
        wasmparser::ElementItems::Expressions(_, reader) => {
            for expr in reader {
                items.push(ConstExpr::parse(&expr?, extended)?);
            }
        }
    }
    Ok(ElementSegment { mode, items })
}

/// The module's own name from its name section (function names are read
/// when asked, [`FunctionNames`]). Names are a debugging aid: a malformed
/// name section is ignored, not fatal.
fn module_name(reader: wasmparser::NameSectionReader<'_>) -> Option<String> {
    reader
        .into_iter()
        .map_while(Result::ok)
        .find_map(|name| match name {
            Name::Module { name, .. } => Some(name.to_string()),
            _ => None,
        })
}
