//! Vietnamese text as people look for it and read it: folded for search (accents and case
//! ignored, `đ` as `d`) and ordered as the Vietnamese alphabet orders it (`a ă â b c d đ e ê …`,
//! so "Cần Đước" comes before "Cần Giuộc" and "Đức Hòa" among the Đs, after the Ds), then by
//! tone (none, huyền, hỏi, ngã, sắc, nặng).

use unicode_normalization::UnicodeNormalization;

/// The Vietnamese alphabet (with the Latin letters it borrows), in dictionary order.
const ALPHABET: [&str; 33] = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
    "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
];

/// The five tone marks in dictionary order, after the level tone (no mark).
const TONES: [char; 5] = ['\u{300}', '\u{309}', '\u{303}', '\u{301}', '\u{323}'];

/// One character taken apart: its letter (lowercase, with the vowel's shape marks such as the
/// breve or horn kept) and its tone (0 for none, 1–5 in [`TONES`] order).
fn split(c: char) -> (String, u8) {
    let mut letter = String::new();
    let mut tone = 0;
    for part in c.to_lowercase().nfd() {
        match TONES.iter().position(|t| *t == part) {
            Some(index) => tone = index as u8 + 1,
            None => letter.push(part),
        }
    }
    (letter.nfc().collect(), tone)
}

/// `text` trimmed and in composed Unicode form (NFC): a Mac's decomposed "Bến Lức" and a
/// Windows keyboard's are then the same letters.
pub fn compose(text: &str) -> String {
    text.trim().nfc().collect()
}

/// `text` lowercased without accents or tones (`đ` becomes `d`) and with runs of white space
/// made one space: the form that search compares.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !folded.is_empty() {
            folded.push(' ');
        }
        for part in word.to_lowercase().nfd() {
            match part {
                'đ' => folded.push('d'),
                c if ('\u{300}'..='\u{36f}').contains(&c) => {}
                c => folded.push(c),
            }
        }
    }
    folded
}

/// A key whose byte order is the Vietnamese dictionary order of `text`: letters first, then
/// tones. It holds only ASCII digits, lowercase letters and `.`, so any database compares it
/// the same way byte by byte.
pub fn sort_key(text: &str) -> String {
    let mut primary = String::new();
    let mut tones = String::new();
    for c in text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
    {
        let (letter, tone) = split(c);
        let rank = match ALPHABET.iter().position(|l| *l == letter) {
            Some(index) => 0x100 + index as u32,
            None if c == ' ' => 0x10,
            None if c.is_ascii_digit() => 0x20 + c as u32,
            None => 0x1000 + c as u32,
        };
        push_base36(&mut primary, rank);
        tones.push(char::from(b'0' + tone));
    }
    primary.push('.');
    primary.push_str(&tones);
    primary
}

/// Appends `value` as four base-36 digits (enough for every Unicode scalar value).
fn push_base36(out: &mut String, value: u32) {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    for power in [36 * 36 * 36, 36 * 36, 36, 1] {
        out.push(char::from(DIGITS[(value / power % 36) as usize]));
    }
}

/// The known name closest to `name` when folded (accents and case ignored), if one is close
/// enough to be what was meant: the suggestion in "unknown district "Ben Luc"; did you mean
/// "Bến Lức"?".
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = fold(name);
    let allowed = (wanted.chars().count() / 3).max(2);
    known
        .into_iter()
        .map(|candidate| (strsim::levenshtein(&wanted, &fold(candidate)), candidate))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_accents_tones_and_case() {
        assert_eq!(fold("  Bến   Lức "), "ben luc");
        assert_eq!(fold("ĐỨC HÒA"), "duc hoa");
        assert_eq!(fold("Công ty TNHH Thép"), "cong ty tnhh thep");
        assert_eq!(fold("0301234567"), "0301234567");
    }

    #[test]
    fn the_sort_key_follows_the_vietnamese_alphabet() {
        let mut names = vec![
            "Đức Hòa",
            "Cần Giuộc",
            "Vĩnh Hưng",
            "Cần Đước",
            "Duyên Hải",
            "Ấp Bắc",
            "An Phú",
            "Bến Lức",
            "Ăn Uống",
        ];
        names.sort_by_key(|name| sort_key(name));
        assert_eq!(
            names,
            [
                "An Phú",
                "Ăn Uống",
                "Ấp Bắc",
                "Bến Lức",
                "Cần Đước",
                "Cần Giuộc",
                "Duyên Hải",
                "Đức Hòa",
                "Vĩnh Hưng"
            ]
        );
    }

    #[test]
    fn tones_order_words_with_the_same_letters() {
        let mut words = vec!["má", "mạ", "mã", "mà", "ma", "mả"];
        words.sort_by_key(|word| sort_key(word));
        assert_eq!(words, ["ma", "mà", "mả", "mã", "má", "mạ"]);
        assert!(sort_key("an") < sort_key("anh"));
        assert!(sort_key("Tân An") < sort_key("Tân Hưng"));
    }

    #[test]
    fn the_closest_name_ignores_accents_and_case() {
        let known = ["Tân An", "Bến Lức", "Đức Hòa", "Đức Huệ", "Cần Đước"];
        assert_eq!(closest("Ben Luc", known), Some("Bến Lức"));
        assert_eq!(closest("ben luk", known), Some("Bến Lức"));
        assert_eq!(closest("Duc Hue", known), Some("Đức Huệ"));
        assert_eq!(closest("Hà Nội", known), None);
    }
}
