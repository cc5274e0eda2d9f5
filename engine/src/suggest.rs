//! Did-you-mean suggestions for misspelt ids, fact paths and function names.
//!
//! Plain edit distance ranks `device.from` as close to `device.prot` as
//! `device.port`; typing errors are mostly swapped neighbours, so a swap counts as
//! one edit here (optimal string alignment distance).

/// The closest candidate, counting a swap of two neighbouring letters as one
/// edit (`prot` is `port`, not `from`); None when nothing is close enough.
pub fn did_you_mean<'a>(word: &str, candidates: impl Iterator<Item = &'a String>) -> Option<String> {
    let mut best: Option<(usize, &String)> = None;
    for c in candidates {
        let d = osa_distance(word, c);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.filter(|(d, c)| *d <= 3.max(c.len() / 4)).map(|(_, c)| c.clone())
}

/// Optimal string alignment distance: Levenshtein plus adjacent transpositions.
fn osa_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_count_as_one_edit() {
        let c: Vec<String> = ["device.from", "device.port", "device.username"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(did_you_mean("device.prot", c.iter()).as_deref(), Some("device.port"));
        assert_eq!(did_you_mean("device.usrname", c.iter()).as_deref(), Some("device.username"));
        assert_eq!(did_you_mean("zzzzzzzzzzzz", c.iter()), None);
    }
}
