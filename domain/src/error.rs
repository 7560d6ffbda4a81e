//! Machine-readable error codes shared by every context's error enum.

/// A rule violation with a stable, machine-readable code such as `"basket.empty"`.
///
/// Codes are `<context>.<rule>` in snake case; the UI and the CLI branch on them, so a shipped code
/// never changes meaning.
pub trait ErrorCode {
    /// The stable code of this error.
    fn code(&self) -> &'static str;
}
