//! The synchronisation processes of a POS folder, created with it: `export_caisseauto` (server),
//! `import_caisseauto` (till) and `import_updatecaisse` (update packages, with a confirmation mode).

use serde::Serialize;

/// Which process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ProcessKind {
    /// Server side, one per folder: differential export of the server → till tables.
    #[serde(rename = "export_caisseauto")]
    ExportCaisseauto,
    /// Till side: fetch and apply new batches.
    #[serde(rename = "import_caisseauto")]
    ImportCaisseauto,
    /// Till side: install update packages.
    #[serde(rename = "import_updatecaisse")]
    ImportUpdatecaisse,
}

impl ProcessKind {
    pub const ALL: [ProcessKind; 3] = [
        ProcessKind::ExportCaisseauto,
        ProcessKind::ImportCaisseauto,
        ProcessKind::ImportUpdatecaisse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProcessKind::ExportCaisseauto => "export_caisseauto",
            ProcessKind::ImportCaisseauto => "import_caisseauto",
            ProcessKind::ImportUpdatecaisse => "import_updatecaisse",
        }
    }

    /// Where the process runs.
    pub fn side(self) -> &'static str {
        match self {
            ProcessKind::ExportCaisseauto => "server",
            ProcessKind::ImportCaisseauto | ProcessKind::ImportUpdatecaisse => "till",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ProcessKind::ExportCaisseauto => "differential export of the server → till tables",
            ProcessKind::ImportCaisseauto => "import of the exported batches on the till",
            ProcessKind::ImportUpdatecaisse => "installation of update packages on the till",
        }
    }

    /// The schedule a new folder's process gets, in seconds.
    pub fn default_schedule_secs(self) -> u32 {
        match self {
            ProcessKind::ExportCaisseauto | ProcessKind::ImportCaisseauto => 300,
            ProcessKind::ImportUpdatecaisse => 3600,
        }
    }
}

impl std::fmt::Display for ProcessKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ProcessKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        ProcessKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown process {s:?}: expected export_caisseauto, import_caisseauto or import_updatecaisse"
                )
            })
    }
}

/// When `import_updatecaisse` asks before installing a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfirmMode {
    /// Confirm every package found.
    Always,
    /// Confirm only the first package.
    Once,
    /// Piloted mode: install everything without asking.
    Never,
}

impl ConfirmMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfirmMode::Always => "always",
            ConfirmMode::Once => "once",
            ConfirmMode::Never => "never",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ConfirmMode::Always => "confirm each package",
            ConfirmMode::Once => "confirm the first package only",
            ConfirmMode::Never => "piloted: install without asking",
        }
    }
}

impl std::fmt::Display for ConfirmMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ConfirmMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "always" => Ok(ConfirmMode::Always),
            "once" => Ok(ConfirmMode::Once),
            "never" | "piloted" => Ok(ConfirmMode::Never),
            other => Err(format!(
                "unknown confirmation mode {other:?}: expected always, once or never"
            )),
        }
    }
}

/// A process row as stored; the `last_*` columns are written by the sync runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Process {
    pub id: i64,
    pub folder_id: i64,
    pub kind: ProcessKind,
    pub schedule_secs: u32,
    pub enabled: bool,
    /// `import_updatecaisse` only.
    pub confirm_mode: Option<ConfirmMode>,
    pub last_run_at: Option<String>,
    /// `ok` or `error`.
    pub last_outcome: Option<String>,
    pub last_message: Option<String>,
}

/// The shortest schedule a process accepts, and the longest (a week).
pub const SCHEDULE_SECS: std::ops::RangeInclusive<u32> = 10..=604_800;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_modes_parse() {
        assert_eq!(
            "import-updatecaisse".parse::<ProcessKind>().unwrap(),
            ProcessKind::ImportUpdatecaisse
        );
        assert!("export".parse::<ProcessKind>().is_err());
        assert_eq!(
            "piloted".parse::<ConfirmMode>().unwrap(),
            ConfirmMode::Never
        );
    }
}
