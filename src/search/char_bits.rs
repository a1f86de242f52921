//! A set of Basic Multilingual Plane characters as a bitmap (8 KiB), which
//! the analyzer's hot paths test straight from a character's UTF-8 bytes.

/// Bit per code point below U+10000.
pub struct CharBits(Box<[u64; 1024]>);

impl Default for CharBits {
    fn default() -> Self {
        CharBits(Box::new([0; 1024]))
    }
}

impl CharBits {
    pub fn new() -> CharBits {
        CharBits::default()
    }

    /// Adds `cp`; a code point outside the BMP is ignored.
    pub fn insert(&mut self, cp: u32) {
        if cp < 0x10000 {
            self.0[cp as usize >> 6] |= 1 << (cp & 63);
        }
    }

    /// Adds every character: the set then filters nothing out.
    pub fn fill(&mut self) {
        self.0.fill(u64::MAX);
    }

    pub fn contains(&self, cp: u32) -> bool {
        cp < 0x10000 && self.0[cp as usize >> 6] & (1 << (cp & 63)) != 0
    }

    /// Whether the 3-byte UTF-8 sequence `x y z` is in the set, without
    /// decoding it: the lead and second byte pick the 64-character block,
    /// the third the bit.
    #[inline(always)]
    pub fn contains_utf8(&self, x: u8, y: u8, z: u8) -> bool {
        let block = (usize::from(x & 0x0F) << 6) | usize::from(y & 0x3F);
        self.0[block] >> (z & 0x3F) & 1 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_code_points_agree() {
        let mut set = CharBits::new();
        for c in ['的', '碳', 'Ｓ', '〇'] {
            set.insert(c.into());
        }
        set.insert(0x20000); // outside the BMP: ignored
        for c in ['的', '碳', 'Ｓ', '〇', '硅', 'ｓ', '、', '䷀'] {
            let mut buf = [0u8; 4];
            let b = c.encode_utf8(&mut buf).as_bytes();
            assert_eq!(
                set.contains_utf8(b[0], b[1], b[2]),
                set.contains(c.into()),
                "{c}"
            );
        }
        assert!(set.contains('碳'.into()) && !set.contains('硅'.into()));
        assert!(!set.contains(0x20000));
    }
}
