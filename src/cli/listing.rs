//! What every `list` command shares: a default limit with the rest announced on stderr, `--all`
//! streamed in constant memory, and `--filter` in the TUI's filter language.

use std::io::Write as _;

use serde::Serialize;

use crate::cli::Failure;
use crate::context::Context;
use crate::store::counts::Count;
use crate::store::views::{self, Filter, Query, View};

pub mod shown;

/// Rows a list prints when neither `--limit` nor `--all` is given.
pub const DEFAULT_LIMIT: usize = 50;

/// Rows buffered to size the columns of a streamed (`--all`) text list.
const SIZING_ROWS: usize = 200;

#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// At most this many rows (default 50).
    #[arg(long, conflicts_with = "all", value_parser = at_least_one)]
    pub limit: Option<usize>,
    /// Every row, streamed as it is read.
    #[arg(long)]
    pub all: bool,
    /// The TUI's filter: `state:failed printer:front paper`, `attempts:>2`, `name:=Anna`.
    #[arg(long)]
    pub filter: Option<String>,
}

/// `--limit`: a whole number of at least 1 (`--limit 0` printed a header and "50 more").
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{text:?} is not a number of rows (a whole number of at least 1; --all for every row)"
        )),
    }
}

impl ListArgs {
    /// How many rows to print (`None`: all).
    pub fn limit(&self) -> Option<usize> {
        if self.all {
            None
        } else {
            Some(self.limit.unwrap_or(DEFAULT_LIMIT))
        }
    }

    /// The parsed `--filter` for `view` (empty without one); a bad one is a usage error.
    pub fn filter(&self, view: &View) -> Result<Filter, Failure> {
        match &self.filter {
            Some(text) => {
                Filter::parse(view, text).map_err(|e| Failure::usage(format!("--filter: {e}")))
            }
            None => Ok(Filter::default()),
        }
    }
}

/// Keeps the rows of a short list that `--filter` selects (asked of `view` by row id, so the
/// filter means what it means in the TUI's pane), then at most the limit, the rest announced on
/// stderr. The rows keep their order.
pub fn keep<T>(
    conn: &rusqlite::Connection,
    view: &View,
    args: &ListArgs,
    mut rows: Vec<T>,
    id: impl Fn(&T) -> i64,
) -> anyhow::Result<Vec<T>> {
    let filter = args.filter(view)?;
    if !filter.is_empty() {
        let query = Query {
            filter,
            ..Query::new(view)
        };
        let kept: std::collections::HashSet<i64> = views::ids(conn, view, &query)
            .map_err(|e| anyhow::anyhow!("filtering the {}: {e}", view.name))?
            .into_iter()
            .collect();
        rows.retain(|r| kept.contains(&id(r)));
    }
    Ok(cut(args, rows))
}

/// At most the limit of `rows`, the rest announced on stderr.
pub fn cut<T>(args: &ListArgs, mut rows: Vec<T>) -> Vec<T> {
    if let Some(limit) = args.limit().filter(|l| rows.len() > *l) {
        let rest = (rows.len() - limit) as u64;
        rows.truncate(limit);
        eprintln!("{}", more(Count::exact(rest)));
    }
    rows
}

/// After a query that read one row past the limit: drops that row and announces how many more
/// rows the filter keeps (counted up to [`crate::store::counts::COUNT_CAP`]).
pub fn cut_read<T>(
    conn: &rusqlite::Connection,
    view: &View,
    filter: &Filter,
    args: &ListArgs,
    rows: &mut Vec<T>,
) -> anyhow::Result<()> {
    cut_counted(args, rows, || {
        let query = Query {
            filter: filter.clone(),
            ..Query::new(view)
        };
        views::count(conn, view, &query)
            .map_err(|e| anyhow::anyhow!("counting the {}: {e}", view.name))
    })
}

/// [`cut_read`] for a list with a count of its own: `total` counts every row the list would
/// show without its limit, and runs only when the limit cut it.
pub fn cut_counted<T>(
    args: &ListArgs,
    rows: &mut Vec<T>,
    total: impl FnOnce() -> anyhow::Result<Count>,
) -> anyhow::Result<()> {
    let Some(limit) = args.limit().filter(|l| rows.len() > *l) else {
        return Ok(());
    };
    rows.truncate(limit);
    eprintln!("{}", more_after(total()?, limit));
    Ok(())
}

/// The stderr line after the first `shown` rows of `total`.
pub fn more_after(total: Count, shown: usize) -> String {
    more(Count {
        n: total.n.saturating_sub(shown as u64),
        exact: total.exact,
    })
}

/// The stderr line after a list cut by its limit.
pub fn more(rest: Count) -> String {
    let n = thousands(rest.n);
    if rest.exact {
        format!("{n} more: --limit N or --all")
    } else {
        format!("at least {n} more: --limit N or --all")
    }
}

/// Rows written to stdout as they come: a JSON array with `--json`, else aligned text columns
/// (sized on the first rows, so that a list of any length needs constant memory).
pub struct Stream<'c> {
    ctx: &'c Context,
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    header: Vec<String>,
    buffered: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
    rows: usize,
}

impl<'c> Stream<'c> {
    pub fn new(ctx: &'c Context, header: &[&str]) -> Stream<'c> {
        Stream {
            ctx,
            out: std::io::BufWriter::new(std::io::stdout().lock()),
            header: header.iter().map(|s| s.to_string()).collect(),
            buffered: Vec::new(),
            widths: None,
            rows: 0,
        }
    }

    /// Writes one row: `value` with `--json`, else the `cells` `text` gives.
    pub fn row<T: Serialize>(
        &mut self,
        value: &T,
        text: impl FnOnce() -> Vec<String>,
    ) -> anyhow::Result<()> {
        self.rows += 1;
        if self.ctx.json {
            let sep = if self.rows == 1 { "[\n" } else { ",\n" };
            self.out.write_all(sep.as_bytes())?;
            serde_json::to_writer_pretty(&mut self.out, value)?;
            return Ok(());
        }
        // Control characters escaped (`\n`, `\u{1b}`), as in every text table: a newline in a
        // company forged a row, an escape sequence in a name reached the terminal.
        let cells: Vec<String> = text()
            .iter()
            .map(|c| super::output::visible(c).into_owned())
            .collect();
        match &self.widths {
            Some(w) => {
                let line = aligned(&cells, w);
                writeln!(self.out, "{line}")?;
            }
            None => {
                self.buffered.push(cells);
                if self.buffered.len() >= SIZING_ROWS {
                    self.flush_buffered()?;
                }
            }
        }
        Ok(())
    }

    fn flush_buffered(&mut self) -> anyhow::Result<()> {
        let mut all = vec![self.header.clone()];
        all.append(&mut self.buffered);
        let widths = widths(&all);
        for r in &all {
            writeln!(self.out, "{}", aligned(r, &widths))?;
        }
        self.widths = Some(widths);
        Ok(())
    }

    /// Ends the list (`footer` follows the text rows); returns how many rows were written.
    pub fn finish(mut self, footer: &str) -> anyhow::Result<usize> {
        if self.ctx.json {
            let end = if self.rows == 0 { "[]\n" } else { "\n]\n" };
            self.out.write_all(end.as_bytes())?;
        } else {
            if self.widths.is_none() {
                self.flush_buffered()?;
            }
            if !footer.is_empty() {
                writeln!(self.out, "{footer}")?;
            }
        }
        self.out.flush()?;
        Ok(self.rows)
    }
}

fn widths(rows: &[Vec<String>]) -> Vec<usize> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect()
}

fn aligned(cells: &[String], widths: &[usize]) -> String {
    let line: Vec<String> = cells
        .iter()
        .enumerate()
        // Padded by hand: a width argument of format! panics past 65,535 (a long company name).
        .map(|(i, s)| {
            let w = widths.get(i).copied().unwrap_or(0);
            format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())))
        })
        .collect();
    line.join("  ").trim_end().to_string()
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
