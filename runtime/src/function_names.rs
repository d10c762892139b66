//! Function names from a module's `name` section, for backtraces.
//!
//! Kept as the section's bytes and searched when a backtrace names a frame,
//! not read into a map at load: a warm start of SQLite over libc.so spent
//! about 3% of its samples building maps of some 5,000 names (one string
//! each) that no trap ever asked for.

use std::sync::Arc;
use wasmparser::{BinaryReader, Name, NameSectionReader};

/// The function names of one module (none if it has no name section).
#[derive(Clone, Default)]
pub(crate) struct FunctionNames {
    section: Option<Arc<[u8]>>,
}

impl std::fmt::Debug for FunctionNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.section.as_ref().map_or(0, |s| s.len());
        write!(f, "FunctionNames({len} bytes of name section)")
    }
}

impl FunctionNames {
    /// Names kept as the bytes of a `name` custom section's payload.
    pub fn new(section: &[u8]) -> FunctionNames {
        FunctionNames {
            section: Some(section.into()),
        }
    }

    /// The name of function `index`, if the section names it. Names are a
    /// debugging aid: a malformed section names nothing past its fault.
    pub fn get(&self, index: u32) -> Option<String> {
        let section = self.section.as_deref()?;
        let reader = NameSectionReader::new(BinaryReader::new(section, 0));
        for name in reader.into_iter().map_while(Result::ok) {
            if let Name::Function(map) = name {
                return map
                    .into_iter()
                    .map_while(Result::ok)
                    .find(|naming| naming.index == index)
                    .map(|naming| naming.name.to_string());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::FunctionNames;

    /// A name section payload with a module name and function names
    /// 0 = "first", 2 = "third".
    fn section() -> Vec<u8> {
        let mut functions = vec![2, 0, 5];
        functions.extend(b"first");
        functions.extend([2, 5]);
        functions.extend(b"third");
        let mut bytes = vec![0, 4, 3];
        bytes.extend(b"mod");
        bytes.extend([1, functions.len() as u8]);
        bytes.extend(functions);
        bytes
    }

    #[test]
    fn names_are_found_by_function_index() {
        let names = FunctionNames::new(&section());
        assert_eq!(names.get(0).as_deref(), Some("first"));
        assert_eq!(names.get(2).as_deref(), Some("third"));
        assert_eq!(names.get(1), None);
        assert_eq!(FunctionNames::default().get(0), None);
    }

    #[test]
    fn a_cut_section_names_what_comes_before_the_cut() {
        let bytes = section();
        for len in 0..bytes.len() {
            let names = FunctionNames::new(&bytes[..len]);
            assert_eq!(names.get(2), None, "cut to {len}");
            let _ = names.get(0);
        }
    }
}
