//! Exact stop-word membership for the indexing hot path.
//!
//! Every token of every indexed text is tested, so the test avoids hashing a
//! string: single characters are answered by a bitmap, and tokens of up to 16
//! bytes are packed into a `u128` and looked up in a small open-addressing
//! table (one multiply, usually one probe, no `memcmp`); 6-byte tokens (two
//! ideographs, most of the words looked up) have a table of `u64` keys of
//! their own. Longer stop words (a handful of long phrases) fall back to a
//! hash set.

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
    /// Packed stop words of 6 bytes.
    six: Table<u64>,
    /// Packed stop words of 2..=16 bytes other than 6.
    packed: Table<u128>,
    long: FxHashSet<String>,
    /// Longest stop word in bytes: longer tokens are not looked up.
    max_len: usize,
}

impl StopWords {
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> StopWords {
        let mut single = CharBits::new();
        let mut first = CharBits::new();
        let mut six = Vec::new();
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
                    if let Ok(b) = <&[u8; 6]>::try_from(w.as_bytes()) {
                        six.push(pack6(b));
                    } else if w.len() <= PACKED {
                        packed.push(pack(w.as_bytes()));
                    } else {
                        long.insert(w.to_owned());
                    }
                }
                (None, _) => {}
            }
        }
        StopWords {
            single,
            first,
            six: Table::new(six),
            packed: Table::new(packed),
            long,
            max_len,
        }
    }

    /// `contains` for a word of more than one character starting with the
    /// 3-byte character `x y z`.
    #[inline(always)]
    pub fn contains_long3(&self, word: &str, x: u8, y: u8, z: u8) -> bool {
        self.first.contains_utf8(x, y, z) && self.contains_long(word)
    }

    /// `contains` for a word of more than one character starting with the
    /// ASCII character `x`.
    #[inline(always)]
    pub fn contains_long1(&self, word: &str, x: u8) -> bool {
        self.first.contains(u32::from(x)) && self.contains_long(word)
    }

    /// `contains` for a word of more than one character.
    #[inline(always)]
    pub fn contains_long(&self, word: &str) -> bool {
        let b = word.as_bytes();
        if let Ok(six) = <&[u8; 6]>::try_from(b) {
            return self.six.contains(pack6(six));
        }
        if b.len() > self.max_len {
            return false;
        }
        if b.len() > PACKED {
            return self.long.contains(word);
        }
        self.packed.contains(pack(b))
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

/// An open-addressing set of packed words. 0 marks an empty slot (no packed
/// word is 0: the empty string is never stored). At most a quarter full: a
/// miss ends on an empty slot after one or two probes.
struct Table<K> {
    slots: Vec<K>,
    shift: u32,
}

/// A packed word: folded to 64 bits for hashing.
trait Key: Copy + Eq + Default {
    fn fold(self) -> u64;
}

impl Key for u64 {
    #[inline(always)]
    fn fold(self) -> u64 {
        self
    }
}

impl Key for u128 {
    #[inline(always)]
    fn fold(self) -> u64 {
        (self as u64) ^ ((self >> 64) as u64).rotate_left(29)
    }
}

impl<K: Key> Table<K> {
    fn new(keys: impl IntoIterator<Item = K>) -> Table<K> {
        let keys: Vec<K> = keys.into_iter().collect();
        let len = (keys.len() * 4).next_power_of_two().max(64);
        let mut table = Table {
            slots: vec![K::default(); len],
            shift: 64 - len.trailing_zeros(),
        };
        for key in keys {
            let mut i = table.slot(key);
            while table.slots[i] != K::default() && table.slots[i] != key {
                i = (i + 1) & (len - 1);
            }
            table.slots[i] = key;
        }
        table
    }

    #[inline(always)]
    fn slot(&self, key: K) -> usize {
        (key.fold().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline(always)]
    fn contains(&self, key: K) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            let k = self.slots[i & mask];
            if k == key {
                return true;
            }
            if k == K::default() {
                return false;
            }
            i += 1;
        }
    }
}

/// The bytes of a 6-byte string as a little-endian `u64`.
#[inline(always)]
fn pack6(b: &[u8; 6]) -> u64 {
    let (lo, hi) = b.split_at(4);
    let lo = u32::from_le_bytes(lo.try_into().unwrap_or_default());
    let hi = u16::from_le_bytes(hi.try_into().unwrap_or_default());
    u64::from(lo) | u64::from(hi) << 32
}

/// The bytes of a 1..=16-byte string as a little-endian `u128`, zero-padded.
/// Two overlapping loads instead of a variable-length copy.
#[inline(always)]
fn pack(b: &[u8]) -> u128 {
    let n = b.len();
    debug_assert!((1..=PACKED).contains(&n));
    // Three-ideograph words, the most common length here (two have a table
    // of their own), with fixed loads.
    if n == 9 {
        let lo = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
        return u128::from(lo) | u128::from(b[8]) << 64;
    }
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
                if let Ok(six) = <&[u8; 6]>::try_from(b) {
                    assert_eq!(u128::from(pack6(six)), u128::from_le_bytes(buf));
                }
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
