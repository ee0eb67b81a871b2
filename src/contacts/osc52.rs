//! OSC 52: asks the terminal (even over SSH) to put text on the local clipboard.

use base64::Engine;

/// The escape sequence that copies `text` to the clipboard (`ESC ] 52 ; c ; BASE64 BEL`).
pub fn copy_sequence(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_the_text_in_base64() {
        assert_eq!(super::copy_sequence("hi"), "\x1b]52;c;aGk=\x07");
    }
}
