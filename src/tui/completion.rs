//! What the palette's tab completes: commands, then their arguments (themes, keymaps, columns,
//! `desc`, filter fields and the values of state-like fields).

use crate::contacts::ContactState;
use crate::printing::JobState;
use crate::printing::printer::Provider;

use super::panes::Pane;
use super::strings::palette as s;

/// Commands that take an argument: completing one adds the space.
const WITH_ARGUMENT: &[&str] = &["theme", "keymap", "sort", "filter"];

/// Every full command line that extends `text`, for the active `pane`.
pub fn candidates(text: &str, pane: Pane, themes: &[String], keymaps: &[String]) -> Vec<String> {
    let lower = text.to_lowercase();
    let Some((cmd, arg)) = lower.split_once(' ') else {
        return commands(&lower, pane);
    };
    let prefixed = |head: &str, options: Vec<String>| -> Vec<String> {
        options
            .into_iter()
            .map(|o| format!("{head}{o}"))
            .filter(|c| c.starts_with(&lower))
            .collect()
    };
    match cmd {
        "theme" => prefixed("theme ", themes.to_vec()),
        "keymap" => prefixed("keymap ", keymaps.to_vec()),
        "sort" => match arg.split_once(' ') {
            Some((column, _)) => prefixed(&format!("sort {column} "), vec!["desc".into()]),
            None => prefixed("sort ", columns(pane)),
        },
        "filter" => {
            // The last word: a field name, or a value after `field:`.
            let head_len = lower.rfind(' ').map_or(0, |i| i + 1);
            let (head, word) = lower.split_at(head_len);
            let options = match word.split_once(':') {
                Some((field, _)) => values(pane, field)
                    .into_iter()
                    .map(|v| format!("{field}:{v}"))
                    .collect(),
                None => pane
                    .view()
                    .filter_fields()
                    .into_iter()
                    .map(|f| format!("{f}:"))
                    .collect(),
            };
            prefixed(head, options)
        }
        _ => Vec::new(),
    }
}

fn commands(lower: &str, pane: Pane) -> Vec<String> {
    let mut all: Vec<String> = s::COMMANDS.iter().map(|(c, _)| c.to_string()).collect();
    for p in Pane::ALL {
        for a in p.aliases() {
            if !all.iter().any(|c| c == a) {
                all.push(a.to_string());
            }
        }
    }
    all.extend(pane.actions().iter().map(|a| a.name.to_string()));
    let found: Vec<String> = all.into_iter().filter(|c| c.starts_with(lower)).collect();
    match found.as_slice() {
        [one] if WITH_ARGUMENT.contains(&one.as_str()) => vec![format!("{one} ")],
        _ => found,
    }
}

fn columns(pane: Pane) -> Vec<String> {
    pane.view()
        .columns
        .iter()
        .map(|c| c.name.to_string())
        .collect()
}

/// The values a field takes, when they are few and known (states, kinds, yes/no).
pub fn values(pane: Pane, field: &str) -> Vec<String> {
    let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    match (pane, field) {
        (Pane::PrintJobs, "state") => JobState::ALL.iter().map(|s| s.as_str().into()).collect(),
        (Pane::Contacts, "state") => ContactState::ALL
            .iter()
            .map(|s| s.as_str().into())
            .collect(),
        (Pane::Printers, "provider") => Provider::ALL.iter().map(|p| p.as_str().into()).collect(),
        (Pane::Printers, "enabled" | "default") | (Pane::Contacts, "invited") => {
            strs(&["yes", "no"])
        }
        (Pane::SyncTables, "type") => strs(&["full", "incremental"]),
        (Pane::SyncTables, "direction") => strs(&["server_to_till", "till_to_server"]),
        _ => Vec::new(),
    }
}

/// The longest text every candidate starts with.
pub fn common_prefix(candidates: &[String]) -> String {
    let Some(first) = candidates.first() else {
        return String::new();
    };
    let mut end = first.len();
    for c in &candidates[1..] {
        end = first
            .char_indices()
            .zip(c.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(end);
    }
    first[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_complete_after_their_command() {
        let themes = vec!["dark".to_string(), "light".to_string()];
        assert_eq!(
            candidates("th", Pane::Printers, &themes, &[]),
            vec!["theme "]
        );
        assert_eq!(
            candidates("theme l", Pane::Printers, &themes, &[]),
            vec!["theme light"]
        );
        assert_eq!(
            candidates("filter printer:front st", Pane::PrintJobs, &[], &[]),
            vec!["filter printer:front state:"]
        );
        assert_eq!(
            candidates("filter state:fa", Pane::PrintJobs, &[], &[]),
            vec!["filter state:failed"]
        );
        assert_eq!(
            candidates("sort state d", Pane::PrintJobs, &[], &[]),
            vec!["sort state desc"]
        );
        assert_eq!(
            common_prefix(&["sort created".into(), "sort copies".into()]),
            "sort c"
        );
    }
}
