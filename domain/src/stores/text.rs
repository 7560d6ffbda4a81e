//! Checks on free text entered by people (names, locations, SKUs, descriptions, card tokens):
//! trimmed, bounded in characters (not bytes) and free of control characters, so that one event
//! stays far below the NATS `max_payload` and nothing invisible reaches a read model or a
//! terminal. Each context maps a [`TextFault`] to its own coded error.

/// What is wrong with a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextFault {
    /// Nothing but whitespace (only for required text).
    Blank,
    /// More characters than allowed (after trimming).
    TooLong,
    /// A control character (NUL, ESC, DEL, …) where none may appear.
    Control,
}

/// Which control characters a kind of text tolerates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    /// A single line: no control character at all.
    Single,
    /// Multi-line text: line feed, carriage return and tab are allowed, other controls are not.
    Multi,
}

/// Trims `text` and checks it: not blank when `required`, at most `max_chars` characters and no
/// control character beyond what `lines` allows.
pub(crate) fn checked(
    text: &str,
    max_chars: usize,
    required: bool,
    lines: Lines,
) -> Result<String, TextFault> {
    let trimmed = text.trim();
    if required && trimmed.is_empty() {
        return Err(TextFault::Blank);
    }
    // Count at most max_chars + 1 characters: a 1 MiB input costs no more than a short one.
    if trimmed.chars().take(max_chars + 1).count() > max_chars {
        return Err(TextFault::TooLong);
    }
    let allowed = |c: char| lines == Lines::Multi && matches!(c, '\n' | '\r' | '\t');
    if trimmed.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(TextFault::Control);
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        let omega = "Ω".repeat(5); // 10 bytes
        assert_eq!(checked(&omega, 5, true, Lines::Single), Ok(omega.clone()));
        assert_eq!(
            checked(&"Ω".repeat(6), 5, true, Lines::Single),
            Err(TextFault::TooLong)
        );
    }

    #[test]
    fn trims_before_measuring_and_refuses_blank_when_required() {
        assert_eq!(checked("  ab  ", 2, true, Lines::Single), Ok("ab".into()));
        assert_eq!(
            checked(" \t ", 2, true, Lines::Single),
            Err(TextFault::Blank)
        );
        assert_eq!(checked(" \t ", 2, false, Lines::Single), Ok(String::new()));
    }

    #[test]
    fn control_characters_are_refused_except_line_breaks_in_multi_line_text() {
        assert_eq!(
            checked("a\0b", 9, true, Lines::Single),
            Err(TextFault::Control)
        );
        assert_eq!(
            checked("a\nb", 9, true, Lines::Single),
            Err(TextFault::Control)
        );
        assert_eq!(
            checked("a\nb\tc", 9, true, Lines::Multi),
            Ok("a\nb\tc".into())
        );
        assert_eq!(
            checked("a\u{1b}[2J", 9, true, Lines::Multi),
            Err(TextFault::Control)
        );
        assert_eq!(
            checked("a\u{7f}", 9, true, Lines::Multi),
            Err(TextFault::Control)
        );
        // Format characters (RTL override) and combining marks are text, not controls.
        assert!(checked("\u{202e}abc\u{202c}", 9, true, Lines::Single).is_ok());
        assert!(checked("Cafe\u{301}", 9, true, Lines::Single).is_ok());
    }
}
