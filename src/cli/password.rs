//! Reads a password from the terminal without echoing it.

use std::io::Write as _;

use anyhow::Context as _;

/// Prompts on stderr and reads one line from the terminal with echo off (stdin when it is not
/// a terminal).
pub fn prompt(label: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal as _;
    eprint!("{label}");
    let _ = std::io::stderr().flush();
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    crossterm::terminal::enable_raw_mode().context("switching the terminal to read a password")?;
    let result = read_hidden();
    let _ = crossterm::terminal::disable_raw_mode();
    eprintln!();
    result
}

fn read_hidden() -> anyhow::Result<String> {
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers, read};
    let mut password = String::new();
    loop {
        if let Event::Key(KeyEvent {
            code, modifiers, ..
        }) = read().context("reading the password")?
        {
            match code {
                KeyCode::Enter => return Ok(password),
                KeyCode::Backspace => {
                    password.pop();
                }
                KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => {
                    anyhow::bail!("sign-in cancelled")
                }
                KeyCode::Char(c) => password.push(c),
                _ => {}
            }
        }
    }
}
