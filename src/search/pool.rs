//! Scoring a candidate pool: the documents a first pass found, scored with a
//! fuller query (matching's full query after its short first pass; search's
//! exact scores after a pass over the distinctive terms).
//!
//! Each clause's scorer seeks from one pooled document to the next, which
//! costs a skip-list step per clause and document. A boolean query
//! restricted to the pool does not: its union buffers every posting in a
//! window of a few thousand documents around each seek, so at 800,000
//! capabilities a 300-document pool cost as much as a scan (6–13 ms per pass,
//! against well under a millisecond this way). Before that, the pool was a
//! term set over external ids read from a fast field (another ~10 ms).

use std::collections::BTreeMap;
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, TERMINATED};

/// The best `k` of `pool` by the sum of the clauses' scores (what a boolean
/// query of these clauses, all `Should`, would give them). Documents that
/// match no clause are left out.
pub fn score_pool(
    searcher: &Searcher,
    clauses: &[Box<dyn Query>],
    pool: &[DocAddress],
    k: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let mut by_segment: BTreeMap<u32, Vec<DocId>> = BTreeMap::new();
    for a in pool {
        by_segment.entry(a.segment_ord).or_default().push(a.doc_id);
    }
    let weights = clauses
        .iter()
        .map(|q| q.weight(EnableScoring::enabled_from_searcher(searcher)))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let mut scored: Vec<(Score, DocAddress)> = Vec::with_capacity(pool.len());
    for (segment, mut docs) in by_segment {
        docs.sort_unstable();
        docs.dedup();
        let reader = searcher.segment_reader(segment);
        let mut sums: Vec<Option<Score>> = vec![None; docs.len()];
        for weight in &weights {
            let mut scorer = weight.scorer(reader, 1.0)?;
            for (i, &doc) in docs.iter().enumerate() {
                let mut at = scorer.doc();
                if at < doc {
                    at = scorer.seek(doc);
                }
                if at == TERMINATED {
                    break;
                }
                if at == doc {
                    *sums[i].get_or_insert(0.0) += scorer.score();
                }
            }
        }
        scored.extend(
            docs.iter()
                .zip(sums)
                .filter_map(|(&doc, s)| Some((s?, DocAddress::new(segment, doc)))),
        );
    }
    // Ties in document order, as tantivy's collector breaks them.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored.truncate(k);
    Ok(scored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, Term, doc};

    #[test]
    fn pool_scores_equal_the_boolean_query_scores() -> tantivy::Result<()> {
        let mut b = Schema::builder();
        let text = b.add_text_field("text", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        let words = ["coke", "gas", "sulfur", "sic", "wafer"];
        for segment in 0..3u32 {
            for i in 0..400u32 {
                let n = segment * 400 + i;
                let body: Vec<&str> = words
                    .iter()
                    .enumerate()
                    .flat_map(|(k, w)| std::iter::repeat_n(*w, (n as usize * (k + 2)) % 4))
                    .collect();
                writer.add_document(doc!(text => body.join(" ")))?;
            }
            writer.commit()?;
        }
        let searcher = index.reader()?.searcher();
        assert!(searcher.segment_readers().len() > 1);
        let term = |w: &str, boost: f32| -> Box<dyn Query> {
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(text, w),
                    IndexRecordOption::WithFreqs,
                )),
                boost,
            ))
        };
        let clauses = vec![term("coke", 1.0), term("sic", 2.5), term("wafer", 0.5)];
        let boolean = BooleanQuery::new(
            clauses
                .iter()
                .map(|q| (Occur::Should, q.box_clone()))
                .collect(),
        );
        let all = searcher.search(&boolean, &TopDocs::with_limit(2000).order_by_score())?;
        // A pool of every third match, from every segment.
        let pool: Vec<DocAddress> = all.iter().map(|(_, a)| *a).step_by(3).collect();
        let scored = score_pool(&searcher, &clauses, &pool, 25)?;
        assert_eq!(scored.len(), 25);
        let expected: Vec<(Score, DocAddress)> = all
            .iter()
            .filter(|(_, a)| pool.contains(a))
            .take(25)
            .copied()
            .collect();
        for ((s, a), (es, ea)) in scored.iter().zip(&expected) {
            assert!((s - es).abs() < 1e-4, "{a:?} {s} vs {ea:?} {es}");
        }
        // Documents that match no clause are not scored ("sulfur" occurs
        // (4n mod 4) = 0 times in every document).
        assert!(score_pool(&searcher, &[term("sulfur", 1.0)], &pool, 2000)?.is_empty());
        let some = score_pool(&searcher, &[term("gas", 1.0)], &pool, 2000)?;
        assert!(!some.is_empty() && some.len() <= pool.len());
        Ok(())
    }
}
