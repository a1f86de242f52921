//! Chinese full-text search over needs and capabilities (tantivy + jieba-rs).
//!
//! | module | role |
//! | --- | --- |
//! | `normalize`, `analyzer`, `gram_memo`, `tokenizer` | text → terms (simplified, half-width, lower-case, jieba search mode, domain dictionary, stop words) |
//! | `synonyms` | query-time synonym and abbreviation expansion |
//! | `schema`, `document` | the index schema and how rows become documents |
//! | `store` | index folders, the current build, opening an index |
//! | `indexer` | following the change log; full rebuilds |
//! | `searcher`, `highlight` | queries, filters, facets, snippets |
//! | `visible` | confidentiality inside the search, keeping top-k pruning |
//! | `pool` | a candidate pool (document addresses) as a query, for second passes |
//! | `service` | the per-process service: current index, indexer task, bounded searches |

pub mod analyzer;
pub mod assets;
pub mod char_bits;
pub mod document;
pub mod gram_memo;
pub mod highlight;
pub mod indexer;
pub mod normalize;
pub mod pool;
pub mod schema;
pub mod searcher;
pub mod service;
pub mod stop_words;
pub mod store;
pub mod synonyms;
pub mod tokenizer;
pub mod visible;

pub use document::Kind;
pub use service::{SearchError, SearchService};
