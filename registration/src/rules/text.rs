//! What the rules share about text as typed: characters a person cannot see.

/// Control, zero-width and bidirectional formatting characters (a paste from a web page or a
/// document brings them in unseen); line breaks and tabs are allowed where `allow_line_breaks`.
pub(crate) fn is_hidden_character(c: char, allow_line_breaks: bool) -> bool {
    if allow_line_breaks && (c == '\n' || c == '\r' || c == '\t') {
        return false;
    }
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
}
