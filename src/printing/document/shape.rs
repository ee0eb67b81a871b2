//! Text to positioned glyphs: bidi reordering (`unicode-bidi`), a face per stretch of text
//! (embedded faces, then system fonts), shaping (`rustybuzz`), and the characters no font has.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use rustybuzz::{Direction, Script, ShapePlan, UnicodeBuffer};
use unicode_bidi::{BidiClass, BidiInfo, bidi_class};

use super::faces::{self, Face};
use super::pdf::Weight;

/// One glyph, in visual order; lengths are in thousandths of an em.
pub struct Glyph {
    pub face: &'static Face,
    pub id: u16,
    pub advance: f32,
    pub dx: f32,
    pub dy: f32,
    /// The characters this glyph stands for (empty for the second glyph of a cluster).
    pub text: String,
}

/// A line of text shaped for one weight.
pub struct Shaped {
    pub glyphs: Vec<Glyph>,
    /// The sum of the advances, in thousandths of an em.
    pub width: f32,
    /// Characters that no font has (drawn as the `.notdef` box).
    pub missing: Vec<char>,
    /// The text in reading order when a right-to-left line holds left-to-right letters, for an
    /// `/ActualText` span: text extraction cannot rebuild that order from glyph positions
    /// (a left-to-right line with right-to-left words in it, it can).
    pub mixed_text: Option<String>,
}

impl Shaped {
    /// The width in points at `size`.
    pub fn width_at(&self, size: f32) -> f32 {
        self.width * size / 1000.0
    }
}

/// Shapes one line of `s` (control characters count as spaces).
pub fn shape(s: &str, weight: Weight) -> Shaped {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = Shaped {
        glyphs: Vec::new(),
        width: 0.0,
        missing: Vec::new(),
        mixed_text: None,
    };
    let bidi = BidiInfo::new(&clean, None);
    let rtl_line = bidi.paragraphs.first().is_some_and(|p| p.level.is_rtl());
    if rtl_line && clean.chars().any(|c| bidi_class(c) == BidiClass::L) {
        out.mixed_text = Some(clean.clone());
    }
    for para in &bidi.paragraphs {
        let (levels, runs) = bidi.visual_runs(para, para.range.clone());
        for run in runs {
            let rtl = levels[run.start].is_rtl();
            let mut segments = segments(&clean, run, weight, &mut out.missing);
            if rtl {
                segments.reverse();
            }
            for (range, face) in segments {
                shape_segment(&clean[range], face, rtl, &mut out);
            }
        }
    }
    out.width = out.glyphs.iter().map(|g| g.advance).sum();
    out
}

/// Splits `range` of `s` into stretches drawn by one face each; a face keeps going while it has
/// the next character, so spaces and digits stay with the script around them.
fn segments(
    s: &str,
    range: Range<usize>,
    weight: Weight,
    missing: &mut Vec<char>,
) -> Vec<(Range<usize>, &'static Face)> {
    let mut out: Vec<(Range<usize>, &'static Face)> = Vec::new();
    let Some(primary) = faces::primary(weight) else {
        return out;
    };
    for (i, c) in s[range.clone()].char_indices() {
        let at = range.start + i;
        let end = at + c.len_utf8();
        if let Some((r, face)) = out.last_mut()
            && (face.covers(c) || is_joiner(c))
        {
            r.end = end;
            continue;
        }
        let face = faces::for_char(c, weight).unwrap_or_else(|| {
            if !missing.contains(&c) {
                missing.push(c);
            }
            primary
        });
        match out.last_mut() {
            Some((r, f)) if f.key == face.key => r.end = end,
            _ => out.push((at..end, face)),
        }
    }
    out
}

/// Marks and joiners that belong to the character before them, whatever font has them.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{200c}' | '\u{200d}' | '\u{fe00}'..='\u{fe0f}')
}

fn shape_segment(text: &str, face: &'static Face, rtl: bool, out: &mut Shaped) {
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    buffer.set_direction(if rtl {
        Direction::RightToLeft
    } else {
        Direction::LeftToRight
    });
    let plan = plan(face, rtl, buffer.script());
    let shaped = rustybuzz::shape_with_plan(&face.shaper, &plan, buffer);
    let infos = shaped.glyph_infos();
    let positions = shaped.glyph_positions();
    let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let cluster_end = |start: usize| {
        starts
            .iter()
            .copied()
            .find(|&s| s > start)
            .unwrap_or(text.len())
    };
    // Glyphs come in visual order: a cluster's text goes to its first glyph in reading order.
    let order: Vec<usize> = if rtl {
        (0..infos.len()).rev().collect()
    } else {
        (0..infos.len()).collect()
    };
    let mut texts = vec![String::new(); infos.len()];
    let mut given = Vec::new();
    for i in order {
        let start = infos[i].cluster as usize;
        if !given.contains(&start) {
            given.push(start);
            texts[i] = text
                .get(start..cluster_end(start))
                .unwrap_or("")
                .to_string();
        }
    }
    for ((info, pos), text) in infos.iter().zip(positions).zip(texts) {
        out.glyphs.push(Glyph {
            face,
            id: u16::try_from(info.glyph_id).unwrap_or(0),
            advance: face.to_milli(pos.x_advance as f32),
            dx: face.to_milli(pos.x_offset as f32),
            dy: face.to_milli(pos.y_offset as f32),
            text,
        });
    }
}

/// Compiled plans by face key, right-to-left and script.
type Plans = HashMap<(usize, bool, Script), Arc<ShapePlan>>;

/// The shaping plan of a face for a direction and script, compiled once per process.
fn plan(face: &'static Face, rtl: bool, script: Script) -> Arc<ShapePlan> {
    static PLANS: OnceLock<Mutex<Plans>> = OnceLock::new();
    let compile = || {
        let direction = if rtl {
            Direction::RightToLeft
        } else {
            Direction::LeftToRight
        };
        Arc::new(ShapePlan::new(
            &face.shaper,
            direction,
            Some(script),
            None,
            &[],
        ))
    };
    let Ok(mut plans) = PLANS.get_or_init(Default::default).lock() else {
        return compile();
    };
    plans
        .entry((face.key, rtl, script))
        .or_insert_with(compile)
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faces_used(s: &str) -> Vec<String> {
        let shaped = shape(s, Weight::Regular);
        let mut names: Vec<String> = shaped.glyphs.iter().map(|g| g.face.name.clone()).collect();
        names.dedup();
        names
    }

    #[test]
    fn each_script_gets_a_face_that_has_it() {
        assert_eq!(faces_used("Łódź Ελλάδα Москва"), ["NotoSans-Regular"]);
        assert_eq!(faces_used("שלום"), ["NotoSansHebrew-Regular"]);
        assert_eq!(faces_used("مرحبا"), ["NotoSansArabic-Regular"]);
        assert!(shape("Łódź שלום مرحبا", Weight::Bold).missing.is_empty());
    }

    #[test]
    fn right_to_left_text_is_laid_out_from_the_right() {
        let shaped = shape("abc שלום", Weight::Regular);
        let text: String = shaped.glyphs.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(text, "abc םולש");
    }

    #[test]
    fn a_character_no_font_has_is_reported() {
        let shaped = shape("ok \u{e000}", Weight::Regular);
        assert_eq!(shaped.missing, ['\u{e000}']);
    }
}
