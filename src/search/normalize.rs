//! Text normalization before segmentation: traditional → simplified (fast2s),
//! full-width letters and digits → half-width, Latin lower-cased.
//!
//! Highlighting needs byte offsets into the *original* text, so when a change
//! alters byte lengths (full-width ＳｉＣ is 3 bytes a letter, sic is 1) the
//! normalized text carries a map back to original offsets. The common case,
//! nothing changing length, carries no map and costs one pass.

use super::char_bits::CharBits;
use std::borrow::Cow;
use std::sync::LazyLock;

/// Bit per BMP code point that normalization may change apart from case:
/// the CJK ideographs fast2s converts when converting them alone, and the
/// full-width forms of letters, digits and connectors. Most text duijie sees
/// has none of them and skips the conversion (and its allocation).
static SPECIAL: LazyLock<CharBits> = LazyLock::new(|| {
    let mut bits = CharBits::new();
    let mut buf = [0u8; 4];
    for cp in CJK_FIRST..=CJK_LAST {
        if let Some(c) = char::from_u32(cp) {
            let s: &str = c.encode_utf8(&mut buf);
            if fast2s::convert(s) != s {
                bits.insert(cp);
            }
        }
    }
    (0xFF00..=0xFFFF)
        .filter(|&cp| is_term_width_form(cp))
        .for_each(|cp| bits.insert(cp));
    bits
});
const CJK_FIRST: u32 = 0x3400;
const CJK_LAST: u32 = 0x9FFF;

pub struct Normalized<'a> {
    pub text: Cow<'a, str>,
    /// `map[i]` is the original byte offset of normalized byte `i`, with one
    /// extra entry for the end. `None` when offsets are unchanged.
    map: Option<Vec<u32>>,
}

impl Normalized<'_> {
    /// The original byte offset of a normalized byte offset.
    pub fn original_offset(&self, normalized: usize) -> usize {
        match &self.map {
            None => normalized,
            Some(map) => map.get(normalized).map_or(normalized, |&o| o as usize),
        }
    }
}

/// Whether a full-width form (U+FF01–U+FF5E) can be part of a term: letters,
/// digits and the characters jieba keeps inside an alphanumeric token
/// (`+`, `#`, `-`, `.`, `_`). Full-width punctuation (，（）：；) separates
/// terms exactly as its half-width form does, so it is left alone: Chinese
/// text has it in nearly every sentence, and rewriting it would send almost
/// every text down the slow path with an offset map.
fn is_term_width_form(cp: u32) -> bool {
    matches!(cp, 0xFF10..=0xFF19 | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A)
        || matches!(cp, 0xFF03 | 0xFF0B | 0xFF0D | 0xFF0E | 0xFF3F)
}

/// The half-width form of a full-width letter, digit or connector.
fn half_width(c: char) -> Option<char> {
    if is_term_width_form(c as u32) {
        char::from_u32(c as u32 - 0xFEE0)
    } else {
        None
    }
}

/// Whether `s` may have characters to convert (traditional ideographs,
/// full-width letters or digits).
///
/// This runs over every indexed text, so it works on bytes. Only 3-byte
/// sequences matter, and their lead byte (E0..=EF) can never be mistaken for
/// a continuation byte, so the scan need not track characters.
fn maybe_special(s: &str) -> bool {
    let special: &CharBits = &SPECIAL;
    let mut hits = 0u64;
    let mut rest = s.as_bytes();
    while let [x, y, z, tail @ ..] = rest {
        if x & 0xF0 == 0xE0 {
            hits |= special.bit_of_utf8(*x, *y, *z);
            rest = tail;
        } else {
            rest = &rest[1..];
        }
    }
    hits & 1 != 0
}

/// (has full-width term characters, has traditional characters), exactly.
fn special_kinds(s: &str) -> (bool, bool) {
    let (mut width, mut traditional) = (false, false);
    for c in s.chars() {
        let cp = u32::from(c);
        if is_term_width_form(cp) {
            width = true;
        } else if (CJK_FIRST..=CJK_LAST).contains(&cp) {
            traditional |= SPECIAL.contains(cp);
        }
    }
    (width, traditional)
}

pub fn normalize(input: &str) -> Normalized<'_> {
    // No early exit, so that the compiler vectorizes it.
    let upper = input.bytes().fold(false, |a, c| a | c.is_ascii_uppercase());
    let (width, traditional) = if maybe_special(input) {
        special_kinds(input)
    } else {
        (false, false)
    };
    if !width && !upper && !traditional {
        return Normalized {
            text: Cow::Borrowed(input),
            map: None,
        };
    }
    // fast2s maps 3-byte characters to 3-byte characters: offsets stay valid.
    let simplified = if traditional {
        fast2s::convert(input)
    } else {
        input.to_owned()
    };
    if !width {
        let mut s = simplified;
        s.make_ascii_lowercase();
        return Normalized {
            text: Cow::Owned(s),
            map: None,
        };
    }
    let mut out = String::with_capacity(simplified.len());
    let mut map = Vec::with_capacity(simplified.len() + 1);
    for (offset, c) in simplified.char_indices() {
        let n = half_width(c).unwrap_or(c).to_ascii_lowercase();
        let before = out.len();
        out.push(n);
        let original = u32::try_from(offset).unwrap_or(u32::MAX);
        map.extend(std::iter::repeat_n(original, out.len() - before));
    }
    map.push(u32::try_from(simplified.len()).unwrap_or(u32::MAX));
    Normalized {
        text: Cow::Owned(out),
        map: Some(map),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_simplified_lower_case_text_is_borrowed() {
        let n = normalize("碳化硅衬底 sic mosfet 2024");
        assert!(matches!(n.text, Cow::Borrowed(_)));
    }

    #[test]
    fn simplified_text_comes_back_unchanged() {
        assert_eq!(normalize("碳化硅衬底 sic 2024").text, "碳化硅衬底 sic 2024");
    }

    #[test]
    fn traditional_becomes_simplified_and_latin_lower_case() {
        assert_eq!(normalize("碳化硅功率器件與SiC").text, "碳化硅功率器件与sic");
        assert_eq!(normalize("燃料電池").text, "燃料电池");
    }

    #[test]
    fn full_width_becomes_half_width_with_offsets_mapped_back() {
        let input = "用ＳｉＣ做";
        let n = normalize(input);
        assert_eq!(n.text, "用sic做");
        // "sic" starts after 用 (3 bytes) in both; it ends at byte 6 normalized,
        // which is byte 12 in the original (3 full-width letters of 3 bytes).
        assert_eq!(n.original_offset(3), 3);
        assert_eq!(n.original_offset(6), 12);
        assert_eq!(&input[n.original_offset(3)..n.original_offset(6)], "ＳｉＣ");
        assert_eq!(n.original_offset(n.text.len()), input.len());
    }
}
