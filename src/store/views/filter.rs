//! The `/` filter of a pane: free words and `field:value` terms, turned into SQL with bound values.
//!
//! `state:failed printer:front paper` keeps the rows whose state is `failed`, whose printer contains
//! `front`, and where any searched column contains `paper`. `field:!value` negates,
//! `field:>value` (`>=`, `<`, `<=`) compares, and `"quoted words"` keep spaces.

use rusqlite::types::Value;

use super::{Match, View};

/// A parsed filter; `text` is what the operator typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub text: String,
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Word(String),
    Field {
        column: usize,
        op: Op,
        value: String,
        negate: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Equal,
    Contains,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// Why a filter was not applied; the pane keeps its previous rows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    #[error("unknown filter field `{field}`: this pane filters on {expected}")]
    UnknownField { field: String, expected: String },
    #[error("filter field `{field}` needs a value, e.g. `{field}:something`")]
    EmptyValue { field: String },
    #[error("a quote is not closed in the filter `{text}`")]
    UnclosedQuote { text: String },
}

impl Filter {
    /// Parses `text` for `view`; an unknown field names the fields the view knows.
    pub fn parse(view: &View, text: &str) -> Result<Filter, FilterError> {
        let mut terms = Vec::new();
        for token in tokens(text)? {
            terms.push(term(view, token)?);
        }
        Ok(Filter {
            text: text.trim().to_string(),
            terms,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The `WHERE` condition and its bound values (`1` when the filter is empty).
    pub fn sql(&self, view: &View) -> (String, Vec<Value>) {
        let mut parts = Vec::new();
        let mut values = Vec::new();
        for t in &self.terms {
            match t {
                Term::Word(w) => {
                    let any: Vec<String> = view
                        .search
                        .iter()
                        .map(|e| format!("{e} LIKE ? ESCAPE '\\'"))
                        .collect();
                    for _ in view.search {
                        values.push(Value::Text(like_pattern(w)));
                    }
                    parts.push(format!("({})", any.join(" OR ")));
                }
                Term::Field {
                    column,
                    op,
                    value,
                    negate,
                } => {
                    let expr = view.columns[*column].value;
                    let cond = match op {
                        Op::Equal => format!("{expr} = ? COLLATE NOCASE"),
                        Op::Contains => format!("{expr} LIKE ? ESCAPE '\\'"),
                        Op::Less => format!("{expr} < ?"),
                        Op::LessOrEqual => format!("{expr} <= ?"),
                        Op::Greater => format!("{expr} > ?"),
                        Op::GreaterOrEqual => format!("{expr} >= ?"),
                    };
                    let bound = if *op == Op::Contains {
                        like_pattern(value)
                    } else {
                        value.clone()
                    };
                    values.push(number_or_text(bound));
                    parts.push(if *negate {
                        format!("NOT ({cond})")
                    } else {
                        format!("({cond})")
                    });
                }
            }
        }
        if parts.is_empty() {
            ("1".to_string(), values)
        } else {
            (parts.join(" AND "), values)
        }
    }
}

/// Binds integers as integers so numeric columns compare as numbers.
fn number_or_text(v: String) -> Value {
    match v.parse::<i64>() {
        Ok(n) if !v.starts_with('0') || v == "0" => Value::Integer(n),
        _ => Value::Text(v),
    }
}

fn like_pattern(w: &str) -> String {
    let escaped = w
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A whitespace-separated token; `quoted` when it began with a quote (never a field then).
struct Token {
    text: String,
    quoted: bool,
}

fn tokens(text: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let quoted = c == '"';
        let mut current = String::new();
        let mut in_quote = false;
        while let Some(&c) = chars.peek() {
            if c == '"' {
                in_quote = !in_quote;
                chars.next();
                continue;
            }
            if c.is_whitespace() && !in_quote {
                break;
            }
            current.push(c);
            chars.next();
        }
        if in_quote {
            return Err(FilterError::UnclosedQuote {
                text: text.to_string(),
            });
        }
        if !current.is_empty() {
            out.push(Token {
                text: current,
                quoted,
            });
        }
    }
    Ok(out)
}

fn term(view: &View, token: Token) -> Result<Term, FilterError> {
    let split = token.text.split_once(':').filter(|(field, _)| {
        !token.quoted
            && !field.is_empty()
            && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    let Some((field, raw)) = split else {
        return Ok(Term::Word(token.text));
    };
    let found = view.column(field).filter(|(_, c)| c.filter != Match::None);
    let Some((column, col)) = found else {
        return Err(FilterError::UnknownField {
            field: field.to_string(),
            expected: view.filter_fields().join(", "),
        });
    };
    let (negate, raw) = match raw.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (op, value) = if let Some(v) = raw.strip_prefix(">=") {
        (Op::GreaterOrEqual, v)
    } else if let Some(v) = raw.strip_prefix("<=") {
        (Op::LessOrEqual, v)
    } else if let Some(v) = raw.strip_prefix('>') {
        (Op::Greater, v)
    } else if let Some(v) = raw.strip_prefix('<') {
        (Op::Less, v)
    } else if col.filter == Match::Contains {
        (Op::Contains, raw)
    } else {
        (Op::Equal, raw)
    };
    if value.is_empty() {
        return Err(FilterError::EmptyValue {
            field: col.name.to_string(),
        });
    }
    Ok(Term::Field {
        column,
        op,
        value: value.to_string(),
        negate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::views::PRINT_JOBS;

    #[test]
    fn fields_and_words_become_bound_conditions() {
        let f = Filter::parse(&PRINT_JOBS, "state:failed printer:front paper").unwrap();
        let (sql, values) = f.sql(&PRINT_JOBS);
        assert!(sql.contains("j.state = ? COLLATE NOCASE"), "{sql}");
        assert!(sql.contains("LIKE ?"), "{sql}");
        assert_eq!(values[0], Value::Text("failed".into()));
        assert_eq!(values[1], Value::Text("%front%".into()));
    }

    #[test]
    fn an_unknown_field_names_the_fields_of_the_pane() {
        let err = Filter::parse(&PRINT_JOBS, "colour:red").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("colour") && msg.contains("state"), "{msg}");
    }

    #[test]
    fn quoted_words_keep_spaces_and_colons() {
        let f = Filter::parse(&PRINT_JOBS, "\"ipp://front desk\"").unwrap();
        assert_eq!(f.terms, vec![Term::Word("ipp://front desk".into())]);
        assert!(Filter::parse(&PRINT_JOBS, "\"open").is_err());
    }
}
