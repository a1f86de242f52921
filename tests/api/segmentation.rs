//! Segmentation: the plan's terms stay whole (and their parts still match),
//! and general text segments as the reference Python jieba does.

use crate::helpers::repo_root;
use duijie::search::analyzer::{Analyzer, Mode};

const PLAN_TERMS: [&str; 12] = [
    "碳化硅",
    "氮化镓",
    "砷化镓",
    "深紫外",
    "柔性显示",
    "氢燃料电池",
    "加氢站",
    "焦炉煤气",
    "现代煤化工",
    "大数据标注",
    "通用航空",
    "工业互联网",
];

#[test]
fn the_plans_technology_terms_stay_whole_in_running_text() {
    let a = Analyzer::shared();
    for term in PLAN_TERMS {
        let sentence = format!("公司计划开展{term}相关项目的合作研发");
        let words = a.raw_cut(&sentence, false);
        assert!(words.contains(&term), "{term} split: {words:?}");
    }
}

#[test]
fn search_mode_also_emits_the_parts_of_long_terms() {
    let a = Analyzer::shared();
    let terms = a.distinct_terms("氢燃料电池加氢站建设", Mode::Search);
    for part in ["氢燃料电池", "燃料电池", "燃料", "电池", "加氢站"] {
        assert!(
            terms.iter().any(|t| t == part),
            "{part} missing from {terms:?}"
        );
    }
}

#[test]
fn stop_words_and_punctuation_are_not_terms() {
    let a = Analyzer::shared();
    let terms = a.distinct_terms("我们的企业希望进行碳化硅的合作，。！", Mode::Search);
    assert!(terms.contains(&"碳化硅".to_owned()), "{terms:?}");
    for gone in ["的", "我们", "，", "。", "！"] {
        assert!(!terms.iter().any(|t| t == gone), "{gone} kept: {terms:?}");
    }
}

#[test]
fn offsets_point_into_the_original_mixed_text() {
    let a = Analyzer::shared();
    let text = "采用ＳｉＣ MOSFET 与 GaN-on-Si 器件，效率97.5%";
    for t in a.terms(text, Mode::Search) {
        let original = &text[t.from..t.to];
        let normalized = duijie::search::normalize::normalize(original);
        assert_eq!(
            normalized.text, t.text,
            "term {} maps to {original:?}",
            t.text
        );
    }
}

fn reference(file: &str) -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures").join(file)).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (sentence, tokens) = l.split_once('\t').unwrap();
            (
                sentence.to_owned(),
                tokens.split(' ').map(str::to_owned).collect(),
            )
        })
        .collect()
}

#[test]
fn general_text_segments_as_the_reference_python_jieba_does() {
    let a = Analyzer::shared();
    let cases = reference("jieba_reference.tsv");
    assert!(cases.len() >= 30);
    for (sentence, expected) in cases {
        let got: Vec<&str> = a
            .raw_cut(&sentence, false)
            .into_iter()
            .filter(|w| !w.trim().is_empty())
            .collect();
        assert_eq!(got, expected, "{sentence}");
    }
}

#[test]
fn search_mode_matches_the_reference_python_jieba() {
    let a = Analyzer::shared();
    for (sentence, expected) in reference("jieba_reference_search.tsv") {
        let got: Vec<&str> = a
            .raw_cut(&sentence, true)
            .into_iter()
            .filter(|w| !w.trim().is_empty())
            .collect();
        assert_eq!(got, expected, "{sentence}");
    }
}
