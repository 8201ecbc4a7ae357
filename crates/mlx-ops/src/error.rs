//! The one error type of the framework. Every message starts with `[op]`, naming the user-facing
//! operation that rejected its input, like MLX's exceptions.

/// An error from building or evaluating a graph.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Invalid arguments, caught when the graph is built (shape, dtype, axis, ...).
    #[error("[{op}] {msg}")]
    Invalid { op: String, msg: String },
    /// A backend has no kernel for this primitive/dtype.
    #[error("[{op}] Not supported by the {backend} backend: {msg}")]
    Unsupported { op: String, backend: String, msg: String },
    /// A failure that only the data could reveal (e.g. integer division by zero).
    #[error("[{op}] {msg}")]
    Runtime { op: String, msg: String },
}

impl Error {
    /// A graph-build-time validation error for `op`.
    pub fn invalid(op: &str, msg: impl Into<String>) -> Self {
        Error::Invalid { op: op.to_string(), msg: msg.into() }
    }
    /// A primitive the backend cannot run.
    pub fn unsupported(op: &str, backend: &str, msg: impl Into<String>) -> Self {
        Error::Unsupported { op: op.to_string(), backend: backend.to_string(), msg: msg.into() }
    }
    /// An error found while evaluating.
    pub fn runtime(op: &str, msg: impl Into<String>) -> Self {
        Error::Runtime { op: op.to_string(), msg: msg.into() }
    }
    /// The op named at the start of the message.
    pub fn op(&self) -> &str {
        match self {
            Error::Invalid { op, .. } | Error::Unsupported { op, .. } | Error::Runtime { op, .. } => op,
        }
    }
}

/// Result with the framework's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
