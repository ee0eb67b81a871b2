//! Font subsets already made, kept per process: documents of one store draw the same labels,
//! digits and often the same names, so a face is subset (and compressed) once per glyph set
//! instead of once per document.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use subsetter::GlyphRemapper;

use super::deflate::deflate;
use super::faces::Face;

/// At most this many subsets are kept; when full, the cache starts over (documents with new
/// glyph sets are subset again, never wrong).
const CAPACITY: usize = 512;

/// A face's glyph ids in subset order.
type Key = (usize, Vec<u16>);

fn cache() -> &'static Mutex<HashMap<Key, Arc<Vec<u8>>>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<Vec<u8>>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The font file of `face` reduced to the glyphs of `remapper`, Flate-compressed; or an error
/// naming the face that could not be subset.
pub fn compressed(face: &'static Face, remapper: &GlyphRemapper) -> Result<Arc<Vec<u8>>, String> {
    let key = (face.key, remapper.remapped_gids().collect::<Vec<u16>>());
    if let Some(found) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(found);
    }
    let subset = subsetter::subset(face.data, face.index, remapper)
        .map_err(|e| format!("the font {} could not be embedded: {e}", face.name))?;
    let packed = Arc::new(deflate(&subset));
    if let Ok(mut c) = cache().lock() {
        if c.len() >= CAPACITY {
            c.clear();
        }
        c.insert(key, packed.clone());
    }
    Ok(packed)
}
