//! Turning the bytes an office wrote into text: the encoding detected (BOM, UTF-8, else the
//! legacy single-byte encoding `chardetng` guesses) and lone CR line endings made `\n`.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// A file's text and the encoding it was read in.
pub(super) struct Decoded<'a> {
    /// Borrowed from the file's bytes when they are UTF-8 without lone CRs (the common case).
    pub(super) text: Cow<'a, str>,
    /// How the report names the encoding, e.g. `UTF-8 with BOM`, `windows-1252`.
    pub(super) encoding: String,
}

/// Decodes `bytes`: a BOM decides (UTF-8, UTF-16 LE or BE); else valid UTF-8 is UTF-8; else the
/// legacy encoding `chardetng` finds most likely (for Western European files, windows-1252).
/// CRLF line endings stay: the CSV reader takes them as line ends, and the parser makes them LF
/// inside quoted fields. A file with a lone CR (old Mac files) has every line ending made LF, so
/// that line numbers count what editors show. Windows files are thus not copied: unifying their
/// line endings took about 6 ms of a 7 MB file (a fresh copy, and its page faults).
/// UTF-8 (the common case) is validated with SIMD (`simdutf8`): the standard library's check
/// took about 10 ms of a 7 MB file of accented names, where accents break its ASCII fast path.
pub(super) fn decode(bytes: &[u8]) -> Decoded<'_> {
    let (text, encoding) = match Encoding::for_bom(bytes) {
        Some((encoding, bom_len)) => {
            let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
            (text, format!("{} with BOM", label(encoding)))
        }
        None => match simdutf8::basic::from_utf8(bytes) {
            Ok(text) => (Cow::Borrowed(text), label(UTF_8).to_string()),
            Err(_) => {
                let mut detector =
                    chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
                detector.feed(bytes, true);
                // Guessed as for a Western European site (`.fr`: windows-1252 is its native
                // encoding, as for French and German Excel): without it, a short file with few
                // accents was read as ISO-8859-4 or windows-1257, and "Loïc" became "Loīc".
                let encoding = detector.guess(Some(b"fr"), chardetng::Utf8Detection::Deny);
                let (text, _) = encoding.decode_without_bom_handling(bytes);
                (text, label(encoding).to_string())
            }
        },
    };
    Decoded {
        text: unify_line_endings(text),
        encoding,
    }
}

fn label(encoding: &'static Encoding) -> &'static str {
    if encoding == UTF_16LE {
        "UTF-16LE"
    } else if encoding == UTF_16BE {
        "UTF-16BE"
    } else {
        encoding.name()
    }
}

/// A text with a lone CR has its CRLF and CR made LF (copied a stretch between CRs at a time: a
/// CR followed by LF is dropped, a lone CR becomes LF); any other text is taken as it is.
fn unify_line_endings(text: Cow<'_, str>) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone_cr = memchr::memchr_iter(b'\r', bytes).any(|at| bytes.get(at + 1) != Some(&b'\n'));
    if !lone_cr {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut stretches = text.split('\r');
    out.push_str(stretches.next().unwrap_or_default());
    for stretch in stretches {
        if !stretch.starts_with('\n') {
            out.push('\n');
        }
        out.push_str(stretch);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_windows_1252_file_with_few_accents_is_read_as_windows_1252() {
        for name in ["Loïc Martin", "Anaïs Roux", "Œuvre d'Art", "Ÿvon naïve"] {
            let text =
                format!("name,email\nPaul Durand,paul@x.fr\n{name},x@x.fr\nMarc Petit,marc@x.fr\n");
            let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
            let d = decode(&bytes);
            assert_eq!(
                (&*d.text, d.encoding.as_str()),
                (text.as_str(), "windows-1252")
            );
        }
    }

    #[test]
    fn boms_utf8_and_windows_1252_are_told_apart() {
        let d = decode(b"\xEF\xBB\xBFnom;soci\xC3\xA9t\xC3\xA9\r\n");
        assert_eq!(
            (&*d.text, d.encoding.as_str()),
            ("nom;société\r\n", "UTF-8 with BOM")
        );
        let d = decode(b"\xFF\xFEn\0o\0m\0\r\0\n\0");
        assert_eq!(
            (&*d.text, d.encoding.as_str()),
            ("nom\r\n", "UTF-16LE with BOM")
        );
        let d = decode(b"nom;Soci\xE9t\xE9\rDupont;Imprimerie G\xE9n\xE9rale\r");
        assert_eq!(d.encoding, "windows-1252");
        assert_eq!(d.text, "nom;Société\nDupont;Imprimerie Générale\n");
        let d = decode(b"a\r\nb\rc\r\r\nd\n\re\r");
        assert_eq!(d.text, "a\nb\nc\n\nd\n\ne\n");
        let d = decode(b"a\r\nb\r\n");
        assert!(
            matches!(d.text, Cow::Borrowed("a\r\nb\r\n")),
            "CRLF only: not copied"
        );
    }
}
