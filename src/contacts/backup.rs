//! "Back up user data": a ZIP named after the user with `user-profile.json`, `jobs.json` and one
//! folder per job (input PDF, PDL model JSON if edited, support file if any). Files are streamed
//! into the archive, never loaded whole; names from user data are made safe.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::Serialize;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::error::ContactError;
use super::model::ShopJob;
use super::safe_name::{Unique, component};
use crate::store::contacts as q;

/// What a backup wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub path: PathBuf,
    pub jobs: usize,
    pub entries: usize,
    /// Bytes of job files copied into the archive.
    pub file_bytes: u64,
    /// Job files listed in the store but missing on disk (named in jobs.json too).
    pub missing: Vec<String>,
}

#[derive(Serialize)]
struct Profile<'a> {
    name: &'a str,
    email: &'a str,
    company: Option<&'a str>,
}

#[derive(Serialize)]
struct JobEntry<'a> {
    id: i64,
    title: &'a str,
    state: &'a str,
    created_at: &'a str,
    via: &'a str,
    size_bytes: i64,
    folder: String,
    input: Option<String>,
    pdl_model: Option<String>,
    support: Option<String>,
    missing: Vec<String>,
}

/// A file to stream into the archive.
struct Source {
    entry: String,
    path: PathBuf,
}

/// Writes `<safe user name>.zip` into `out_dir` (a free name: ` (2)` is added when taken).
/// `progress(done, total)` follows the bytes of job files copied.
pub fn backup(
    conn: &Connection,
    email: &str,
    out_dir: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Written, ContactError> {
    let contact = super::transitions::find(conn, email)?;
    let jobs = q::jobs_of(conn, contact.id)?;
    super::private::create_missing_dir(out_dir).map_err(|e| ContactError::io(out_dir, e))?;
    let base = component(&contact.name, "contact");
    let path = free_path(out_dir, &base);
    let part = path.with_extension("zip.part");
    let result = write_archive(&part, &contact, &jobs, progress);
    match result {
        Ok(mut written) => {
            std::fs::rename(&part, &path).map_err(|e| ContactError::io(&path, e))?;
            written.path = path;
            Ok(written)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}

fn free_path(dir: &Path, base: &str) -> PathBuf {
    let first = dir.join(format!("{base}.zip"));
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| dir.join(format!("{base} ({n}).zip")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

fn write_archive(
    part: &Path,
    contact: &super::Contact,
    jobs: &[ShopJob],
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Written, ContactError> {
    let io = |e| ContactError::io(part, e);
    let zip_err = |e: zip::result::ZipError| ContactError::io(part, std::io::Error::other(e));
    // Personal data: owner-only, whatever the umask.
    let file = super::private::create_file(part).map_err(io)?;
    let mut zip = ZipWriter::new(std::io::BufWriter::with_capacity(1 << 16, file));
    let base = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let options = stamped(base, std::time::SystemTime::now());

    let mut folders = Unique::new();
    let mut entries: Vec<JobEntry<'_>> = Vec::new();
    let mut sources: Vec<Source> = Vec::new();
    let mut models: Vec<(String, &str)> = Vec::new();
    let mut missing_all = Vec::new();
    for job in jobs {
        let folder = folders.claim(&format!("{} - {}", job.id, component(&job.title, "job")));
        let mut names = Unique::new();
        let mut missing = Vec::new();
        let mut add = |disk: Option<&String>, wanted: Option<&String>, fallback: &str| {
            let disk = disk.map(PathBuf::from)?;
            let wanted = component(wanted.map(String::as_str).unwrap_or(fallback), fallback);
            let name = names.claim(&wanted);
            if !disk.is_file() {
                missing.push(format!("{folder}/{name}"));
                return None;
            }
            let entry = format!("{folder}/{name}");
            sources.push(Source { entry, path: disk });
            Some(name)
        };
        let input_name = job.input_name.as_ref().map(|n| ensure_pdf(n));
        let input = add(job.input_path.as_ref(), input_name.as_ref(), "input.pdf");
        let support = add(
            job.support_path.as_ref(),
            job.support_name.as_ref(),
            "support",
        );
        let pdl_model = job.pdl_model.as_deref().map(|model| {
            let name = names.claim("pdl-model.json");
            models.push((format!("{folder}/{name}"), model));
            name
        });
        missing_all.extend(missing.iter().cloned());
        entries.push(JobEntry {
            id: job.id,
            title: &job.title,
            state: &job.state,
            created_at: &job.created_at,
            via: &job.via,
            size_bytes: job.size_bytes,
            folder,
            input,
            pdl_model,
            support,
            missing,
        });
    }

    let profile = Profile {
        name: &contact.name,
        email: &contact.email,
        company: contact.company.as_deref(),
    };
    zip.start_file("user-profile.json", options)
        .map_err(zip_err)?;
    zip.write_all(pretty(&profile)?.as_bytes()).map_err(io)?;
    zip.start_file("jobs.json", options).map_err(zip_err)?;
    zip.write_all(pretty(&entries)?.as_bytes()).map_err(io)?;
    for (entry, model) in &models {
        zip.start_file(entry.as_str(), options).map_err(zip_err)?;
        zip.write_all(model.as_bytes()).map_err(io)?;
    }

    let total: u64 = sources
        .iter()
        .map(|s| std::fs::metadata(&s.path).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut done = 0;
    progress(0, total);
    for source in &sources {
        let file = File::open(&source.path).map_err(|e| ContactError::io(&source.path, e))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let modified = file
            .metadata()
            .and_then(|m| m.modified())
            .unwrap_or_else(|_| std::time::SystemTime::now());
        let opts = stamped(base, modified).large_file(size >= u64::from(u32::MAX));
        zip.start_file(source.entry.as_str(), opts)
            .map_err(zip_err)?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        done +=
            std::io::copy(&mut reader, &mut zip).map_err(|e| ContactError::io(&source.path, e))?;
        progress(done, total);
    }
    let mut inner = zip.finish().map_err(zip_err)?;
    inner.flush().map_err(io)?;
    inner
        .into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)?;
    Ok(Written {
        path: part.to_path_buf(),
        jobs: jobs.len(),
        entries: 2 + models.len() + sources.len(),
        file_bytes: done,
        missing: missing_all,
    })
}

/// Entries carry their time (local, as archivers show it) instead of the ZIP epoch 1980-01-01.
fn stamped(options: SimpleFileOptions, at: std::time::SystemTime) -> SimpleFileOptions {
    use chrono::{Datelike, Timelike};
    let t: chrono::DateTime<chrono::Local> = at.into();
    let stamp = zip::DateTime::from_date_and_time(
        u16::try_from(t.year()).unwrap_or(1980),
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    );
    match stamp {
        Ok(stamp) => options.last_modified_time(stamp),
        Err(_) => options,
    }
}

fn ensure_pdf(name: &str) -> String {
    if name.to_lowercase().ends_with(".pdf") {
        name.to_string()
    } else {
        format!("{name}.pdf")
    }
}

fn pretty<T: Serialize>(value: &T) -> Result<String, ContactError> {
    serde_json::to_string_pretty(value).map_err(|e| ContactError::BadInput(e.to_string()))
}
