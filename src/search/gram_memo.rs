//! A per-thread memory of the dictionary lookups of search mode.
//!
//! Search mode emits, besides each word, the dictionary words of two and
//! three characters inside it (and of four or more inside long words).
//! jieba answers "is this a dictionary word?" with a walk of its trie, a few
//! hundred instructions, and the same few thousand short words come back in
//! text after text. So the answer, with the term test folded in, is kept in
//! small direct-mapped tables keyed by the word's bytes. A slot holds one
//! whole key: a collision costs a lookup again, never a wrong answer.

use std::cell::RefCell;
use std::ops::{BitAnd, BitOr, Not};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Words of two or three ideographs (most of the lookups): 64 KiB.
const IDEOGRAPH_SLOTS: usize = 1 << 13;
/// Other words of up to 15 bytes: 32 KiB.
const BYTE_SLOTS: usize = 1 << 11;

/// Longest word the byte table keys.
pub const MAX_BYTES: usize = 15;

pub struct GramMemo {
    /// The analyzer whose answers these are.
    owner: usize,
    ideographs: Slots<u64>,
    bytes: Slots<u128>,
}

/// A packed key with its answer bit, which no key has set.
trait Key:
    Copy + Default + PartialEq + BitAnd<Output = Self> + BitOr<Output = Self> + Not<Output = Self>
{
    const YES: Self;
    /// The key folded to 64 bits for hashing.
    fn fold(self) -> u64;
}

impl Key for u64 {
    /// Bit 62 is 0 in every ideograph key (see `three_ideographs`).
    const YES: u64 = 1 << 62;
    #[inline(always)]
    fn fold(self) -> u64 {
        self
    }
}

impl Key for u128 {
    /// Byte keys hold at most 15 bytes and their length in bits 120..124.
    const YES: u128 = 1 << 127;
    #[inline(always)]
    fn fold(self) -> u64 {
        (self as u64) ^ ((self >> 64) as u64).rotate_left(23)
    }
}

/// A direct-mapped table of keys with their answers. A key is never 0, so
/// an empty slot matches none.
struct Slots<K>(Box<[K]>);

impl<K: Key> Slots<K> {
    /// `len`: a power of two.
    fn new(len: usize) -> Slots<K> {
        debug_assert!(len.is_power_of_two());
        Slots(vec![K::default(); len].into_boxed_slice())
    }

    #[inline(always)]
    fn answer(&mut self, key: K, decide: impl FnOnce() -> bool) -> bool {
        let i = slot(key.fold(), self.0.len());
        let v = self.0[i];
        if v & !K::YES == key {
            return v & K::YES != K::default();
        }
        let yes = decide();
        self.0[i] = if yes { key | K::YES } else { key };
        yes
    }
}

thread_local! {
    static MEMO: RefCell<Option<GramMemo>> = const { RefCell::new(None) };
}

/// A distinct owner id per analyzer: answers depend on its dictionary and
/// stop words.
pub fn new_owner() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl GramMemo {
    fn new(owner: usize) -> GramMemo {
        GramMemo {
            owner,
            ideographs: Slots::new(IDEOGRAPH_SLOTS),
            bytes: Slots::new(BYTE_SLOTS),
        }
    }

    /// Runs `f` with this thread's memo for the analyzer `owner`. Should `f`
    /// re-enter (an analyzer called from inside an `emit` callback), the
    /// inner call gets a fresh memo of its own.
    pub fn with<R>(owner: usize, f: impl FnOnce(&mut GramMemo) -> R) -> R {
        MEMO.with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => {
                if slot.as_ref().is_some_and(|m| m.owner != owner) {
                    *slot = None;
                }
                f(slot.get_or_insert_with(|| GramMemo::new(owner)))
            }
            Err(_) => f(&mut GramMemo::new(owner)),
        })
    }

    /// The answer for an ideograph key (`two_ideographs`, `three_ideographs`),
    /// from `decide` the first time.
    #[inline(always)]
    pub fn ideographs(&mut self, key: u64, decide: impl FnOnce() -> bool) -> bool {
        self.ideographs.answer(key, decide)
    }

    /// The answer for the `len` (1..=15) bytes of `text` at `at`, from
    /// `decide` the first time.
    #[inline(always)]
    pub fn bytes(
        &mut self,
        text: &[u8],
        at: usize,
        len: usize,
        decide: impl FnOnce() -> bool,
    ) -> bool {
        debug_assert!((1..=MAX_BYTES).contains(&len));
        let raw = load::<16>(text, at);
        let key = u128::from_le_bytes(raw) & ((1 << (8 * len)) - 1) | (len as u128) << 120;
        self.bytes.answer(key, decide)
    }
}

/// The slot of a folded key in a table of `slots` (a power of two).
#[inline(always)]
fn slot(key: u64, slots: usize) -> usize {
    // Fibonacci hashing: the top bits of the product mix every key bit.
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - slots.trailing_zeros())) as usize
        & (slots - 1)
}

/// `N` bytes of `text` from `at`, zero past its end.
#[inline(always)]
fn load<const N: usize>(text: &[u8], at: usize) -> [u8; N] {
    match text
        .get(at..at + N)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
    {
        Some(b) => b,
        None => {
            let mut buf = [0; N];
            let rest = text.get(at..).unwrap_or_default();
            let n = rest.len().min(N);
            buf[..n].copy_from_slice(&rest[..n]);
            buf
        }
    }
}

/// 8 bytes of `text` from `at` as a little-endian `u64`, zero past its end.
#[inline(always)]
pub fn load8(text: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(load::<8>(text, at))
}

/// The key of the two 3-byte characters that start the 8 bytes `lo`.
#[inline(always)]
pub fn two_ideographs(lo: u64) -> u64 {
    lo & 0xFFFF_FFFF_FFFF
}

/// The key of three 3-byte characters: their first 8 bytes `lo` and their
/// ninth byte `b8`, folded into 64 bits without loss. In every such word the
/// first lead byte's top nibble is 1110 and the continuation bytes' top two
/// bits are 10, so the six bits `b8` carries go into bits 4..8 and 14..16,
/// whose values are known. The eighth byte is a continuation byte: bit 62 is
/// always 0 (free for the answer), and byte 6, a lead byte, is never 0, which
/// keeps these keys apart from `two_ideographs` keys.
#[inline(always)]
pub fn three_ideographs(lo: u64, b8: u8) -> u64 {
    let b8 = u64::from(b8);
    lo ^ (b8 & 0x0F) << 4 ^ (b8 >> 4 & 0x3) << 14
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Distinct words get distinct keys, and the answer bit is free in all.
    #[test]
    fn ideograph_keys_are_distinct_and_leave_the_answer_bit_free() {
        let chars: Vec<char> = "碳化硅氮镓砷深紫外柔性显示氢燃料电池的了是一〇㐀龥豈"
            .chars()
            .collect();
        let mut seen: HashMap<u64, String> = HashMap::new();
        let mut check = |w: String, key: u64| {
            assert_eq!(key & <u64 as Key>::YES, 0, "{w}");
            assert_ne!(key, 0, "{w}");
            if let Some(other) = seen.insert(key, w.clone()) {
                assert_eq!(other, w, "same key");
            }
        };
        for &a in &chars {
            for &b in &chars {
                let two: String = [a, b].iter().collect();
                let mut padded = two.clone().into_bytes();
                padded.extend_from_slice(&[0xE7, 0xA2]);
                check(two.clone(), two_ideographs(load8(&padded, 0)));
                for &c in &chars {
                    let three: String = [a, b, c].iter().collect();
                    let bytes = three.as_bytes();
                    check(three.clone(), three_ideographs(load8(bytes, 0), bytes[8]));
                }
            }
        }
    }

    #[test]
    fn answers_come_back_and_collisions_recompute() {
        let mut memo = GramMemo::new(new_owner());
        let text = "碳化硅功率器件".as_bytes();
        let key = two_ideographs(load8(text, 0));
        assert!(memo.ideographs(key, || true));
        // Remembered: `decide` is not asked again.
        assert!(memo.ideographs(key, || unreachable!()));
        // Its slot taken by another key: asked again, same answer.
        let other = (1..)
            .map(|k: u64| k << 8)
            .find(|&k| k != key && slot(k, IDEOGRAPH_SLOTS) == slot(key, IDEOGRAPH_SLOTS))
            .unwrap_or_default();
        assert!(!memo.ideographs(other, || false));
        let mut asked = false;
        assert!(memo.ideographs(key, || {
            asked = true;
            true
        }));
        assert!(asked);
        // Byte keys: the length is part of the key.
        assert!(!memo.bytes(text, 0, 3, || false));
        assert!(memo.bytes(text, 0, 6, || true));
        assert!(!memo.bytes(text, 0, 3, || unreachable!()));
        // At the end of the text the bytes past it read as zero.
        assert!(memo.bytes(text, text.len() - 3, 3, || true));
    }
}
