//! Errors and traps.
//!
//! Everything that can go wrong while reading, compiling, linking or
//! instantiating a module is an [`Error`]; a guest that stops abnormally while
//! running raises a [`Trap`], which travels inside an `Error` of kind
//! [`ErrorKind::Trap`] so callers handle one type.

use std::fmt;
use std::path::PathBuf;

/// Result type used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A load, link, instantiation or execution error. One word wide, so
/// `Result<T>` stays cheap to move.
pub struct Error(Box<ErrorKind>);

/// What went wrong, with the evidence needed to fix it.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The bytes are not a valid WebAssembly module (malformed or invalid).
    Invalid {
        /// What the validator said.
        message: String,
        /// Byte offset in the module where the problem was found.
        offset: usize,
    },
    /// The module uses a feature wrun does not implement yet (e.g. SIMD).
    Unsupported {
        /// The feature.
        feature: String,
    },
    /// Cranelift refused to compile a function (a bug in wrun, never the guest's fault).
    Compile {
        /// The function index in the module.
        func_index: u32,
        /// Cranelift's message.
        message: String,
    },
    /// An import could not be satisfied.
    Link {
        /// The module that asked for the import.
        importer: String,
        /// The symbol, as `module.name` or a bare name.
        symbol: String,
        /// Why it failed: not defined, or the expected vs found type.
        reason: String,
    },
    /// A shared library could not be found on the search path.
    LibraryNotFound {
        /// The name as written in the NEEDED entry or given to `dlopen`.
        name: String,
        /// The module that needs it.
        needed_by: String,
        /// Directories that were searched, in order.
        searched: Vec<PathBuf>,
    },
    /// The guest trapped.
    Trap {
        /// Which trap.
        trap: Trap,
        /// Names of the wasm functions on the stack at the trap, innermost first (where known).
        backtrace: Vec<String>,
    },
    /// The guest asked to exit the process (WASI `proc_exit`).
    Exit(i32),
    /// Anything else, described in words (host function errors, API misuse).
    Message(String),
}

/// `name` (which came from a module: a NEEDED entry, an import) with
/// control characters escaped, so that it cannot forge lines or terminal
/// escapes in a message.
pub(crate) fn printable(name: &str) -> std::borrow::Cow<'_, str> {
    if !name.chars().any(char::is_control) {
        return name.into();
    }
    name.chars()
        .map(|c| match c {
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect::<String>()
        .into()
}

/// Exit status after a trap, as for a native program killed by SIGABRT.
pub const TRAP_EXIT_STATUS: i32 = 134;

impl Error {
    /// Creates an error of the given kind.
    pub fn new(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }

    /// Creates an error with a free-form message.
    pub fn msg(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Message(message.into()))
    }

    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// The trap, if this error is one.
    pub fn trap(&self) -> Option<Trap> {
        match &*self.0 {
            ErrorKind::Trap { trap, .. } => Some(*trap),
            _ => None,
        }
    }

    /// The exit code, if the guest called `proc_exit`.
    pub fn exit_code(&self) -> Option<i32> {
        match &*self.0 {
            ErrorKind::Exit(code) => Some(*code),
            _ => None,
        }
    }

    /// The exit status a command-line runner reports when a program ends
    /// with this error: the `proc_exit` code, [`TRAP_EXIT_STATUS`] after a
    /// trap, and 1 for anything else (load, link or host errors).
    pub fn exit_status(&self) -> i32 {
        match &*self.0 {
            ErrorKind::Exit(code) => *code,
            ErrorKind::Trap { .. } => TRAP_EXIT_STATUS,
            _ => 1,
        }
    }

    pub(crate) fn unsupported(feature: impl Into<String>) -> Self {
        Error::new(ErrorKind::Unsupported {
            feature: feature.into(),
        })
    }

    pub(crate) fn link(
        importer: impl Into<String>,
        symbol: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::new(ErrorKind::Link {
            importer: importer.into(),
            symbol: symbol.into(),
            reason: reason.into(),
        })
    }
}

impl From<Trap> for Error {
    fn from(trap: Trap) -> Self {
        Error::new(ErrorKind::Trap {
            trap,
            backtrace: Vec::new(),
        })
    }
}

impl From<wasmparser::BinaryReaderError> for Error {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        // One line: some of wasmparser's messages embed pretty-printed values.
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        Error::new(ErrorKind::Invalid {
            message,
            offset: e.offset() as usize,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            ErrorKind::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            ErrorKind::Invalid { message, offset } => {
                write!(f, "invalid module: {message} (at offset {offset:#x})")
            }
            ErrorKind::Unsupported { feature } => write!(f, "unsupported feature: {feature}"),
            ErrorKind::Compile {
                func_index,
                message,
            } => write!(f, "failed to compile function {func_index}: {message}"),
            ErrorKind::Link {
                importer,
                symbol,
                reason,
            } => write!(
                f,
                "link error: {}: {}: {reason}",
                printable(importer),
                printable(symbol)
            ),
            ErrorKind::LibraryNotFound {
                name,
                needed_by,
                searched,
            } => {
                write!(
                    f,
                    "library not found: {} (needed by {}; searched",
                    printable(name),
                    printable(needed_by)
                )?;
                if searched.is_empty() {
                    write!(f, " nothing")?;
                }
                for (i, dir) in searched.iter().enumerate() {
                    write!(f, "{} {}", if i == 0 { "" } else { "," }, dir.display())?;
                }
                write!(f, ")")
            }
            ErrorKind::Trap { trap, backtrace } => {
                write!(f, "wasm trap: {trap}")?;
                if !backtrace.is_empty() {
                    write!(f, "\nwasm backtrace:")?;
                    for (i, name) in backtrace.iter().enumerate() {
                        write!(f, "\n  {i}: {name}")?;
                    }
                }
                Ok(())
            }
            ErrorKind::Exit(code) => write!(f, "guest exited with status {code}"),
            ErrorKind::Message(m) => f.write_str(m),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.0 {
            ErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Why a guest stopped abnormally. Messages use the WebAssembly spec's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Trap {
    /// `unreachable` was executed.
    Unreachable,
    /// A load, store or bulk memory operation touched memory out of bounds.
    MemoryOutOfBounds,
    /// A table access (get/set/init/copy/fill) was out of bounds.
    TableOutOfBounds,
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement,
    /// `call_indirect` on a null table entry.
    UninitializedElement,
    /// `call_indirect` on a function of another type.
    IndirectCallTypeMismatch,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// Signed division overflow (`INT_MIN / -1`).
    IntegerOverflow,
    /// A float that is NaN or out of range was converted to an integer.
    BadConversionToInteger,
    /// The wasm stack budget was exhausted (unbounded recursion).
    StackOverflow,
    /// A host function failed; the error travels separately.
    HostError,
    /// The engine's epoch reached the store's deadline (a timeout).
    Interrupt,
    /// A wasm exception was thrown and no handler caught it before the
    /// call returned to the host.
    UncaughtException,
    /// `throw_ref` of a null exnref.
    NullExceptionReference,
    /// More exceptions alive at once than a store keeps
    /// (`vm::exceptions::MAX_LIVE_EXCEPTIONS`): exnrefs are leaking.
    TooManyExceptions,
}

impl Trap {
    /// The spec's wording for this trap.
    pub fn message(self) -> &'static str {
        match self {
            Trap::Unreachable => "unreachable",
            Trap::MemoryOutOfBounds => "out of bounds memory access",
            Trap::TableOutOfBounds => "out of bounds table access",
            Trap::UndefinedElement => "undefined element",
            Trap::UninitializedElement => "uninitialized element",
            Trap::IndirectCallTypeMismatch => "indirect call type mismatch",
            Trap::IntegerDivisionByZero => "integer divide by zero",
            Trap::IntegerOverflow => "integer overflow",
            Trap::BadConversionToInteger => "invalid conversion to integer",
            Trap::StackOverflow => "call stack exhausted",
            Trap::HostError => "host function error",
            Trap::Interrupt => "interrupt",
            Trap::UncaughtException => "uncaught wasm exception",
            Trap::NullExceptionReference => "null exception reference",
            Trap::TooManyExceptions => "too many live exceptions",
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_word() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn trap_messages_use_spec_wording() {
        assert_eq!(Trap::StackOverflow.to_string(), "call stack exhausted");
        assert_eq!(
            Error::from(Trap::MemoryOutOfBounds).to_string(),
            "wasm trap: out of bounds memory access"
        );
    }
}
