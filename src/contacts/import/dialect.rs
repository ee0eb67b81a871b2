//! The dialect of a delimited text file: an Excel `sep=` line, comment and blank lines before
//! the header, the separator (comma, semicolon, tab or vertical bar) and unclosed quotes.

/// The separators an import recognises, in the order that wins a tie.
const SEPARATORS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Where the header starts and how fields are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Dialect {
    pub(super) separator: u8,
    /// Lines before the header (`sep=` line, comments, blank lines).
    pub(super) lines_before: u64,
    /// Byte offset of the header in the text.
    pub(super) header_at: usize,
}

/// The separator's name as reports show it.
pub fn separator_name(separator: char) -> &'static str {
    match separator {
        ',' => "comma",
        ';' => "semicolon",
        '\t' => "tab",
        '|' => "vertical bar",
        _ => "other",
    }
}

/// Finds the header and the separator: a first line `sep=X` (as Excel writes it) names the
/// separator; otherwise the most frequent of comma, semicolon, tab and vertical bar on the
/// header line (outside quotes) is taken.
pub(super) fn detect(text: &str) -> Dialect {
    let mut at = 0;
    let mut lines_before = 0;
    let mut declared = None;
    let first = text.split('\n').next().unwrap_or("");
    let bytes = first.trim_end().as_bytes();
    if bytes.len() == 5 && bytes[..4].eq_ignore_ascii_case(b"sep=") && bytes[4].is_ascii() {
        declared = Some(bytes[4]);
        at = (first.len() + 1).min(text.len());
        lines_before = 1;
    }
    for line in text[at..].split_inclusive('\n') {
        let content = line.trim_start_matches([' ', '\t']);
        let blank = content
            .trim_end_matches(['\n', '\r'])
            .bytes()
            .all(|b| SEPARATORS.contains(&b) || b == b' ');
        if !(blank || content.starts_with('#')) {
            break;
        }
        at += line.len();
        lines_before += 1;
    }
    let separator = declared.unwrap_or_else(|| sniff(&text[at..]));
    Dialect {
        separator,
        lines_before,
        header_at: at,
    }
}

/// The most frequent separator on the first line (outside quotes); comma when there is none.
fn sniff(text: &str) -> u8 {
    let mut counts = [0usize; SEPARATORS.len()];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = SEPARATORS.iter().position(|&s| s == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for (i, &n) in counts.iter().enumerate() {
        if n > counts[best] {
            best = i;
        }
    }
    SEPARATORS[best]
}

/// The line where a quoted field opens and is never closed, if any (`first_line`: the line
/// number of the text's first line). A quote opens a field only at its start, as in RFC 4180.
pub(super) fn unclosed_quote(text: &str, separator: u8, first_line: u64) -> Option<u64> {
    // From quote to quote (`memchr`): a loop over every byte took about 8 ms of a 7 MB file.
    let bytes = text.as_bytes();
    let mut quotes = memchr::memchr_iter(b'"', bytes);
    while let Some(open) = quotes.next() {
        let starts_field = open == 0 || bytes[open - 1] == b'\n' || bytes[open - 1] == separator;
        if !starts_field {
            continue;
        }
        // Inside a quoted field, up to the quote that closes it (`""` is a quote inside it).
        loop {
            match quotes.next() {
                None => {
                    let lines = memchr::memchr_iter(b'\n', &bytes[..open]).count() as u64;
                    return Some(first_line + lines);
                }
                Some(at) if bytes.get(at + 1) == Some(&b'"') => {
                    quotes.next();
                }
                Some(_) => break,
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sep_line_comments_and_blank_rows_come_before_the_header() {
        let text = "sep=;\n# note\n;;\nnom;courriel\n";
        let d = detect(text);
        assert_eq!((d.separator, d.lines_before), (b';', 3));
        assert!(text[d.header_at..].starts_with("nom;"));
    }

    #[test]
    fn the_most_frequent_separator_wins() {
        assert_eq!(detect("name\temail\tcompany\n").separator, b'\t');
        assert_eq!(detect("name|email|company\n").separator, b'|');
        assert_eq!(detect("\"a,b\";email\n").separator, b';');
        assert_eq!(detect("name\n").separator, b',');
    }

    #[test]
    fn an_unclosed_quote_is_found_where_it_opens() {
        let text = "name,email,company\nA,a@x.org,\"Co\nB,b@x.org,\nC,c@x.org,\n";
        assert_eq!(unclosed_quote(text, b',', 1), Some(2));
        let fine = "name,email\n\"A \"\"B\"\"\nC\",a@x.org\nD\"E,d@x.org\n";
        assert_eq!(unclosed_quote(fine, b',', 1), None);
    }
}
