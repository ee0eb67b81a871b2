//! Flate compression of PDF streams (font files and page contents), at zlib's fastest level:
//! documents are rendered on the ingest path, where speed matters more than the last kilobyte.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;

/// `bytes` compressed for a `/FlateDecode` stream.
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::with_capacity(bytes.len() / 2), Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn inflating_gives_the_bytes_back() {
        let text = b"BT /F1 10 Tf [<0001002a>] TJ ET ".repeat(100);
        let packed = deflate(&text);
        assert!(packed.len() < text.len() / 4, "{} bytes", packed.len());
        let mut back = Vec::new();
        flate2::read::ZlibDecoder::new(&packed[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, text);
    }
}
