//! The `/` filter of a pane (and `--filter` of the CLI lists): free words and `field:value` terms,
//! turned into SQL with bound values.
//!
//! `state:failed printer:front paper` keeps the rows whose state is `failed` (states match
//! exactly), whose printer contains `front` (text matches as a substring, case-insensitive) and
//! where any searched column contains `paper`. `field:=value` is exact for text too,
//! `field:!value` negates, `field:>value` (`>=`, `<`, `<=`) compares numbers and times, a time
//! is the span it names in local time, as tables show times (`created:2026-11` is that month,
//! `created:>2026-11-30` after that day), and `"quoted words"` keep spaces. A value the field
//! cannot hold (`attempts:>abc`, `state:fai`) and an unknown field are explained, never 0 rows.

use rusqlite::Connection;
use rusqlite::types::Value;

use super::fields::{self, Kind};
use super::{Match, View, search};

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
    /// A time typed in local time, as the stored UTC instants `from <= t < until` (either bound
    /// left out by a comparison).
    Span {
        column: usize,
        from: Option<String>,
        until: Option<String>,
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
    #[error("filter `{term}`: `{value}` is not {expected}")]
    BadValue {
        term: String,
        value: String,
        expected: String,
    },
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

    /// The stored value when the filter is exactly one `field:value` on an exact field (the
    /// counts kept by triggers answer it), e.g. `Some(("state", "failed"))`.
    pub fn single_exact<'v>(&self, view: &'v View) -> Option<(&'v str, &str)> {
        match self.terms.as_slice() {
            [
                Term::Field {
                    column,
                    op: Op::Equal,
                    value,
                    negate: false,
                },
            ] => Some((view.columns[*column].name, value.as_str())),
            _ => None,
        }
    }

    /// The word, and the field whose text it is looked for in (`None`: every one the view's
    /// full-text index holds), when the filter is one term the index answers alone (a free word,
    /// or `field:value` on a field whose text the index holds).
    pub fn single_search(&self, view: &View) -> Option<(Option<&'static str>, &str)> {
        let index = search::of(view)?;
        match self.terms.as_slice() {
            [Term::Word(w)] if search::indexable(w) => Some((None, w)),
            [
                Term::Field {
                    column,
                    op: Op::Contains,
                    value,
                    negate: false,
                },
            ] if search::indexable(value) => {
                let field = index.field(view.columns[*column].name)?;
                Some((Some(field), value))
            }
            _ => None,
        }
    }

    /// The `WHERE` condition and its bound values (`1` when the filter is empty).
    pub fn sql(&self, view: &View) -> (String, Vec<Value>) {
        self.planned(view, None)
    }

    /// Like [`Filter::sql`], asking the full-text index first how common each indexed word is:
    /// a rare word reads its few rows by id, a common one is matched row by row (`LIKE`, as a
    /// short word is) so that the sorted scan stops at the first window of matches (either way,
    /// never every row).
    pub fn sql_for(&self, conn: &Connection, view: &View) -> (String, Vec<Value>) {
        self.planned(view, Some(conn))
    }

    fn planned(&self, view: &View, conn: Option<&Connection>) -> (String, Vec<Value>) {
        let mut parts = Vec::new();
        let mut values = Vec::new();
        let index = search::of(view);
        for t in &self.terms {
            match t {
                Term::Word(w) => match index.filter(|s| search::indexable(w) && !s.common(conn, w))
                {
                    Some(s) => {
                        let (cond, bound) = s.condition(None, w);
                        values.extend(bound);
                        parts.push(format!("({cond})"));
                    }
                    None => {
                        let mut any = Vec::new();
                        for e in view.search {
                            let (e, w) = case_folded(e, w);
                            any.push(format!("{e} LIKE ? ESCAPE '\\'"));
                            values.push(Value::Text(like_pattern(&w)));
                        }
                        parts.push(format!("({})", any.join(" OR ")));
                    }
                },
                Term::Field {
                    column,
                    op,
                    value,
                    negate,
                } => {
                    let col = &view.columns[*column];
                    let expr = col.value;
                    let indexed = index
                        .and_then(|s| s.field(col.name).map(|f| (s, f)))
                        .filter(|_| *op == Op::Contains && search::indexable(value))
                        .filter(|(s, _)| !s.common(conn, value));
                    let cond = if let Some((s, f)) = indexed {
                        let (cond, bound) = s.condition(Some(f), value);
                        values.extend(bound);
                        cond
                    } else if *op == Op::Equal && (view.name, col.name) == ("contacts", "email") {
                        // The e-mail index holds each address's key: sought through it, as
                        // `store::contacts::by_email` seeks an address.
                        let (cond, bound) = crate::store::contacts::email_is("c.", value);
                        values.extend(bound);
                        cond
                    } else {
                        let kind = fields::kind(view, col);
                        // Text typed by the operator is compared without case (Unicode's).
                        let text = matches!(kind, Kind::Text | Kind::Code)
                            && matches!(op, Op::Contains | Op::Equal);
                        let (expr, value) = if text {
                            case_folded(expr, value)
                        } else {
                            (expr.to_string(), value.clone())
                        };
                        let bound = match op {
                            Op::Contains => like_pattern(&value),
                            _ => value.clone(),
                        };
                        values.push(match kind {
                            Kind::Number => number_or_text(bound),
                            _ => Value::Text(bound),
                        });
                        match op {
                            // A choice, number or time was normalised to the stored value: a
                            // plain `=` lets SQLite seek the index on it (NOCASE would scan).
                            Op::Equal
                                if matches!(kind, Kind::Choice(_) | Kind::Number | Kind::Time) =>
                            {
                                format!("{expr} = ?")
                            }
                            Op::Equal => format!("{expr} = ? COLLATE NOCASE"),
                            Op::Contains => format!("{expr} LIKE ? ESCAPE '\\'"),
                            Op::Less => format!("{expr} < ?"),
                            Op::LessOrEqual => format!("{expr} <= ?"),
                            Op::Greater => format!("{expr} > ?"),
                            Op::GreaterOrEqual => format!("{expr} >= ?"),
                        }
                    };
                    parts.push(if *negate {
                        format!("NOT ({cond})")
                    } else {
                        format!("({cond})")
                    });
                }
                Term::Span {
                    column,
                    from,
                    until,
                    negate,
                } => {
                    let expr = view.columns[*column].value;
                    let mut bounds = Vec::new();
                    if let Some(from) = from {
                        bounds.push(format!("{expr} >= ?"));
                        values.push(Value::Text(from.clone()));
                    }
                    if let Some(until) = until {
                        bounds.push(format!("{expr} < ?"));
                        values.push(Value::Text(until.clone()));
                    }
                    let cond = bounds.join(" AND ");
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
        Ok(n) => Value::Integer(n),
        _ => Value::Text(v),
    }
}

fn escape_like(w: &str) -> String {
    w.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `expr` and `text` as a text comparison without case takes them: SQLite's `LIKE` and `NOCASE`
/// fold ASCII letters only, so a text with others (`élodie`) is compared in lower case on both
/// sides, through `unicode_lower` (as the trigram index folds them). ASCII text keeps the plain
/// expression (and its index, for `=`).
pub(super) fn case_folded(expr: &str, text: &str) -> (String, String) {
    if text.is_ascii() {
        (expr.to_string(), text.to_string())
    } else {
        (
            format!("{}({expr})", crate::store::collation::LOWER_FN),
            text.to_lowercase(),
        )
    }
}

pub(super) fn like_pattern(w: &str) -> String {
    format!("%{}%", escape_like(w))
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
    let kind = fields::kind(view, col);
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
    } else if let Some(v) = raw.strip_prefix('=') {
        (Op::Equal, v)
    } else {
        match kind {
            Kind::Text => (Op::Contains, raw),
            // A time without an operator is the span it names.
            _ => (Op::Equal, raw),
        }
    };
    if value.is_empty() {
        return Err(FilterError::EmptyValue {
            field: col.name.to_string(),
        });
    }
    if kind == Kind::Time {
        let Some((from, until)) = fields::local_span(value) else {
            return Err(FilterError::BadValue {
                term: token.text.clone(),
                value: value.to_string(),
                expected: fields::expected(&kind),
            });
        };
        // The span of the time typed, or what lies before or after it.
        let (from, until) = match op {
            Op::Greater => (Some(until), None),
            Op::GreaterOrEqual => (Some(from), None),
            Op::Less => (None, Some(from)),
            Op::LessOrEqual => (None, Some(until)),
            Op::Equal | Op::Contains => (Some(from), Some(until)),
        };
        return Ok(Term::Span {
            column,
            from,
            until,
            negate,
        });
    }
    let stored = match (&kind, op) {
        // Any text is a valid exact or compared value of a text field.
        (Kind::Text, _) => Some(value.to_string()),
        _ => fields::normalize(&kind, value),
    };
    let Some(value) = stored else {
        return Err(FilterError::BadValue {
            term: token.text.clone(),
            value: value.to_string(),
            expected: fields::expected(&kind),
        });
    };
    Ok(Term::Field {
        column,
        op,
        value,
        negate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::views::{CONTACTS, PRINT_JOBS};

    #[test]
    fn an_address_given_whole_is_sought_through_the_e_mail_index() {
        let conn = crate::store::open_in_memory().unwrap();
        crate::store::contacts::insert(&conn, "Jürgen", "JÜRGEN@x.de", None).unwrap();
        crate::store::contacts::insert(&conn, "Anna", "anna@x.de", None).unwrap();
        for (filter, found) in [
            ("email:=jürgen@X.DE", vec!["JÜRGEN@x.de"]),
            ("email:=ANNA@x.de", vec!["anna@x.de"]),
            ("email:!=ANNA@x.de", vec!["JÜRGEN@x.de"]),
            ("email:=nobody@x.de", vec![]),
        ] {
            let f = Filter::parse(&CONTACTS, filter).unwrap();
            let (cond, values) = f.sql_for(&conn, &CONTACTS);
            let sql = format!("SELECT c.email FROM contacts c WHERE {cond} ORDER BY c.id");
            let emails: Vec<String> = conn
                .prepare(&sql)
                .unwrap()
                .query_map(rusqlite::params_from_iter(values.iter()), |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(emails, found, "{filter}");
            if !filter.contains('!') {
                let plan: String = conn
                    .query_row(
                        &format!("EXPLAIN QUERY PLAN {sql}"),
                        rusqlite::params_from_iter(values.iter()),
                        |r| r.get(3),
                    )
                    .unwrap();
                assert!(plan.contains("contacts_email"), "{filter}: {plan}");
            }
        }
    }

    #[test]
    fn fields_and_words_become_bound_conditions() {
        let f = Filter::parse(&PRINT_JOBS, "state:failed printer:fr paper").unwrap();
        let (sql, values) = f.sql(&PRINT_JOBS);
        assert!(sql.contains("j.state = ?"), "{sql}");
        assert!(
            !sql.contains("j.state = ? COLLATE NOCASE"),
            "the index on state: {sql}"
        );
        assert!(sql.contains("LIKE ?"), "{sql}");
        assert!(sql.contains("print_jobs_search MATCH ?"), "{sql}");
        assert_eq!(values[0], Value::Text("failed".into()));
        assert_eq!(values[1], Value::Text("%fr%".into()));
        // The word's trigrams through the index, then the word itself in any of its columns,
        // then the job's uuid and the printer's reference, matched whole.
        assert_eq!(
            values[2],
            Value::Text("\"pap\" AND \"ape\" AND \"per\"".into())
        );
        assert_eq!(values[3..6], vec![Value::Text("%paper%".into()); 3]);
        assert_eq!(values[6..], vec![Value::Text("paper".into()); 2]);
    }

    #[test]
    fn an_unknown_field_names_the_fields_of_the_pane() {
        let err = Filter::parse(&PRINT_JOBS, "colour:red").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("colour") && msg.contains("state"), "{msg}");
    }

    #[test]
    fn a_value_the_field_cannot_hold_is_explained() {
        let msg = Filter::parse(&PRINT_JOBS, "attempts:>abc")
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "filter `attempts:>abc`: `abc` is not a whole number, e.g. 3"
        );
        let msg = Filter::parse(&PRINT_JOBS, "state:fai")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("`fai` is not one of pending, sending"),
            "{msg}"
        );
        let msg = Filter::parse(&PRINT_JOBS, "created:>yesterday")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("a date or time"), "{msg}");
    }

    #[test]
    fn states_are_exact_text_is_a_substring_and_equals_is_exact() {
        let f = Filter::parse(&CONTACTS, "state:Not_Registered").unwrap();
        assert_eq!(f.single_exact(&CONTACTS), Some(("state", "not_registered")));
        let f = Filter::parse(&CONTACTS, "name:lod").unwrap();
        let (sql, values) = f.sql(&CONTACTS);
        assert!(sql.contains("c.name LIKE ?"), "{sql}");
        assert_eq!(values, vec![Value::Text("%lod%".into())]);
        let f = Filter::parse(&CONTACTS, "name:=Anna").unwrap();
        let (sql, values) = f.sql(&CONTACTS);
        assert!(sql.contains("c.name = ?"), "{sql}");
        assert_eq!(values, vec![Value::Text("Anna".into())]);
        // Exact, without case beyond ASCII too.
        let f = Filter::parse(&CONTACTS, "name:=Élodie").unwrap();
        let (sql, values) = f.sql(&CONTACTS);
        assert!(sql.contains("unicode_lower(c.name) = ?"), "{sql}");
        assert_eq!(values, vec![Value::Text("élodie".into())]);
    }

    #[test]
    fn a_time_is_the_span_it_names_in_local_time() {
        // The tests run in the machine's zone: the bounds are chrono's own conversion.
        let utc = |y, mo, d, h| {
            use chrono::TimeZone;
            let local = chrono::Local
                .with_ymd_and_hms(y, mo, d, h, 0, 0)
                .earliest()
                .unwrap();
            Value::Text(crate::store::to_text(local.with_timezone(&chrono::Utc)))
        };
        let f = Filter::parse(&PRINT_JOBS, "created:2026-11").unwrap();
        let (sql, values) = f.sql(&PRINT_JOBS);
        assert!(
            sql.contains("j.created_at >= ? AND j.created_at < ?"),
            "{sql}"
        );
        assert_eq!(values, vec![utc(2026, 11, 1, 0), utc(2026, 12, 1, 0)]);
        let f = Filter::parse(&PRINT_JOBS, "created:2026-12-31T23").unwrap();
        assert_eq!(
            f.sql(&PRINT_JOBS).1,
            vec![utc(2026, 12, 31, 23), utc(2027, 1, 1, 0)]
        );
        let f = Filter::parse(&PRINT_JOBS, "created:>2026-11-30").unwrap();
        let (sql, values) = f.sql(&PRINT_JOBS);
        assert!(!sql.contains('<'), "{sql}");
        assert_eq!(values, vec![utc(2026, 12, 1, 0)]);
        let f = Filter::parse(&PRINT_JOBS, "created:!<=2026-11-30").unwrap();
        let (sql, values) = f.sql(&PRINT_JOBS);
        assert!(sql.contains("NOT (j.created_at < ?)"), "{sql}");
        assert_eq!(values, vec![utc(2026, 12, 1, 0)]);
        assert!(Filter::parse(&PRINT_JOBS, "created:2026-13").is_err());
    }

    #[test]
    fn text_with_letters_beyond_ascii_is_compared_without_case_through_unicode_lower() {
        let conn = crate::store::open_in_memory().unwrap();
        for (name, email) in [("Élodie Dupont", "e@x.org"), ("Özlem Kaya", "o@x.org")] {
            crate::store::contacts::insert(&conn, name, email, None).unwrap();
        }
        let names = |filter: &str| -> Vec<String> {
            let f = Filter::parse(&CONTACTS, filter).unwrap();
            let (cond, values) = f.sql(&CONTACTS);
            conn.prepare(&format!(
                "SELECT c.name FROM {} WHERE {cond} ORDER BY c.id",
                CONTACTS.from
            ))
            .unwrap()
            .query_map(rusqlite::params_from_iter(values), |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        };
        assert_eq!(names("élodie"), ["Élodie Dupont"]);
        assert_eq!(names("ÖZLEM"), ["Özlem Kaya"]);
        assert_eq!(names("name:élo"), ["Élodie Dupont"]);
        assert_eq!(names("name:=\"élodie dupont\""), ["Élodie Dupont"]);
        // Accents still count, as in the trigram index.
        assert!(names("elodie").is_empty());
        // ASCII text keeps the plain comparison.
        let (sql, _) = Filter::parse(&CONTACTS, "dupont").unwrap().sql(&CONTACTS);
        assert!(!sql.contains("unicode_lower"), "{sql}");
    }

    #[test]
    fn quoted_words_keep_spaces_and_colons() {
        let f = Filter::parse(&PRINT_JOBS, "\"ipp://front desk\"").unwrap();
        assert_eq!(f.terms, vec![Term::Word("ipp://front desk".into())]);
        assert!(Filter::parse(&PRINT_JOBS, "\"open").is_err());
    }
}
