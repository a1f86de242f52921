//! Confidentiality inside the search, as a wrapper around the text query.
//!
//! A `Must` clause beside a disjunction of terms turns off tantivy's
//! block-max WAND pruning (the boolean query then becomes a plain
//! intersection that scores every matching document). Wrapping the query
//! instead keeps the pruning: records the caller may not see are dropped as
//! the scorer finds them, before they reach the top-k collector, so ranking,
//! paging, counts and facets never see them.

use crate::domain::access::Visibility;
use tantivy::columnar::Column;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError};

/// `inner`, restricted to the records `visibility` allows.
#[derive(Debug)]
pub struct VisibleOnly {
    inner: Box<dyn Query>,
    /// Records of this organization are visible even when not public.
    org: Option<i64>,
}

impl VisibleOnly {
    /// `query` as is for `Visibility::All`, wrapped otherwise.
    pub fn wrap(query: Box<dyn Query>, visibility: Visibility) -> Box<dyn Query> {
        match visibility {
            Visibility::All => query,
            Visibility::Public => Box::new(VisibleOnly {
                inner: query,
                org: None,
            }),
            Visibility::PublicAndOrg(org) => Box::new(VisibleOnly {
                inner: query,
                org: Some(org),
            }),
        }
    }
}

impl Clone for VisibleOnly {
    fn clone(&self) -> Self {
        VisibleOnly {
            inner: self.inner.box_clone(),
            org: self.org,
        }
    }
}

impl Query for VisibleOnly {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(VisibleWeight {
            inner: self.inner.weight(enable_scoring)?,
            org: self.org,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

/// The visibility test of one segment, from fast fields.
struct Allowed {
    public: Column<u64>,
    org_id: Option<Column<i64>>,
    org: Option<i64>,
}

impl Allowed {
    fn open(reader: &SegmentReader, org: Option<i64>) -> tantivy::Result<Allowed> {
        let fast = reader.fast_fields();
        Ok(Allowed {
            public: fast.u64("public")?,
            org_id: match org {
                Some(_) => Some(fast.i64("org_id")?),
                None => None,
            },
            org,
        })
    }

    fn allows(&self, doc: DocId) -> bool {
        self.public.first(doc) == Some(1)
            || match (&self.org_id, self.org) {
                (Some(col), Some(org)) => col.first(doc) == Some(org),
                _ => false,
            }
    }
}

struct VisibleWeight {
    inner: Box<dyn Weight>,
    org: Option<i64>,
}

impl Weight for VisibleWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorer = VisibleScorer {
            inner: self.inner.scorer(reader, boost)?,
            allowed: Allowed::open(reader, self.org)?,
        };
        scorer.skip_hidden();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if !Allowed::open(reader, self.org)?.allows(doc) {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} is not visible"
            )));
        }
        self.inner.explain(reader, doc)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let allowed = Allowed::open(reader, self.org)?;
        // The collector raises the threshold as it fills; a hidden record
        // leaves it where it was.
        let mut current = threshold;
        self.inner
            .for_each_pruning(threshold, reader, &mut |doc, score| {
                if allowed.allows(doc) {
                    current = callback(doc, score);
                }
                current
            })
    }
}

struct VisibleScorer {
    inner: Box<dyn Scorer>,
    allowed: Allowed,
}

impl VisibleScorer {
    /// Moves past hidden records from the current position.
    fn skip_hidden(&mut self) -> DocId {
        let mut doc = self.inner.doc();
        while doc != TERMINATED && !self.allowed.allows(doc) {
            doc = self.inner.advance();
        }
        doc
    }
}

impl DocSet for VisibleScorer {
    fn advance(&mut self) -> DocId {
        self.inner.advance();
        self.skip_hidden()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target);
        self.skip_hidden()
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }
}

impl Scorer for VisibleScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::{FAST, INDEXED, IndexRecordOption, Schema, TEXT};
    use tantivy::{DocAddress, Index, Term, doc};

    /// Several segments of documents over a small vocabulary, a third of them
    /// hidden, spread over four organizations.
    fn index() -> tantivy::Result<(
        Index,
        tantivy::schema::Field,
        tantivy::schema::Field,
        tantivy::schema::Field,
    )> {
        let mut b = Schema::builder();
        let text = b.add_text_field("text", TEXT);
        let public = b.add_u64_field("public", INDEXED | FAST);
        let org_id = b.add_i64_field("org_id", INDEXED | FAST);
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        let words = [
            "coke", "gas", "sulfur", "sic", "wafer", "steel", "hydrogen", "cell",
        ];
        for segment in 0..3u64 {
            for i in 0..700u64 {
                let n = segment * 700 + i;
                let mut body = String::new();
                for (k, w) in words.iter().enumerate() {
                    // A deterministic, uneven mix of term frequencies.
                    for _ in 0..((n * (k as u64 + 3)) % 5) {
                        body.push_str(w);
                        body.push(' ');
                    }
                }
                writer.add_document(doc!(
                    text => body,
                    public => u64::from(n % 3 != 0),
                    org_id => (n % 4) as i64,
                ))?;
            }
            writer.commit()?;
        }
        Ok((index, text, public, org_id))
    }

    fn disjunction(text: tantivy::schema::Field) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            ["coke", "sulfur", "wafer", "cell"]
                .iter()
                .map(|w| {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(text, w),
                            IndexRecordOption::WithFreqs,
                        )) as Box<dyn Query>,
                    )
                })
                .collect(),
        ))
    }

    /// The same restriction written as a required clause (no pruning).
    fn with_clause(
        query: Box<dyn Query>,
        public: tantivy::schema::Field,
        org_id: tantivy::schema::Field,
        org: Option<i64>,
    ) -> Box<dyn Query> {
        let mut allowed: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Should,
            Box::new(TermQuery::new(
                Term::from_field_u64(public, 1),
                IndexRecordOption::Basic,
            )),
        )];
        if let Some(org) = org {
            allowed.push((
                Occur::Should,
                Box::new(TermQuery::new(
                    Term::from_field_i64(org_id, org),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, query),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    Box::new(BooleanQuery::new(allowed)),
                    0.0,
                )),
            ),
        ]))
    }

    #[test]
    fn pruned_top_k_equals_the_required_clause_and_hides_what_it_must() -> tantivy::Result<()> {
        let (index, text, public, org_id) = index()?;
        let searcher = index.reader()?.searcher();
        assert!(searcher.segment_readers().len() > 1);
        for (visibility, org) in [
            (Visibility::Public, None),
            (Visibility::PublicAndOrg(2), Some(2)),
        ] {
            for k in [1, 10, 100] {
                let top = TopDocs::with_limit(k).order_by_score();
                let ours =
                    searcher.search(&*VisibleOnly::wrap(disjunction(text), visibility), &top)?;
                let reference =
                    searcher.search(&*with_clause(disjunction(text), public, org_id, org), &top)?;
                let ids = |v: &[(f32, DocAddress)]| v.iter().map(|(_, a)| *a).collect::<Vec<_>>();
                assert_eq!(ids(&ours), ids(&reference), "{visibility:?} top {k}");
                for ((a, _), (b, _)) in ours.iter().zip(&reference) {
                    assert!((a - b).abs() < 1e-4);
                }
            }
            // Counting goes through the scorer (no pruning): same total.
            let wrapped = VisibleOnly::wrap(disjunction(text), visibility);
            let total = searcher.search(&*wrapped, &Count)?;
            let expected = searcher.search(
                &*with_clause(disjunction(text), public, org_id, org),
                &Count,
            )?;
            assert_eq!(total, expected);
            assert!(total < searcher.search(&*disjunction(text), &Count)?);
        }
        // Everything for staff: the query is not wrapped.
        let all = searcher.search(
            &*VisibleOnly::wrap(disjunction(text), Visibility::All),
            &Count,
        )?;
        assert_eq!(all, searcher.search(&*disjunction(text), &Count)?);
        Ok(())
    }
}
