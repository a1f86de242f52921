//! Text normalization before segmentation: traditional → simplified (fast2s),
//! full-width → half-width, Latin lower-cased.
//!
//! Highlighting needs byte offsets into the *original* text, so when a change
//! alters byte lengths (full-width ＳｉＣ is 3 bytes a letter, sic is 1) the
//! normalized text carries a map back to original offsets. The common case,
//! nothing changing length, carries no map and costs one pass.

use std::borrow::Cow;

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

/// Full-width ASCII variants (U+FF01–U+FF5E) and the ideographic space.
fn half_width(c: char) -> Option<char> {
    match c {
        '\u{3000}' => Some(' '),
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        _ => None,
    }
}

fn needs_work(s: &str) -> (bool, bool) {
    let mut width = false;
    let mut other = false;
    for c in s.chars() {
        if half_width(c).is_some() {
            width = true;
        } else if c.is_ascii_uppercase() || c.len_utf8() == 3 {
            other = true;
        }
    }
    (width, other)
}

pub fn normalize(input: &str) -> Normalized<'_> {
    let (width, other) = needs_work(input);
    if !width && !other {
        return Normalized {
            text: Cow::Borrowed(input),
            map: None,
        };
    }
    // fast2s maps 3-byte characters to 3-byte characters: offsets stay valid.
    let simplified = if other {
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
    fn plain_lower_case_latin_text_is_borrowed() {
        let n = normalize("sic mosfet 2024");
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
