//! Text normalization before segmentation: traditional → simplified (fast2s),
//! full-width letters and digits → half-width, Latin lower-cased.
//!
//! Highlighting needs byte offsets into the *original* text, so when a change
//! alters byte lengths (full-width ＳｉＣ is 3 bytes a letter, sic is 1) the
//! normalized text carries a map back to original offsets. The common case,
//! nothing changing length, carries no map and costs one pass.

use super::char_bits::CharBits;
use std::borrow::Cow;
use std::ops::Range;
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

    /// Whether normalized offsets are original offsets (no map).
    pub fn offsets_unchanged(&self) -> bool {
        self.map.is_none()
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

/// `SPECIAL` laid out for `scan`: a row of 64 bits per lead byte `x` and
/// second byte `y` of 3-byte characters `x y z`, at `x << 6 | y & 0x3F`, bit
/// `z & 63`. The rows of bytes that do not lead a 3-byte sequence (ASCII,
/// continuation bytes, other leads) have every bit set, so that the scan can
/// read four characters' bits without first testing that they are 3-byte
/// characters: a set bit means "look closer". 128 KiB, of which Chinese text
/// touches the 4 KiB of its lead bytes.
type ScanRows = [u64; 256 * 64];
static SCAN_ROWS: LazyLock<Box<ScanRows>> = LazyLock::new(|| {
    let mut rows = Box::new([u64::MAX; 256 * 64]);
    for x in 0xE0..=0xEFu8 {
        for y in 0x80..=0xBFu8 {
            let row = &mut rows[usize::from(x) << 6 | usize::from(y & 0x3F)];
            *row = 0;
            for z in 0x80..=0xBFu8 {
                if SPECIAL.contains_utf8(x, y, z) {
                    *row |= 1 << (z & 63);
                }
            }
        }
    }
    rows
});

/// What normalizing a text takes.
#[derive(Default)]
struct Changes {
    /// Full-width letters, digits or connectors.
    width: bool,
    /// Traditional ideographs.
    traditional: bool,
    /// Where the ASCII upper case is: a byte range holding all of it.
    upper: Option<Range<usize>>,
}

/// What normalizing `s` takes: one fast scan, and an exact one by
/// characters only when the fast one meets a character to convert.
fn changes(s: &str) -> Changes {
    match scan(s) {
        Some(upper) => Changes {
            upper,
            ..Changes::default()
        },
        None => changes_by_chars(s),
    }
}

/// Where `s` has ASCII upper case (`Some(None)` if nowhere), or `None` if
/// it may have other characters to convert (traditional ideographs,
/// full-width letters or digits).
///
/// This runs over every indexed text, so it works on bytes: Chinese text is
/// mostly runs of 3-byte characters, read four at a time from `SCAN_ROWS`
/// with no test of their lead bytes. Only when that finds something (a
/// special character, or a byte that does not lead a 3-byte sequence) does
/// the scan take one exact step. Upper case can only be in the ASCII runs
/// the steps take.
fn scan(s: &str) -> Option<Option<Range<usize>>> {
    let rows: &ScanRows = &SCAN_ROWS;
    let mut upper = Upper::new(s);
    let mut rest = s.as_bytes();
    while let Some((c, tail)) = rest.split_first_chunk::<12>() {
        // Four characters, or up to the first that needs a closer look.
        let k = if look_closer(rows, &c[0..3]) {
            0
        } else if look_closer(rows, &c[3..6]) {
            3
        } else if look_closer(rows, &c[6..9]) {
            6
        } else if look_closer(rows, &c[9..12]) {
            9
        } else {
            rest = tail;
            continue;
        };
        rest = step(rows, &rest[k..], &mut upper)?;
    }
    while !rest.is_empty() {
        rest = step(rows, rest, &mut upper)?;
    }
    Some(upper.span)
}

/// The span of a text's ASCII upper case, as `scan` meets it.
struct Upper {
    /// Length of the text: a rest of it ends there.
    len: usize,
    span: Option<Range<usize>>,
}

impl Upper {
    fn new(s: &str) -> Upper {
        Upper {
            len: s.len(),
            span: None,
        }
    }

    /// Notes an ASCII run that starts the `rest` of the text.
    fn note(&mut self, run: &[u8], rest: &[u8]) {
        if run.iter().any(u8::is_ascii_uppercase) {
            let from = self.len - rest.len();
            let to = from + run.len();
            self.span = Some(match self.span.take() {
                Some(span) => span.start..to,
                None => from..to,
            });
        }
    }
}

/// The bit of `SCAN_ROWS` for the three bytes `c[0..3]`.
#[inline(always)]
fn look_closer(rows: &ScanRows, c: &[u8]) -> bool {
    let row = rows[usize::from(c[0]) << 6 | usize::from(c[1] & 0x3F)];
    row >> (c[2] & 63) & 1 != 0
}

/// One exact step of `scan` (a 3-byte character, a run of ASCII or one
/// other byte): what is left, or `None` at a special character.
#[inline(always)]
fn step<'a>(rows: &ScanRows, rest: &'a [u8], upper: &mut Upper) -> Option<&'a [u8]> {
    match rest {
        // For a 3-byte character the bit is exactly `SPECIAL`'s.
        [x, _, _, tail @ ..] if x & 0xF0 == 0xE0 => (!look_closer(rows, rest)).then_some(tail),
        [x, ..] if x.is_ascii() => {
            let n = rest
                .iter()
                .position(|b| !b.is_ascii())
                .unwrap_or(rest.len());
            let (run, tail) = rest.split_at(n);
            upper.note(run, rest);
            Some(tail)
        }
        [_, tail @ ..] => Some(tail),
        [] => Some(rest),
    }
}

/// `changes`, exactly, character by character.
fn changes_by_chars(s: &str) -> Changes {
    let mut changes = Changes::default();
    for c in s.chars() {
        let cp = u32::from(c);
        if is_term_width_form(cp) {
            changes.width = true;
        } else if (CJK_FIRST..=CJK_LAST).contains(&cp) {
            changes.traditional |= SPECIAL.contains(cp);
        } else if c.is_ascii_uppercase() {
            changes.upper = Some(0..s.len());
        }
    }
    changes
}

pub fn normalize(input: &str) -> Normalized<'_> {
    let Changes {
        width,
        traditional,
        upper,
    } = changes(input);
    if !width && upper.is_none() && !traditional {
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
        if let Some(upper) = upper {
            s[upper].make_ascii_lowercase();
        }
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

    /// The fast scan against the exact one, with each kind of character at
    /// every position of the scan's 12-byte groups.
    #[test]
    fn scan_agrees_with_the_exact_scan() {
        let pieces = [
            "與", "電", "Ｓ", "ｓ", "１", "，", "。", "A", "Z", "a", "7", " ", "é", "𠀀", "䷀",
            "的", "\n", "SiC", "2024",
        ];
        for piece in pieces {
            for before in 0..14 {
                for after in [0, 1, 5, 13] {
                    let s = format!("{}{piece}{}", "碳".repeat(before), "硅".repeat(after));
                    let exact = changes_by_chars(&s);
                    match scan(&s) {
                        None => assert!(exact.width || exact.traditional, "{s}"),
                        Some(span) => {
                            assert!(!exact.width && !exact.traditional, "{s}");
                            let upper: Vec<usize> = (0..s.len())
                                .filter(|&i| s.as_bytes()[i].is_ascii_uppercase())
                                .collect();
                            match span {
                                None => assert!(upper.is_empty(), "{s}"),
                                Some(span) => assert!(
                                    !upper.is_empty() && upper.iter().all(|i| span.contains(i)),
                                    "{s}"
                                ),
                            }
                        }
                    }
                }
            }
        }
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
