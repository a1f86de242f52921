//! Exact stop-word membership for the indexing hot path.
//!
//! Every token of every indexed text is tested, so the test avoids hashing a
//! string: single characters are answered by a bitmap, and tokens of up to 16
//! bytes are packed into a `u128` and looked up in a small open-addressing
//! table (one multiply, usually one probe, no `memcmp`). Longer stop words
//! (a handful of long phrases) fall back to a hash set.

use super::char_bits::CharBits;
use rustc_hash::FxHashSet;

/// Longest token packed into a key.
const PACKED: usize = 16;

pub struct StopWords {
    /// Bit per character below U+10000 that is a stop word on its own.
    single: CharBits,
    /// Bit per character below U+10000 that a stop word of more than one
    /// character starts with: most technical words start with none of them.
    first: CharBits,
    /// Packed stop words of 2..=16 bytes; 0 marks an empty slot (no packed
    /// word is 0: the empty string is never stored).
    table: Vec<u128>,
    shift: u32,
    long: FxHashSet<String>,
    /// Longest stop word in bytes: longer tokens are not looked up.
    max_len: usize,
}

impl StopWords {
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> StopWords {
        let mut single = CharBits::new();
        let mut first = CharBits::new();
        let mut packed = Vec::new();
        let mut long = FxHashSet::default();
        let mut max_len = 0;
        for w in words {
            if w.is_empty() {
                continue;
            }
            max_len = max_len.max(w.len());
            let mut chars = w.chars();
            match (chars.next().map(u32::from), chars.next()) {
                (Some(cp), None) if cp < 0x10000 => single.insert(cp),
                (Some(cp), _) => {
                    if cp < 0x10000 {
                        first.insert(cp);
                    } else {
                        // A stop word starting outside the BMP: no filter.
                        first.fill();
                    }
                    if w.len() <= PACKED {
                        packed.push(pack(w.as_bytes()));
                    } else {
                        long.insert(w.to_owned());
                    }
                }
                (None, _) => {}
            }
        }
        // At most a quarter full: a miss ends on an empty slot after one or
        // two probes.
        let slots = (packed.len() * 4).next_power_of_two().max(64);
        let bits = slots.trailing_zeros();
        let mut table = vec![0u128; slots];
        for key in packed {
            let mut i = slot(key, 64 - bits);
            while table[i] != 0 && table[i] != key {
                i = (i + 1) & (slots - 1);
            }
            table[i] = key;
        }
        StopWords {
            single,
            first,
            table,
            shift: 64 - bits,
            long,
            max_len,
        }
    }

    /// Whether the one 3-byte character `x y z` is a stop word.
    #[inline(always)]
    pub fn contains_char3(&self, x: u8, y: u8, z: u8) -> bool {
        self.single.contains_utf8(x, y, z)
    }

    /// `contains` for a word of more than one character starting with the
    /// 3-byte character `x y z`.
    #[inline(always)]
    pub fn contains_long3(&self, word: &str, x: u8, y: u8, z: u8) -> bool {
        self.first.contains_utf8(x, y, z) && self.contains_long(word)
    }

    /// `contains` for a word of more than one character.
    #[inline(always)]
    pub fn contains_long(&self, word: &str) -> bool {
        let b = word.as_bytes();
        if b.len() > self.max_len {
            return false;
        }
        if b.len() > PACKED {
            return self.long.contains(word);
        }
        self.contains_packed(pack(b))
    }

    #[inline(always)]
    fn contains_packed(&self, key: u128) -> bool {
        let mask = self.table.len() - 1;
        let mut i = slot(key, self.shift);
        loop {
            let k = self.table[i];
            if k == key {
                return true;
            }
            if k == 0 {
                return false;
            }
            i = (i + 1) & mask;
        }
    }

    pub fn contains(&self, word: &str) -> bool {
        let b = word.as_bytes();
        if b.len() > self.max_len || b.is_empty() {
            return false;
        }
        if b.len() <= 4 {
            match single_char(word) {
                Some(cp) if cp < 0x10000 => {
                    return self.single.contains(cp);
                }
                _ => {}
            }
        }
        self.contains_long(word)
    }
}

/// The code point of a one-character string.
#[inline(always)]
fn single_char(word: &str) -> Option<u32> {
    let mut chars = word.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c.into()),
        _ => None,
    }
}

#[inline(always)]
fn slot(key: u128, shift: u32) -> usize {
    let folded = (key as u64) ^ ((key >> 64) as u64).rotate_left(29);
    (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

/// The bytes of a 1..=16-byte string as a little-endian `u128`, zero-padded.
/// Two overlapping loads instead of a variable-length copy.
#[inline(always)]
fn pack(b: &[u8]) -> u128 {
    let n = b.len();
    debug_assert!((1..=PACKED).contains(&n));
    if n >= 8 {
        let lo = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
        let tail = u64::from_le_bytes(b[n - 8..].try_into().unwrap_or_default());
        // `tail` holds bytes n-8..n; bytes 8..n are its top n-8 bytes.
        let hi = if n == 8 { 0 } else { tail >> (8 * (16 - n)) };
        u128::from(lo) | u128::from(hi) << 64
    } else if n >= 4 {
        let lo = u32::from_le_bytes(b[..4].try_into().unwrap_or_default());
        let tail = u32::from_le_bytes(b[n - 4..].try_into().unwrap_or_default());
        let hi = if n == 4 { 0 } else { tail >> (8 * (8 - n)) };
        u128::from(lo) | u128::from(hi) << 32
    } else {
        b.iter()
            .rev()
            .fold(0u128, |acc, &x| acc << 8 | u128::from(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_matches_a_plain_byte_copy() {
        let text = "碳化硅abcdefghij的和与0123456789XYZ";
        for from in 0..text.len() {
            for to in from + 1..=(from + PACKED).min(text.len()) {
                let b = &text.as_bytes()[from..to];
                let mut buf = [0u8; 16];
                buf[..b.len()].copy_from_slice(b);
                assert_eq!(pack(b), u128::from_le_bytes(buf), "{from}..{to}");
            }
        }
    }

    #[test]
    fn membership_is_exact_at_every_length() {
        let words = [
            "的",
            "和",
            "a",
            "这些",
            "也就是说",
            "综上所述",
            "不仅仅是因为这样",
            "the",
        ];
        let set = StopWords::new(words);
        for w in words {
            assert!(set.contains(w), "{w}");
        }
        for w in [
            "",
            "碳",
            "这",
            "这些年",
            "也就是",
            "综上所",
            "不仅仅是因为这",
            "th",
            "them",
            "b",
        ] {
            assert!(!set.contains(w), "{w}");
        }
    }
}
