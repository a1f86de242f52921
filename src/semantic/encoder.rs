//! The BERT encoder of multilingual-e5-small on candle: 4-bit weight matrices
//! multiplied as they are stored (Q4_0 × Q8_0 dot products), everything
//! else in f32. Output: the mean of the last hidden states, L2-normalized.

use super::model_file::{Dims, ModelFile};
use super::unigram::Unigram;
use anyhow::Context;
use candle_core::quantized::{GgmlDType, QMatMul, QTensor, ggml_file::qtensor_from_ggml};
use candle_core::{D, Device, Module, Tensor};

struct Linear {
    weight: QMatMul,
    bias: Tensor,
}

impl Linear {
    fn load(file: &ModelFile, name: &str, out: usize, inp: usize) -> anyhow::Result<Linear> {
        let raw = file.tensor(&format!("{name}.w"))?;
        let q = qtensor_from_ggml(GgmlDType::Q4_0, raw, vec![out, inp], &Device::Cpu)
            .with_context(|| format!("tensor {name}.w"))?;
        // f32 weights: the blocked f32 GEMM is about twice as fast here as
        // the row-by-row 4-bit dot products (21 M parameters, 84 MB).
        let weight = QMatMul::Tensor(q.dequantize(&Device::Cpu)?);
        Ok(Linear {
            weight,
            bias: Tensor::from_vec(file.floats(&format!("{name}.b"), out)?, out, &Device::Cpu)?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.weight.forward(x)?.broadcast_add(&self.bias)
    }
}

struct Norm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl Norm {
    fn load(file: &ModelFile, name: &str, dims: &Dims) -> anyhow::Result<Norm> {
        let h = dims.hidden;
        Ok(Norm {
            weight: Tensor::from_vec(file.floats(&format!("{name}.w"), h)?, h, &Device::Cpu)?,
            bias: Tensor::from_vec(file.floats(&format!("{name}.b"), h)?, h, &Device::Cpu)?,
            eps: f64::from(dims.eps),
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centered = x.broadcast_sub(&mean)?;
        let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
        centered
            .broadcast_div(&(var + self.eps)?.sqrt()?)?
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    ffn_in: Linear,
    ffn_out: Linear,
    output_norm: Norm,
}

pub struct Encoder {
    dims: Dims,
    words: QTensor,
    positions: Tensor,
    token_type: Tensor,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    pub tokenizer: Unigram,
}

impl Encoder {
    pub fn load(file: &ModelFile) -> anyhow::Result<Encoder> {
        let d = file.dims;
        let (h, ff) = (d.hidden, d.ffn);
        let words = qtensor_from_ggml(
            GgmlDType::Q4_0,
            file.tensor("emb.word")?,
            vec![d.vocab, h],
            &Device::Cpu,
        )?;
        let positions = Tensor::from_vec(
            file.floats("emb.pos", d.max_positions * h)?,
            (d.max_positions, h),
            &Device::Cpu,
        )?;
        let token_type = Tensor::from_vec(file.floats("emb.type", h)?, h, &Device::Cpu)?;
        let mut layers = Vec::with_capacity(d.layers);
        for l in 0..d.layers {
            let p = |s: &str| format!("l{l}.{s}");
            layers.push(Layer {
                q: Linear::load(file, &p("q"), h, h)?,
                k: Linear::load(file, &p("k"), h, h)?,
                v: Linear::load(file, &p("v"), h, h)?,
                attention_out: Linear::load(file, &p("ao"), h, h)?,
                attention_norm: Norm::load(file, &p("aln"), &d)?,
                ffn_in: Linear::load(file, &p("fi"), ff, h)?,
                ffn_out: Linear::load(file, &p("fo"), h, ff)?,
                output_norm: Norm::load(file, &p("oln"), &d)?,
            });
        }
        Ok(Encoder {
            dims: d,
            words,
            positions,
            token_type,
            embedding_norm: Norm::load(file, "emb.ln", &d)?,
            layers,
            tokenizer: Unigram::new(&file.vocabulary),
        })
    }

    pub fn dim(&self) -> usize {
        self.dims.hidden
    }

    /// The sum of the last hidden states of one window (markers included)
    /// and its token count.
    fn window(&self, ids: &[u32]) -> candle_core::Result<(Vec<f32>, usize)> {
        let d = &self.dims;
        let t = ids.len();
        let ids_t = Tensor::new(ids, &Device::Cpu)?;
        let mut x = self
            .words
            .embedding(&ids_t)?
            .add(&self.positions.narrow(0, 0, t)?)?
            .broadcast_add(&self.token_type)?;
        x = self.embedding_norm.forward(&x)?;
        let hd = d.hidden / d.heads;
        let scale = 1.0 / (hd as f64).sqrt();
        let heads = |y: Tensor| -> candle_core::Result<Tensor> {
            y.reshape((t, d.heads, hd))?.transpose(0, 1)?.contiguous()
        };
        for l in &self.layers {
            let q = heads(l.q.forward(&x)?)?;
            let k = heads(l.k.forward(&x)?)?;
            let v = heads(l.v.forward(&x)?)?;
            let scores = (q.matmul(&k.t()?)? * scale)?;
            let max = scores.max_keepdim(D::Minus1)?;
            let e = scores.broadcast_sub(&max)?.exp()?;
            let p = e.broadcast_div(&e.sum_keepdim(D::Minus1)?)?;
            let ctx = p
                .matmul(&v)?
                .transpose(0, 1)?
                .contiguous()?
                .reshape((t, d.hidden))?;
            x = l
                .attention_norm
                .forward(&(x + l.attention_out.forward(&ctx)?)?)?;
            let mid = l.ffn_in.forward(&x)?.gelu_erf()?;
            x = l.output_norm.forward(&(x + l.ffn_out.forward(&mid)?)?)?;
        }
        Ok((x.sum(0)?.to_vec1::<f32>()?, t))
    }

    /// The embedding of `text` (with its `query: ` / `passage: ` prefix
    /// already prepended). Texts longer than the model's window are split
    /// into windows whose mean states are averaged by token count.
    pub fn embed(&self, text: &str) -> anyhow::Result<Vec<f32>> {
        let content = self.tokenizer.encode(text);
        let per_window = self.dims.max_positions.saturating_sub(2).max(1);
        let mut sum = vec![0f32; self.dims.hidden];
        let mut tokens = 0usize;
        let chunks: Vec<&[u32]> = if content.is_empty() {
            vec![&[]]
        } else {
            content.chunks(per_window).collect()
        };
        for chunk in chunks {
            let mut ids = Vec::with_capacity(chunk.len() + 2);
            ids.push(self.tokenizer.bos);
            ids.extend_from_slice(chunk);
            ids.push(self.tokenizer.eos);
            let (s, n) = self.window(&ids)?;
            for (a, b) in sum.iter_mut().zip(s) {
                *a += b;
            }
            tokens += n;
        }
        let mean: Vec<f32> = sum.iter().map(|v| v / tokens.max(1) as f32).collect();
        let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        Ok(mean.into_iter().map(|v| v / norm).collect())
    }
}
