//! Plain-English names for characters that do not belong in an ODS code.
//!
//! A small hand table of the look-alikes people actually paste (Cyrillic and Greek capitals,
//! fullwidth forms, Arabic-Indic digits, no-break and zero-width spaces, dashes); anything else
//! is named by its code point alone. A full Unicode names table would cost far more than it tells.

const DIGIT_NAMES: [&str; 10] = [
    "ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE",
];

/// Letters from other scripts that look like ASCII letters or digits: (character, name, looks like).
const LOOK_ALIKES: &[(char, &str, char)] = &[
    ('\u{0410}', "CYRILLIC CAPITAL LETTER A", 'A'),
    ('\u{0412}', "CYRILLIC CAPITAL LETTER VE", 'B'),
    ('\u{0415}', "CYRILLIC CAPITAL LETTER IE", 'E'),
    ('\u{0405}', "CYRILLIC CAPITAL LETTER DZE", 'S'),
    (
        '\u{0406}',
        "CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I",
        'I',
    ),
    ('\u{0408}', "CYRILLIC CAPITAL LETTER JE", 'J'),
    ('\u{0417}', "CYRILLIC CAPITAL LETTER ZE", '3'),
    ('\u{041A}', "CYRILLIC CAPITAL LETTER KA", 'K'),
    ('\u{041C}', "CYRILLIC CAPITAL LETTER EM", 'M'),
    ('\u{041D}', "CYRILLIC CAPITAL LETTER EN", 'H'),
    ('\u{041E}', "CYRILLIC CAPITAL LETTER O", 'O'),
    ('\u{0420}', "CYRILLIC CAPITAL LETTER ER", 'P'),
    ('\u{0421}', "CYRILLIC CAPITAL LETTER ES", 'C'),
    ('\u{0422}', "CYRILLIC CAPITAL LETTER TE", 'T'),
    ('\u{0423}', "CYRILLIC CAPITAL LETTER U", 'Y'),
    ('\u{0425}', "CYRILLIC CAPITAL LETTER HA", 'X'),
    ('\u{0430}', "CYRILLIC SMALL LETTER A", 'a'),
    ('\u{0435}', "CYRILLIC SMALL LETTER IE", 'e'),
    ('\u{043E}', "CYRILLIC SMALL LETTER O", 'o'),
    ('\u{0440}', "CYRILLIC SMALL LETTER ER", 'p'),
    ('\u{0441}', "CYRILLIC SMALL LETTER ES", 'c'),
    ('\u{0443}', "CYRILLIC SMALL LETTER U", 'y'),
    ('\u{0445}', "CYRILLIC SMALL LETTER HA", 'x'),
    ('\u{0455}', "CYRILLIC SMALL LETTER DZE", 's'),
    (
        '\u{0456}',
        "CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I",
        'i',
    ),
    ('\u{0458}', "CYRILLIC SMALL LETTER JE", 'j'),
    ('\u{0391}', "GREEK CAPITAL LETTER ALPHA", 'A'),
    ('\u{0392}', "GREEK CAPITAL LETTER BETA", 'B'),
    ('\u{0395}', "GREEK CAPITAL LETTER EPSILON", 'E'),
    ('\u{0396}', "GREEK CAPITAL LETTER ZETA", 'Z'),
    ('\u{0397}', "GREEK CAPITAL LETTER ETA", 'H'),
    ('\u{0399}', "GREEK CAPITAL LETTER IOTA", 'I'),
    ('\u{039A}', "GREEK CAPITAL LETTER KAPPA", 'K'),
    ('\u{039C}', "GREEK CAPITAL LETTER MU", 'M'),
    ('\u{039D}', "GREEK CAPITAL LETTER NU", 'N'),
    ('\u{039F}', "GREEK CAPITAL LETTER OMICRON", 'O'),
    ('\u{03A1}', "GREEK CAPITAL LETTER RHO", 'P'),
    ('\u{03A4}', "GREEK CAPITAL LETTER TAU", 'T'),
    ('\u{03A5}', "GREEK CAPITAL LETTER UPSILON", 'Y'),
    ('\u{03A7}', "GREEK CAPITAL LETTER CHI", 'X'),
    ('\u{03BF}', "GREEK SMALL LETTER OMICRON", 'o'),
    ('\u{0130}', "LATIN CAPITAL LETTER I WITH DOT ABOVE", 'I'),
    ('\u{0131}', "LATIN SMALL LETTER DOTLESS I", 'i'),
];

/// Spaces, invisible characters and dashes: never printed, only named.
const UNSEEN: &[(char, &str)] = &[
    (' ', "a space"),
    ('\t', "a tab"),
    ('\u{00A0}', "a no-break space (U+00A0 NO-BREAK SPACE)"),
    ('\u{2007}', "a figure space (U+2007 FIGURE SPACE)"),
    (
        '\u{202F}',
        "a narrow no-break space (U+202F NARROW NO-BREAK SPACE)",
    ),
    (
        '\u{3000}',
        "an ideographic space (U+3000 IDEOGRAPHIC SPACE)",
    ),
    (
        '\u{200B}',
        "an invisible zero-width space (U+200B ZERO WIDTH SPACE)",
    ),
    (
        '\u{200C}',
        "an invisible joiner (U+200C ZERO WIDTH NON-JOINER)",
    ),
    ('\u{200D}', "an invisible joiner (U+200D ZERO WIDTH JOINER)"),
    ('\u{2060}', "an invisible word joiner (U+2060 WORD JOINER)"),
    (
        '\u{FEFF}',
        "an invisible byte order mark (U+FEFF ZERO WIDTH NO-BREAK SPACE)",
    ),
    ('\u{00AD}', "an invisible soft hyphen (U+00AD SOFT HYPHEN)"),
    ('-', "a hyphen (U+002D HYPHEN-MINUS)"),
    ('\u{2010}', "a hyphen (U+2010 HYPHEN)"),
    (
        '\u{2011}',
        "a non-breaking hyphen (U+2011 NON-BREAKING HYPHEN)",
    ),
    ('\u{2013}', "a dash (U+2013 EN DASH)"),
    ('\u{2014}', "a dash (U+2014 EM DASH)"),
    ('\u{2212}', "a minus sign (U+2212 MINUS SIGN)"),
];

/// Describes one character for a Local Administrator: what it is and, for a look-alike, what
/// it is not ("'Х' (U+0425 CYRILLIC CAPITAL LETTER HA), which is not the letter X").
pub(super) fn describe(c: char) -> String {
    let code_point = format!("U+{:04X}", c as u32);
    if let Some(&(_, text)) = UNSEEN.iter().find(|(u, _)| *u == c) {
        if text.contains("U+") {
            return text.to_string();
        }
        return format!("{text} ({code_point})");
    }
    if let Some((name, looks_like)) = look_alike(c) {
        let kind = if looks_like.is_ascii_digit() {
            "digit"
        } else {
            "letter"
        };
        return format!("'{c}' ({code_point} {name}), which is not the {kind} {looks_like}");
    }
    if c.is_control() || crate::rules::text::is_hidden_character(c, false) {
        return format!("an invisible control character ({code_point})");
    }
    if c.is_whitespace() {
        return format!("a space character ({code_point})");
    }
    format!("'{c}' ({code_point})")
}

/// The Unicode name and the ASCII character a look-alike imitates, when the table knows it.
fn look_alike(c: char) -> Option<(String, char)> {
    if let Some(&(_, name, ascii)) = LOOK_ALIKES.iter().find(|(l, _, _)| *l == c) {
        return Some((name.to_string(), ascii));
    }
    let cp = c as u32;
    let digit = |base: u32, prefix: &str| -> Option<(String, char)> {
        let offset = cp.checked_sub(base).filter(|&o| o < 10)?;
        let name = DIGIT_NAMES.get(offset as usize)?;
        let ascii = char::from_digit(offset, 10)?;
        Some((format!("{prefix} {name}"), ascii))
    };
    let letter = |base: u32, prefix: &str, ascii_base: u8| -> Option<(String, char)> {
        let offset = cp.checked_sub(base).filter(|&o| o < 26)?;
        let ascii = char::from(ascii_base + offset as u8);
        Some((format!("{prefix} {}", ascii.to_ascii_uppercase()), ascii))
    };
    digit(0xFF10, "FULLWIDTH DIGIT")
        .or_else(|| letter(0xFF21, "FULLWIDTH LATIN CAPITAL LETTER", b'A'))
        .or_else(|| letter(0xFF41, "FULLWIDTH LATIN SMALL LETTER", b'a'))
        .or_else(|| digit(0x0660, "ARABIC-INDIC DIGIT"))
        .or_else(|| digit(0x06F0, "EXTENDED ARABIC-INDIC DIGIT"))
        .or_else(|| digit(0x0966, "DEVANAGARI DIGIT"))
        .or_else(|| digit(0x2080, "SUBSCRIPT"))
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn names_look_alikes_and_what_they_are_not() {
        for (c, expected) in [
            (
                'Х',
                "'Х' (U+0425 CYRILLIC CAPITAL LETTER HA), which is not the letter X",
            ),
            (
                'Ο',
                "'Ο' (U+039F GREEK CAPITAL LETTER OMICRON), which is not the letter O",
            ),
            (
                '１',
                "'１' (U+FF11 FULLWIDTH DIGIT ONE), which is not the digit 1",
            ),
            (
                'Ｒ',
                "'Ｒ' (U+FF32 FULLWIDTH LATIN CAPITAL LETTER R), which is not the letter R",
            ),
            (
                'ｘ',
                "'ｘ' (U+FF58 FULLWIDTH LATIN SMALL LETTER X), which is not the letter x",
            ),
            (
                '٣',
                "'٣' (U+0663 ARABIC-INDIC DIGIT THREE), which is not the digit 3",
            ),
            (
                '۷',
                "'۷' (U+06F7 EXTENDED ARABIC-INDIC DIGIT SEVEN), which is not the digit 7",
            ),
            ('\u{00A0}', "a no-break space (U+00A0 NO-BREAK SPACE)"),
            (' ', "a space (U+0020)"),
            (
                '\u{200B}',
                "an invisible zero-width space (U+200B ZERO WIDTH SPACE)",
            ),
            ('\u{7}', "an invisible control character (U+0007)"),
            ('\u{202E}', "an invisible control character (U+202E)"),
            ('é', "'é' (U+00E9)"),
            ('/', "'/' (U+002F)"),
        ] {
            assert_eq!(describe(c), expected, "{c:?}");
        }
    }
}
