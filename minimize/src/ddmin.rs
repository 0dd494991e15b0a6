//! Delta debugging (Zeller and Hildebrandt's ddmin): the smallest subset of a list for which a
//! test still passes, trying ever finer partitions — each part alone first (a big cut), then
//! each part's complement — until no single element can go.

/// Reduces `items` (for which `test` is assumed to hold) to a 1-minimal subset: one from which
/// removing any single element makes `test` fail. `test` gets the indices (into `items`) kept.
pub fn ddmin(n_items: usize, mut test: impl FnMut(&[usize]) -> bool) -> Vec<usize> {
    let mut cur: Vec<usize> = (0..n_items).collect();
    if cur.len() == 1 && test(&[]) {
        return Vec::new();
    }
    let mut n = 2usize;
    while cur.len() >= 2 {
        let parts = split(&cur, n);
        let mut reduced = false;
        // A part alone.
        for p in &parts {
            if p.len() < cur.len() && test(p) {
                cur = p.clone();
                n = 2;
                reduced = true;
                break;
            }
        }
        // A part's complement.
        if !reduced && n > 2 {
            for (i, _) in parts.iter().enumerate() {
                let comp: Vec<usize> = parts
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, p)| p.iter().copied())
                    .collect();
                if test(&comp) {
                    cur = comp;
                    n = (n - 1).max(2);
                    reduced = true;
                    break;
                }
            }
        }
        if !reduced {
            if n >= cur.len() {
                break;
            }
            n = (2 * n).min(cur.len());
        }
    }
    if cur.len() == 1 && test(&[]) {
        cur.clear();
    }
    cur
}

/// `items` in `n` contiguous parts of near-equal size.
fn split(items: &[usize], n: usize) -> Vec<Vec<usize>> {
    let n = n.min(items.len()).max(1);
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for k in 0..n {
        let end = start + (items.len() - start) / (n - k);
        out.push(items[start..end].to_vec());
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_two_elements_that_matter() {
        let mut tests = 0;
        let got = ddmin(64, |kept| {
            tests += 1;
            kept.contains(&17) && kept.contains(&40)
        });
        assert_eq!(got, vec![17, 40]);
        assert!(tests < 64 * 2, "{tests} tests");
    }

    #[test]
    fn everything_can_go() {
        assert_eq!(ddmin(10, |_| true), Vec::<usize>::new());
        assert_eq!(ddmin(1, |_| true), Vec::<usize>::new());
    }

    #[test]
    fn nothing_can_go() {
        let got = ddmin(5, |kept| kept.len() == 5);
        assert_eq!(got, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_run_that_must_stay_together() {
        let got = ddmin(30, |kept| (10..14).all(|i| kept.contains(&i)));
        assert_eq!(got, vec![10, 11, 12, 13]);
    }

    #[test]
    fn parts_cover_everything_once() {
        let items: Vec<usize> = (0..11).collect();
        for n in 1..=11 {
            let parts = split(&items, n);
            assert_eq!(parts.len(), n);
            let flat: Vec<usize> = parts.concat();
            assert_eq!(flat, items);
        }
    }
}
