//! Font faces for documents: Noto Sans, Noto Sans Arabic and Noto Sans Hebrew embedded in the
//! binary, then any installed system font (found with `fontdb`, e.g. Noto Sans CJK) for what they
//! lack. Faces are parsed once per process and cached.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::pdf::Weight;

/// A parsed face, alive for the whole process.
pub struct Face {
    /// Unique per process; orders fonts in a document.
    pub key: usize,
    /// PostScript name, used as the PDF `BaseFont`.
    pub name: String,
    pub data: &'static [u8],
    pub index: u32,
    pub shaper: rustybuzz::Face<'static>,
}

impl Face {
    fn parse(key: usize, data: &'static [u8], index: u32, fallback_name: &str) -> Option<Face> {
        let shaper = rustybuzz::Face::from_slice(data, index)?;
        let name = shaper
            .names()
            .into_iter()
            .filter(|n| n.name_id == rustybuzz::ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .filter(|n| !n.is_empty() && n.is_ascii())
            .unwrap_or_else(|| fallback_name.to_string());
        Some(Face {
            key,
            name,
            data,
            index,
            shaper,
        })
    }

    /// Whether the face has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some()
    }

    /// Whether the outlines are CFF (embedded as OpenType) rather than TrueType.
    pub fn is_cff(&self) -> bool {
        self.shaper.tables().cff.is_some()
    }

    /// Design units to thousandths of an em.
    pub fn to_milli(&self, units: f32) -> f32 {
        units * 1000.0 / self.shaper.units_per_em() as f32
    }
}

const EMBEDDED: [(&[u8], &str); 6] = [
    (
        include_bytes!("fonts/NotoSans-Regular.ttf"),
        "NotoSans-Regular",
    ),
    (include_bytes!("fonts/NotoSans-Bold.ttf"), "NotoSans-Bold"),
    (
        include_bytes!("fonts/NotoSansArabic-Regular.ttf"),
        "NotoSansArabic-Regular",
    ),
    (
        include_bytes!("fonts/NotoSansArabic-Bold.ttf"),
        "NotoSansArabic-Bold",
    ),
    (
        include_bytes!("fonts/NotoSansHebrew-Regular.ttf"),
        "NotoSansHebrew-Regular",
    ),
    (
        include_bytes!("fonts/NotoSansHebrew-Bold.ttf"),
        "NotoSansHebrew-Bold",
    ),
];

fn embedded() -> &'static [Face] {
    static FACES: OnceLock<Vec<Face>> = OnceLock::new();
    FACES.get_or_init(|| {
        EMBEDDED
            .iter()
            .enumerate()
            .filter_map(|(key, (data, name))| Face::parse(key, data, 0, name))
            .collect()
    })
}

/// The embedded faces of `weight`, in fallback order (Latin/Greek/Cyrillic, Arabic, Hebrew).
pub fn builtin(weight: Weight) -> impl Iterator<Item = &'static Face> {
    let odd = usize::from(weight == Weight::Bold);
    embedded().iter().filter(move |f| f.key % 2 == odd)
}

/// The face that draws what no font has (its `.notdef` box).
pub fn primary(weight: Weight) -> Option<&'static Face> {
    builtin(weight).next()
}

/// The first face that has `c`: an embedded one, else an installed system font.
pub fn for_char(c: char, weight: Weight) -> Option<&'static Face> {
    builtin(weight)
        .find(|f| f.covers(c))
        .or_else(|| system_for_char(c, weight))
}

struct System {
    db: fontdb::Database,
    /// Families in the order they are tried: CJK first, then by name.
    families: Vec<(String, fontdb::ID)>,
    by_char: HashMap<(char, Weight), Option<&'static Face>>,
    loaded: HashMap<fontdb::ID, &'static Face>,
}

fn system() -> &'static Mutex<System> {
    static SYSTEM: OnceLock<Mutex<System>> = OnceLock::new();
    SYSTEM.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        let mut families: Vec<(String, fontdb::ID)> = db
            .faces()
            .filter(|f| f.style == fontdb::Style::Normal)
            .filter_map(|f| f.families.first().map(|(name, _)| (name.clone(), f.id)))
            .collect();
        families.sort_by_key(|(name, _)| (rank(name), name.clone()));
        families.dedup_by(|a, b| a.0 == b.0);
        Mutex::new(System {
            db,
            families,
            by_char: HashMap::new(),
            loaded: HashMap::new(),
        })
    })
}

/// Sans CJK (Japanese first) before other sans fonts, before the rest.
fn rank(family: &str) -> u8 {
    let sans = family.contains("Sans");
    match (family.contains("CJK JP"), family.contains("CJK"), sans) {
        (true, _, true) => 0,
        (_, true, true) => 1,
        (_, _, true) => 2,
        _ => 3,
    }
}

fn system_for_char(c: char, weight: Weight) -> Option<&'static Face> {
    let mut sys = system().lock().ok()?;
    if let Some(found) = sys.by_char.get(&(c, weight)) {
        return *found;
    }
    let found = find_system(&mut sys, c, weight);
    sys.by_char.insert((c, weight), found);
    found
}

fn find_system(sys: &mut System, c: char, weight: Weight) -> Option<&'static Face> {
    let family = sys.families.iter().find_map(|(name, id)| {
        let has = sys.db.with_face_data(*id, |data, index| {
            rustybuzz::ttf_parser::Face::parse(data, index)
                .map(|f| f.glyph_index(c).is_some())
                .unwrap_or(false)
        });
        has.unwrap_or(false).then(|| name.clone())
    })?;
    let query = fontdb::Query {
        families: &[fontdb::Family::Name(&family)],
        weight: match weight {
            Weight::Regular => fontdb::Weight::NORMAL,
            Weight::Bold => fontdb::Weight::BOLD,
        },
        ..fontdb::Query::default()
    };
    let id = sys.db.query(&query)?;
    if let Some(face) = sys.loaded.get(&id) {
        return face.covers(c).then_some(*face);
    }
    let (source, index) = sys.db.face_source(id)?;
    let data = match source {
        fontdb::Source::File(path) | fontdb::Source::SharedFile(path, _) => {
            std::fs::read(&path).ok()?
        }
        fontdb::Source::Binary(bytes) => bytes.as_ref().as_ref().to_vec(),
    };
    // Read once per process and kept for its life, like the embedded faces.
    let data: &'static [u8] = Box::leak(data.into_boxed_slice());
    let key = EMBEDDED.len() + sys.loaded.len();
    let face: &'static Face = Box::leak(Box::new(Face::parse(key, data, index, &family)?));
    sys.loaded.insert(id, face);
    face.covers(c).then_some(face)
}
