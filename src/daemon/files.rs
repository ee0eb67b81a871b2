//! A client's files for one command: inputs written into a private work folder, outputs
//! collected from it, and the paths in messages turned back into the client's own paths.

use std::path::{Path, PathBuf};

use crate::service::protocol::{CommandLine, input_marker, output_marker};

/// The private folder of one command and how its paths map to the client's.
pub struct Work {
    pub dir: PathBuf,
    /// Where the command's default downloads land (`HOME/Downloads` of the command).
    pub home: PathBuf,
    /// Output folders by slot.
    pub outputs: Vec<PathBuf>,
    /// (daemon path, client path) pairs for messages, longest first.
    pub rewrites: Vec<(String, String)>,
}

impl Work {
    /// Creates the folder (0700) under `root`, writes the inputs and puts paths for markers.
    pub fn prepare(root: &Path, line: &CommandLine, args: &mut [String]) -> std::io::Result<Work> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = root.join(uuid::Uuid::new_v4().to_string());
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
        let home = dir.join("home");
        std::fs::create_dir_all(home.join("Downloads"))?;
        let mut rewrites = vec![(
            home.join("Downloads").display().to_string(),
            line.downloads_dir.clone(),
        )];
        for (k, input) in line.inputs.iter().enumerate() {
            let folder = dir.join(format!("in{k}"));
            std::fs::create_dir_all(&folder)?;
            let path = folder.join(file_name(&input.path));
            std::fs::write(&path, &input.data)?;
            put(args, &input_marker(k), &path);
            rewrites.push((path.display().to_string(), input.path.clone()));
        }
        let mut outputs = Vec::new();
        for (k, output) in line.outputs.iter().enumerate() {
            let folder = dir.join(format!("out{k}"));
            std::fs::create_dir_all(&folder)?;
            let (path, client) = if output.is_dir {
                (folder.clone(), output.path.clone())
            } else {
                (folder.join(file_name(&output.path)), output.path.clone())
            };
            put(args, &output_marker(k), &path);
            rewrites.push((path.display().to_string(), client.clone()));
            if !output.is_dir {
                let client_dir = Path::new(&client)
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| ".".to_string());
                rewrites.push((folder.display().to_string(), client_dir));
            }
            outputs.push(folder);
        }
        rewrites.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        Ok(Work {
            dir,
            home,
            outputs,
            rewrites,
        })
    }

    /// A message line with the command's private paths replaced by the client's.
    pub fn rewrite(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (from, to) in &self.rewrites {
            if out.contains(from.as_str()) {
                out = out.replace(from.as_str(), to);
            }
        }
        out
    }

    /// Every file the command wrote for the client: (slot, name relative to the folder, path).
    pub fn produced(&self) -> Vec<(Option<usize>, String, PathBuf)> {
        let mut files = Vec::new();
        for (k, folder) in self.outputs.iter().enumerate() {
            walk(folder, folder, Some(k), &mut files);
        }
        let downloads = self.home.join("Downloads");
        walk(&downloads, &downloads, None, &mut files);
        files
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            tracing::warn!(error = %e, dir = %self.dir.display(), "removing a command's folder");
        }
    }
}

fn walk(
    root: &Path,
    dir: &Path,
    slot: Option<usize>,
    out: &mut Vec<(Option<usize>, String, PathBuf)>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(root, &path, slot, out);
        } else if kind.is_file()
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push((slot, rel.display().to_string(), path));
        }
    }
}

/// The last component of a client's path, safe to use as a file name here.
fn file_name(client_path: &str) -> String {
    Path::new(client_path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != "..")
        .unwrap_or_else(|| "stdin".to_string())
}

/// Puts `path` where an argument is `marker`, or `--option=marker`, as the client writes them;
/// a marker anywhere else in an argument stays as it is.
fn put(args: &mut [String], marker: &str, path: &Path) {
    for a in args.iter_mut() {
        if a == marker {
            *a = path.display().to_string();
        } else if let Some(option) = a.strip_suffix(marker)
            && option.starts_with("--")
            && option.ends_with('=')
        {
            *a = format!("{option}{}", path.display());
        }
    }
}

/// Global options a client may not choose on the daemon (its database, config, socket, demo).
pub fn sanitize(args: &[String]) -> Vec<String> {
    const WITH_VALUE: &[&str] = &["--db", "--config", "--socket", "--operator"];
    const FLAGS: &[&str] = &["--demo", "--no-daemon"];
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            out.extend(args[i..].iter().cloned());
            break;
        }
        if FLAGS.contains(&a.as_str()) {
            i += 1;
        } else if WITH_VALUE.contains(&a.as_str()) {
            i += 2;
        } else if WITH_VALUE.iter().any(|f| a.starts_with(&format!("{f}="))) {
            i += 1;
        } else {
            out.push(a.clone());
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_cannot_choose_the_database_or_config() {
        let args: Vec<String> = [
            "--config",
            "/tmp/evil.toml",
            "printers",
            "disable",
            "--db=/x",
            "--demo",
            "--json",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(sanitize(&args), vec!["printers", "disable", "--json"]);
    }
}
