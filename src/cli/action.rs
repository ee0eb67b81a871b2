//! Names a parsed command for the service: its action (`printers.add`), its target (the
//! positional values) and the arguments that are paths on the client's side.

use std::any::TypeId;
use std::path::PathBuf;

use clap::{ArgMatches, Command};

/// A parsed command as the service sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub action: String,
    pub target: String,
    /// Path arguments: (argument id, raw values, whether the command writes it).
    pub paths: Vec<PathArg>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathArg {
    pub id: String,
    pub values: Vec<String>,
    pub output: bool,
}

/// Path options a command writes to; every other path argument is read.
const OUTPUT_IDS: &[&str] = &["out", "out_dir", "output", "to"];
/// Arguments that name a file to read though they are not typed as paths (`--file -` too).
const INPUT_IDS: &[&str] = &["file"];
/// Global options that are not the command's own paths.
const GLOBAL_IDS: &[&str] = &["db", "config", "socket"];

/// Names the command `matches` holds (parsed from `root`).
pub fn name(root: &Command, matches: &ArgMatches) -> Named {
    let mut parts = Vec::new();
    let mut target = Vec::new();
    let mut paths = Vec::new();
    let (mut cmd, mut m) = (root, matches);
    while let Some((sub, sub_m)) = m.subcommand() {
        let Some(sub_cmd) = cmd.find_subcommand(sub) else {
            break;
        };
        parts.push(sub.to_string());
        (cmd, m) = (sub_cmd, sub_m);
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if GLOBAL_IDS.contains(&id)
                || !matches!(
                    m.value_source(id),
                    Some(clap::parser::ValueSource::CommandLine)
                )
            {
                continue;
            }
            let Some(raw) = m.get_raw(id) else { continue };
            let values: Vec<String> = raw.map(|v| v.to_string_lossy().into_owned()).collect();
            if arg.get_value_parser().type_id() == TypeId::of::<PathBuf>()
                || INPUT_IDS.contains(&id)
            {
                paths.push(PathArg {
                    id: id.to_string(),
                    output: OUTPUT_IDS.contains(&id),
                    values: values.clone(),
                });
            }
            if arg.is_positional() {
                // A positional choice (`sync capture install`) is part of the action.
                if id == "action" && !arg.get_possible_values().is_empty() {
                    parts.extend(values);
                } else {
                    target.extend(values);
                }
            }
        }
    }
    Named {
        action: parts.join("."),
        target: target.join(" "),
        paths,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn named(args: &[&str]) -> Named {
        let root = crate::cli::Cli::command();
        let m = root.clone().try_get_matches_from(args).unwrap();
        name(&root, &m)
    }

    #[test]
    fn actions_name_the_noun_and_verb_and_targets_the_positionals() {
        let n = named(&[
            "backroom",
            "printers",
            "remove",
            "front",
            "--successor",
            "back",
        ]);
        assert_eq!(
            (n.action.as_str(), n.target.as_str()),
            ("printers.remove", "front")
        );
        let n = named(&["backroom", "sync", "capture", "install", "LYON"]);
        assert_eq!(n.action, "sync.capture.install");
        assert_eq!(n.target, "LYON");
        let n = named(&["backroom", "pos", "folders", "list", "--json"]);
        assert_eq!(n.action, "pos.folders.list");
    }

    #[test]
    fn path_arguments_are_found_and_outputs_told_apart() {
        let n = named(&[
            "backroom",
            "--db",
            "x.db",
            "events",
            "emit",
            "order.received",
            "--file=o.json",
        ]);
        assert_eq!(
            n.paths,
            vec![PathArg {
                id: "file".into(),
                values: vec!["o.json".into()],
                output: false
            }]
        );
        let n = named(&["backroom", "jobs", "download", "4", "--out", "c.pdf"]);
        assert_eq!(
            n.paths,
            vec![PathArg {
                id: "out".into(),
                values: vec!["c.pdf".into()],
                output: true
            }]
        );
    }

    #[test]
    fn every_command_has_a_rule_in_the_policy_table() {
        fn leaves(cmd: &Command, prefix: &str, out: &mut Vec<String>) {
            let subs: Vec<&Command> = cmd
                .get_subcommands()
                .filter(|c| c.get_name() != "help")
                .collect();
            if subs.is_empty() {
                let choices: Vec<String> = cmd
                    .get_arguments()
                    .filter(|a| a.is_positional() && a.get_id() == "action")
                    .flat_map(|a| {
                        a.get_possible_values()
                            .into_iter()
                            .map(|v| v.get_name().to_string())
                    })
                    .collect();
                if choices.is_empty() {
                    out.push(prefix.to_string());
                } else {
                    out.extend(choices.iter().map(|c| format!("{prefix}.{c}")));
                }
            }
            for s in subs {
                let p = if prefix.is_empty() {
                    s.get_name().to_string()
                } else {
                    format!("{prefix}.{}", s.get_name())
                };
                leaves(s, &p, out);
            }
        }
        let mut all = Vec::new();
        leaves(&crate::cli::Cli::command(), "", &mut all);
        let missing: Vec<&String> = all
            .iter()
            .filter(|a| !crate::service::policy::TABLE.iter().any(|(n, _, _)| n == a))
            .collect();
        assert!(
            missing.is_empty(),
            "commands without a policy rule (admin-only until listed): {missing:?}"
        );
    }
}
