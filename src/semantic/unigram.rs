//! SentencePiece-style Unigram segmentation over the vocabulary stored in the
//! model file: per-character normalization, spaces as the metaspace marker,
//! then the most probable split (Viterbi over piece log-probabilities).

use super::model_file::Vocabulary;
use std::collections::HashMap;

const METASPACE: char = '\u{2581}';

pub struct Unigram {
    ids: HashMap<String, u32>,
    scores: Vec<f32>,
    normalization: HashMap<char, Vec<char>>,
    /// Score of a character no piece covers: below every real piece.
    unknown_score: f32,
    max_piece_chars: usize,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
}

impl Unigram {
    pub fn new(v: &Vocabulary) -> Unigram {
        let mut ids = HashMap::with_capacity(v.pieces.len());
        let mut max_piece_chars = 1;
        for (i, p) in v.pieces.iter().enumerate() {
            if p.is_empty() || i as u32 == v.unk {
                continue;
            }
            max_piece_chars = max_piece_chars.max(p.chars().count());
            // Keep the first id of a duplicated piece (the file has none, but
            // the lowest id is what the reference tokenizer would return).
            ids.entry(p.clone()).or_insert(i as u32);
        }
        let min = v.scores.iter().copied().fold(f32::INFINITY, f32::min);
        Unigram {
            ids,
            scores: v.scores.clone(),
            normalization: v.normalization.clone(),
            unknown_score: if min.is_finite() { min - 10.0 } else { -100.0 },
            max_piece_chars,
            bos: v.bos,
            eos: v.eos,
            unk: v.unk,
        }
    }

    /// Token ids of `text` without the sentence markers.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut chars: Vec<char> = Vec::with_capacity(text.len() + 1);
        for c in text.chars() {
            match self.normalization.get(&c) {
                Some(to) => chars.extend(to),
                None => chars.push(c),
            }
        }
        // Runs of spaces count as one; every space becomes the marker, and
        // the text starts with one.
        let mut norm: Vec<char> = Vec::with_capacity(chars.len() + 1);
        if chars.first() != Some(&' ') {
            norm.push(METASPACE);
        }
        for c in chars {
            if c == ' ' && norm.last() == Some(&METASPACE) && !norm.is_empty() {
                continue;
            }
            norm.push(if c == ' ' { METASPACE } else { c });
        }
        let n = norm.len();
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut back: Vec<(usize, u32)> = vec![(0, self.unk); n + 1];
        best[0] = 0.0;
        let mut piece = String::new();
        for start in 0..n {
            if best[start] == f32::NEG_INFINITY {
                continue;
            }
            piece.clear();
            for end in start + 1..=(start + self.max_piece_chars).min(n) {
                piece.push(norm[end - 1]);
                if let Some(&id) = self.ids.get(&piece) {
                    let s = best[start] + self.scores[id as usize];
                    if s > best[end] {
                        best[end] = s;
                        back[end] = (start, id);
                    }
                }
            }
            let s = best[start] + self.unknown_score;
            if s > best[start + 1] {
                best[start + 1] = s;
                back[start + 1] = (start, self.unk);
            }
        }
        let mut out = Vec::new();
        let mut at = n;
        while at > 0 {
            let (from, id) = back[at];
            out.push(id);
            at = from;
        }
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary(pieces: &[(&str, f32)]) -> Vocabulary {
        let mut all = vec![("<s>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)];
        all.extend_from_slice(pieces);
        Vocabulary {
            pieces: all.iter().map(|(p, _)| (*p).to_owned()).collect(),
            scores: all.iter().map(|(_, s)| *s).collect(),
            bos: 0,
            eos: 1,
            unk: 2,
            normalization: [('Ｓ', vec!['S'])].into_iter().collect(),
        }
    }

    #[test]
    fn the_most_probable_split_wins() {
        // "▁碳化硅" as one piece (-3) beats "▁碳" + "化硅" (-2 + -2).
        let u = Unigram::new(&vocabulary(&[
            ("▁碳化硅", -3.0),
            ("▁碳", -2.0),
            ("化硅", -2.0),
            ("▁", -1.0),
            ("Si", -2.5),
            ("C", -2.5),
            ("SiC", -4.0),
        ]));
        assert_eq!(u.encode("碳化硅"), vec![3]);
        // Spaces become the marker; runs of spaces count once; full-width
        // letters are folded by the model's normalization map.
        assert_eq!(u.encode("碳化硅  ＳiC"), vec![3, 6, 9]);
    }

    #[test]
    fn characters_no_piece_covers_are_unknown() {
        let u = Unigram::new(&vocabulary(&[("▁", -1.0), ("a", -1.0)]));
        assert_eq!(u.encode("a☃a"), vec![3, 4, 2, 4]);
        assert_eq!(u.encode(""), vec![3]);
    }
}
