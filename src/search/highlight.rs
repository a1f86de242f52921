//! Snippets: the passage of a text with the most query terms, HTML-escaped,
//! with each matched term in `<mark>`.
//!
//! Built from the analyzer's own offsets (not tantivy's snippet generator) so
//! that the same code can later say where each matched term occurs for match
//! explanations.

use super::analyzer::{Analyzer, Mode};
use std::collections::HashSet;

/// Length of a snippet in characters.
pub const SNIPPET_CHARS: usize = 120;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlighted {
    pub html: String,
    /// Distinct terms found, in text order.
    pub matched: Vec<String>,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Byte ranges of `text` whose terms are in `wanted`, longest match first
/// where they overlap (search mode yields 碳化硅 and its parts).
fn match_ranges(
    analyzer: &Analyzer,
    text: &str,
    wanted: &HashSet<String>,
) -> Vec<(usize, usize, String)> {
    let mut ranges: Vec<(usize, usize, String)> = Vec::new();
    analyzer.for_each_term(text, Mode::Search, |w, from, to| {
        if wanted.contains(w) {
            ranges.push((from, to, w.to_owned()));
        }
    });
    ranges.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut merged: Vec<(usize, usize, String)> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.0 < last.1 => {
                if r.1 > last.1 {
                    last.1 = r.1;
                }
            }
            _ => merged.push(r),
        }
    }
    merged
}

/// The whole text, escaped, with matches marked (for titles).
pub fn highlight_all(analyzer: &Analyzer, text: &str, wanted: &HashSet<String>) -> Highlighted {
    let ranges = match_ranges(analyzer, text, wanted);
    render(text, 0, text.len(), &ranges)
}

/// The best window of about [`SNIPPET_CHARS`] characters.
pub fn snippet(analyzer: &Analyzer, text: &str, wanted: &HashSet<String>) -> Highlighted {
    let ranges = match_ranges(analyzer, text, wanted);
    let window_bytes = text
        .char_indices()
        .nth(SNIPPET_CHARS)
        .map_or(text.len(), |(i, _)| i);
    if text.len() <= window_bytes {
        return render(text, 0, text.len(), &ranges);
    }
    // Start at the match that has the most matches within one window after it.
    let mut best = (0usize, 0usize);
    for (i, r) in ranges.iter().enumerate() {
        let count = ranges[i..]
            .iter()
            .take_while(|x| x.1 <= r.0 + window_bytes * 3 / 2)
            .count();
        if count > best.1 {
            best = (r.0, count);
        }
    }
    // Back up a little so the first match has some context before it.
    let mut start = best.0;
    let mut back = 0;
    while start > 0 && back < 10 {
        start -= 1;
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        back += 1;
    }
    let end = text[start..]
        .char_indices()
        .nth(SNIPPET_CHARS)
        .map_or(text.len(), |(i, _)| start + i);
    let mut h = render(text, start, end, &ranges);
    if start > 0 {
        h.html.insert(0, '…');
    }
    if end < text.len() {
        h.html.push('…');
    }
    h
}

fn render(text: &str, start: usize, end: usize, ranges: &[(usize, usize, String)]) -> Highlighted {
    let mut html = String::with_capacity((end - start) * 2);
    let mut matched: Vec<String> = Vec::new();
    let mut pos = start;
    for (from, to, term) in ranges {
        if *to <= start || *from >= end {
            continue;
        }
        let (from, to) = ((*from).max(start), (*to).min(end));
        if from < pos {
            continue;
        }
        escape(&text[pos..from], &mut html);
        html.push_str("<mark>");
        escape(&text[from..to], &mut html);
        html.push_str("</mark>");
        pos = to;
        if !matched.contains(term) {
            matched.push(term.clone());
        }
    }
    escape(&text[pos..end], &mut html);
    Highlighted { html, matched }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(terms: &[&str]) -> HashSet<String> {
        terms.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn html_in_the_text_is_escaped_and_matches_are_marked() {
        let a = Analyzer::shared();
        let h = highlight_all(&a, "<b>碳化硅</b> & SiC", &wanted(&["碳化硅", "sic"]));
        assert_eq!(
            h.html,
            "&lt;b&gt;<mark>碳化硅</mark>&lt;/b&gt; &amp; <mark>SiC</mark>"
        );
        assert_eq!(h.matched, ["碳化硅", "sic"]);
    }

    #[test]
    fn full_width_latin_is_marked_at_its_original_offsets() {
        let a = Analyzer::shared();
        let h = highlight_all(&a, "采用ＳｉＣ器件", &wanted(&["sic"]));
        assert_eq!(h.html, "采用<mark>ＳｉＣ</mark>器件");
    }

    #[test]
    fn a_long_text_is_cut_around_its_matches() {
        let a = Analyzer::shared();
        let text = format!(
            "{}氮化镓外延片{}",
            "无关的内容。".repeat(60),
            "其他文字。".repeat(60)
        );
        let h = snippet(&a, &text, &wanted(&["氮化镓"]));
        assert!(
            h.html.starts_with('…') && h.html.ends_with('…'),
            "{}",
            h.html
        );
        assert!(h.html.contains("<mark>氮化镓</mark>"));
        assert!(h.html.chars().count() <= SNIPPET_CHARS + 2 + "<mark></mark>".len());
    }
}
