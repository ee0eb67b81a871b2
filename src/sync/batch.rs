//! The batch file: a magic line, a one-line JSON manifest, then the payload.
//!
//! The payload has, for each table of the manifest in order, one line per change:
//! `U\t<JSON array of the row's values>` or `D\t<JSON array of the primary key's values>`.
//! The manifest carries the batch number, the tables with their columns and row counts, and
//! the payload's size and SHA-256, so a damaged or truncated file is refused before it is applied.
//! The server signs the whole file (a first line, see [`super::sign`]); a till checks that
//! signature before it reads anything else.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::SyncError;
use super::sign::{self, Domain, Signer, Trust};

/// The first line of every batch file.
pub const MAGIC: &str = "backroom-batch 1";

/// Whether a batch replaces everything (a till's first sync, a full re-import) or carries changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Full,
    Incremental,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Full => "full",
            Kind::Incremental => "incremental",
        }
    }
}

/// One table of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableManifest {
    pub name: String,
    pub columns: Vec<String>,
    pub pk: Vec<String>,
    /// The till deletes every row of the table before applying (full tables, full batches).
    pub replace: bool,
    pub upserts: u64,
    pub deletes: u64,
}

/// What a batch holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub folder: String,
    pub batch: i64,
    pub kind: Kind,
    /// Changes with a sequence in `(from_seq, to_seq]` are in this batch.
    pub from_seq: i64,
    pub to_seq: i64,
    pub created_at: String,
    pub tables: Vec<TableManifest>,
    pub payload_bytes: u64,
    pub sha256: String,
}

impl Manifest {
    /// Rows in the batch (upserts and deletes).
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.upserts + t.deletes).sum()
    }
}

/// The file name of batch `n` (zero-padded so names sort in batch order; full batches say so,
/// so a till's first sync finds the latest one without downloading the others).
pub fn file_name(n: i64, kind: Kind) -> String {
    match kind {
        Kind::Full => format!("batch-{n:09}.full.brb"),
        Kind::Incremental => format!("batch-{n:09}.brb"),
    }
}

/// The batch number and kind of a file name written by [`file_name`], if it is one.
pub fn parse_file_name(name: &str) -> Option<(i64, Kind)> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let rest = base.strip_prefix("batch-")?.strip_suffix(".brb")?;
    let (digits, kind) = match rest.strip_suffix(".full") {
        Some(d) => (d, Kind::Full),
        None => (rest, Kind::Incremental),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, kind))
}

/// Writes a batch: the payload goes to a side file while it is hashed, then the final file is
/// assembled with the manifest in front.
pub struct Writer {
    path: PathBuf,
    payload_path: PathBuf,
    out: BufWriter<File>,
    hasher: Sha256,
    bytes: u64,
    tables: Vec<TableManifest>,
    /// One line at a time, hashed and written in one call each.
    buf: Vec<u8>,
}

impl Writer {
    /// Starts a batch that will be written at `path`.
    pub fn create(path: &Path) -> Result<Writer, SyncError> {
        let payload_path = path.with_extension("payload");
        let file = File::create(&payload_path).map_err(SyncError::io(format!(
            "creating {}",
            payload_path.display()
        )))?;
        Ok(Writer {
            path: path.to_path_buf(),
            payload_path,
            out: BufWriter::with_capacity(1 << 20, file),
            hasher: Sha256::new(),
            bytes: 0,
            tables: Vec::new(),
            buf: Vec::with_capacity(4096),
        })
    }

    /// Starts the next table's section.
    pub fn begin_table(
        &mut self,
        name: &str,
        columns: Vec<String>,
        pk: Vec<String>,
        replace: bool,
    ) {
        self.tables.push(TableManifest {
            name: name.to_string(),
            columns,
            pk,
            replace,
            upserts: 0,
            deletes: 0,
        });
    }

    fn line(&mut self, op: &[u8], json: &str) -> Result<(), SyncError> {
        self.buf.clear();
        self.buf.extend_from_slice(op);
        self.buf.extend_from_slice(json.as_bytes());
        self.buf.push(b'\n');
        self.hasher.update(&self.buf);
        self.out
            .write_all(&self.buf)
            .map_err(SyncError::io(format!(
                "writing {}",
                self.payload_path.display()
            )))?;
        self.bytes += self.buf.len() as u64;
        Ok(())
    }

    /// Adds a row (a JSON array of the table's values, in column order).
    pub fn upsert(&mut self, row_json: &str) -> Result<(), SyncError> {
        self.line(b"U\t", row_json)?;
        if let Some(t) = self.tables.last_mut() {
            t.upserts += 1;
        }
        Ok(())
    }

    /// Adds a deletion (a JSON array of the primary key's values).
    pub fn delete(&mut self, pk_json: &str) -> Result<(), SyncError> {
        self.line(b"D\t", pk_json)?;
        if let Some(t) = self.tables.last_mut() {
            t.deletes += 1;
        }
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.upserts + t.deletes).sum()
    }

    /// Writes the final file, signed when a signer is given; returns its manifest and size in bytes.
    pub fn finish(
        self,
        signer: Option<&Signer>,
        folder: &str,
        batch: i64,
        kind: Kind,
        from_seq: i64,
        to_seq: i64,
    ) -> Result<(Manifest, u64), SyncError> {
        let Writer {
            path,
            payload_path,
            out,
            hasher,
            bytes,
            tables,
            ..
        } = self;
        let ctx = |what: &str| format!("{what} {}", path.display());
        drop(out.into_inner().map_err(|e| SyncError::Io {
            context: ctx("writing"),
            source: e.into_error(),
        })?);
        let manifest = Manifest {
            folder: folder.to_string(),
            batch,
            kind,
            from_seq,
            to_seq,
            created_at: crate::store::now(),
            tables,
            payload_bytes: bytes,
            sha256: hex::encode(hasher.finalize()),
        };
        let header = format!(
            "{MAGIC}\n{}\n",
            serde_json::to_string(&manifest)
                .map_err(|e| SyncError::batch(&path.display().to_string(), e.to_string()))?
        );
        let mut file = File::create(&path).map_err(SyncError::io(ctx("creating")))?;
        let sig_len = if signer.is_some() { sign::LINE_LEN } else { 0 };
        // Room for the signature line, written once the digest of the rest is known.
        file.write_all(&vec![b'#'; sig_len])
            .map_err(SyncError::io(ctx("writing")))?;
        file.write_all(header.as_bytes())
            .map_err(SyncError::io(ctx("writing")))?;
        let mut whole = Sha256::new();
        whole.update(header.as_bytes());
        let mut payload =
            File::open(&payload_path).map_err(SyncError::io(ctx("reading payload of")))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = payload
                .read(&mut buf)
                .map_err(SyncError::io(ctx("reading payload of")))?;
            if n == 0 {
                break;
            }
            whole.update(&buf[..n]);
            file.write_all(&buf[..n])
                .map_err(SyncError::io(ctx("writing")))?;
        }
        if let Some(signer) = signer {
            let line = signer.line(Domain::Batch, &whole.finalize().into());
            file.seek(SeekFrom::Start(0))
                .map_err(SyncError::io(ctx("writing")))?;
            file.write_all(line.as_bytes())
                .map_err(SyncError::io(ctx("writing")))?;
        }
        file.sync_all().map_err(SyncError::io(ctx("writing")))?;
        let _ = std::fs::remove_file(&payload_path);
        Ok((manifest, (sig_len + header.len()) as u64 + bytes))
    }
}

/// Where the parts of a checked batch file are.
#[derive(Debug, Clone)]
pub struct Verified {
    pub manifest: Manifest,
    /// The payload's offset in the file.
    pub offset: u64,
    /// The file's line number of the manifest (2 unsigned, 3 signed).
    pub manifest_line: u64,
    pub signed: bool,
}

/// Reads the manifest of a batch file starting at `start` (after the signature line, if any);
/// returns it with the payload's offset in the file.
fn read_manifest(path: &Path, start: u64, first_line: u64) -> Result<(Manifest, u64), SyncError> {
    let name = path.display().to_string();
    let mut file = File::open(path).map_err(SyncError::io(format!("opening {name}")))?;
    file.seek(SeekFrom::Start(start))
        .map_err(SyncError::io(format!("reading {name}")))?;
    let mut reader = BufReader::new(file);
    let mut magic = String::new();
    reader
        .read_line(&mut magic)
        .map_err(SyncError::io(format!("reading {name}")))?;
    if magic.trim_end() != MAGIC {
        return Err(SyncError::batch(
            &name,
            format!(
                "line {first_line}: expected `{MAGIC}`, found {:?}; not a backroom batch file",
                truncate(&magic)
            ),
        ));
    }
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(SyncError::io(format!("reading {name}")))?;
    let manifest: Manifest = serde_json::from_str(line.trim_end())
        .map_err(|e| SyncError::batch(&name, format!("line {} (manifest): {e}", first_line + 1)))?;
    Ok((manifest, start + (magic.len() + line.len()) as u64))
}

fn truncate(s: &str) -> String {
    s.trim_end().chars().take(40).collect()
}

/// Checks a batch file: its signature first (before anything else is read), then the payload's
/// size and SHA-256 against the manifest.
pub fn verify(path: &Path, trust: &Trust) -> Result<Verified, SyncError> {
    let name = path.display().to_string();
    let mut file = File::open(path).map_err(SyncError::io(format!("opening {name}")))?;
    let mut head = Vec::with_capacity(sign::LINE_LEN);
    (&mut file)
        .take(sign::LINE_LEN as u64)
        .read_to_end(&mut head)
        .map_err(SyncError::io(format!("reading {name}")))?;
    let signature = head
        .starts_with(sign::PREFIX.as_bytes())
        .then(|| String::from_utf8_lossy(&head).into_owned());
    let start = if signature.is_some() {
        sign::LINE_LEN as u64
    } else {
        0
    };
    file.seek(SeekFrom::Start(start))
        .map_err(SyncError::io(format!("reading {name}")))?;
    let digest = sign::digest_of(&mut file, &name)?;
    trust
        .check(Domain::Batch, signature.as_deref(), &digest, "this batch")
        .map_err(|m| SyncError::batch(&name, m))?;
    let first_line = if signature.is_some() { 2 } else { 1 };
    let (manifest, offset) = read_manifest(path, start, first_line)?;
    file.seek(SeekFrom::Start(offset))
        .map_err(SyncError::io(format!("reading {name}")))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(SyncError::io(format!("reading {name}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    if total != manifest.payload_bytes {
        return Err(SyncError::batch(
            &name,
            format!(
                "payload is {total} bytes, the manifest says {} (the file is truncated or damaged)",
                manifest.payload_bytes
            ),
        ));
    }
    let sha = hex::encode(hasher.finalize());
    if sha != manifest.sha256 {
        return Err(SyncError::batch(
            &name,
            format!(
                "checksum mismatch: SHA-256 of the payload is {sha}, the manifest says {} (the file is damaged)",
                manifest.sha256
            ),
        ));
    }
    Ok(Verified {
        manifest,
        offset,
        manifest_line: first_line + 1,
        signed: signature.is_some(),
    })
}

/// One change read back from a payload.
pub enum Change<'a> {
    Upsert(&'a str),
    Delete(&'a str),
}

/// Reads the payload lines of a verified batch, one at a time.
pub struct Lines {
    name: String,
    reader: BufReader<File>,
    line: String,
    number: u64,
}

impl Lines {
    /// Opens the payload of a checked batch.
    pub fn open(path: &Path, v: &Verified) -> Result<Lines, SyncError> {
        let offset = v.offset;
        let name = path.display().to_string();
        let mut file = File::open(path).map_err(SyncError::io(format!("opening {name}")))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(SyncError::io(format!("reading {name}")))?;
        Ok(Lines {
            name,
            reader: BufReader::with_capacity(1 << 20, file),
            line: String::new(),
            number: v.manifest_line,
        })
    }

    /// The file line number of the last change read (for error messages).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The next change; an error names the file and line.
    pub fn next_change(&mut self) -> Result<Change<'_>, SyncError> {
        self.line.clear();
        self.number += 1;
        let n = self
            .reader
            .read_line(&mut self.line)
            .map_err(SyncError::io(format!("reading {}", self.name)))?;
        if n == 0 {
            return Err(SyncError::batch(
                &self.name,
                format!(
                    "line {}: the payload ends before the manifest's row count",
                    self.number
                ),
            ));
        }
        let text = self.line.trim_end_matches('\n');
        match text.split_once('\t') {
            Some(("U", json)) => Ok(Change::Upsert(json)),
            Some(("D", json)) => Ok(Change::Delete(json)),
            _ => Err(SyncError::batch(
                &self.name,
                format!(
                    "line {}: expected `U<TAB>[values]` or `D<TAB>[key]`, found {:?}",
                    self.number,
                    truncate(text)
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Trust {
        Trust {
            key: None,
            allow_unsigned: true,
        }
    }

    fn sample(dir: &Path) -> PathBuf {
        let path = dir.join(file_name(7, Kind::Incremental));
        let mut w = Writer::create(&path).unwrap();
        w.begin_table(
            "ART",
            vec!["code".into(), "label".into()],
            vec!["code".into()],
            false,
        );
        w.upsert(r#"["A1","Pen"]"#).unwrap();
        w.delete(r#"["A2"]"#).unwrap();
        let (m, size) = w
            .finish(None, "LYON", 7, Kind::Incremental, 10, 12)
            .unwrap();
        assert_eq!(m.rows(), 2);
        assert_eq!(size, std::fs::metadata(&path).unwrap().len());
        path
    }

    #[test]
    fn a_written_batch_verifies_and_reads_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let v = verify(&path, &lab()).unwrap();
        let m = &v.manifest;
        assert_eq!(
            (m.batch, m.tables[0].upserts, m.tables[0].deletes),
            (7, 1, 1)
        );
        let mut lines = Lines::open(&path, &v).unwrap();
        assert!(matches!(
            lines.next_change().unwrap(),
            Change::Upsert(r#"["A1","Pen"]"#)
        ));
        assert!(matches!(
            lines.next_change().unwrap(),
            Change::Delete(r#"["A2"]"#)
        ));
        assert!(lines.next_change().is_err());
    }

    #[test]
    fn one_changed_byte_is_refused_with_the_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 3;
        bytes[last] = b'X';
        std::fs::write(&path, bytes).unwrap();
        let err = verify(&path, &lab()).unwrap_err().to_string();
        assert!(err.contains("checksum mismatch"), "{err}");
        assert!(err.contains("batch-000000007.brb"), "{err}");
    }

    #[test]
    fn a_signed_batch_verifies_with_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let public = sign::keygen(&dir.path().join("key")).unwrap();
        let signer = Signer::load(&dir.path().join("key")).unwrap();
        let path = dir.path().join(file_name(1, Kind::Full));
        let mut w = Writer::create(&path).unwrap();
        w.begin_table("ART", vec!["code".into()], vec!["code".into()], true);
        w.upsert(r#"["A1"]"#).unwrap();
        let (_, size) = w
            .finish(Some(&signer), "LYON", 1, Kind::Full, 0, 1)
            .unwrap();
        assert_eq!(size, std::fs::metadata(&path).unwrap().len());
        let trust = Trust {
            key: Some(sign::parse_public(&public).unwrap()),
            allow_unsigned: false,
        };
        let v = verify(&path, &trust).unwrap();
        assert!(v.signed);
        let mut lines = Lines::open(&path, &v).unwrap();
        assert!(matches!(
            lines.next_change().unwrap(),
            Change::Upsert(r#"["A1"]"#)
        ));
        let err = verify(&path, &Trust::default()).unwrap_err().to_string();
        assert!(err.contains("no server public key"), "{err}");
    }

    #[test]
    fn file_names_sort_and_parse() {
        assert_eq!(file_name(42, Kind::Incremental), "batch-000000042.brb");
        assert_eq!(file_name(3, Kind::Full), "batch-000000003.full.brb");
        assert_eq!(
            parse_file_name("out/batch-000000042.brb"),
            Some((42, Kind::Incremental))
        );
        assert_eq!(
            parse_file_name("batch-000000003.full.brb"),
            Some((3, Kind::Full))
        );
        assert_eq!(parse_file_name(".batch-000000042.brb.part"), None);
        assert_eq!(parse_file_name("batch-.brb"), None);
    }
}
