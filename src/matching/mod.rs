//! Matching needs with capabilities: candidate retrieval, feature-based
//! re-ranking with explanations, evaluation on judged data.

pub mod eval;
pub mod learn;
pub mod ranker;
pub mod text;
pub mod weights;

pub mod providers;

pub use ranker::{MatchOptions, Matcher, Profile, Ranked};
pub use weights::Weights;
