//! Line breaking: words onto lines no wider than a box, and words longer than the box cut where
//! they must (order numbers without spaces).

use super::pdf::Weight;
use super::shape::shape;

/// Breaks `s` into lines no wider than `max` points at `size`.
pub fn lines(s: &str, size: f32, weight: Weight, max: f32) -> Vec<String> {
    let fits = |t: &str| shape(t, weight).width_at(size) <= max;
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let joined = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if fits(&joined) {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        let mut rest: Vec<char> = word.chars().collect();
        while !fits(&rest.iter().collect::<String>()) {
            let n = longest_prefix(&rest, |n| fits(&rest[..n].iter().collect::<String>())).max(1);
            out.push(rest[..n].iter().collect());
            rest.drain(..n);
        }
        line = rest.into_iter().collect();
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// The largest `n` in `0..=chars.len()` for which `ok(n)` holds, `ok` being monotonic.
pub fn longest_prefix(chars: &[char], ok: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_and_a_long_word_is_cut_to_the_box() {
        let text = format!("Ship to {}", "Ж".repeat(60));
        let lines = lines(&text, 10.0, Weight::Regular, 120.0);
        assert!(lines.len() > 3, "{lines:?}");
        assert_eq!(lines[0], "Ship to");
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
        for l in &lines {
            assert!(shape(l, Weight::Regular).width_at(10.0) <= 120.0, "{l}");
        }
    }
}
