//! English for people: counts with their nouns (`1 scenario`, `2 scenarios`) and the
//! did-you-mean that names the nearest of the accepted words.

/// A count and its noun: `1 scenario`, `2 scenarios`.
pub fn count(n: usize, word: &str) -> String {
    format!("{n} {}", plural(n, word))
}

/// `word` or `words` after a count.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// The candidate nearest to `word`, if any is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .iter()
        .map(|c| (c, strsim::jaro_winkler(&lower, &c.to_lowercase())))
        .filter(|(_, score)| *score >= 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| *c)
}
