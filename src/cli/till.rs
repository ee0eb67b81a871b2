//! `backroom till ...`: what a till writes (tickets, customers, parameters, rows of till → server
//! tables), each queued for the server in the same transaction. For tests, demos and scripts.

use crate::cli::{Failure, emit};
use crate::context::Context;
use crate::sync::queue::{self, Ticket, TicketLine};
use crate::sync::{SyncError, push::Identity};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Tickets sold on this till.
    Ticket {
        #[command(subcommand)]
        command: TicketCommand,
    },
    /// Customers: create (needs the server), update and abandon (queued).
    Customer {
        #[command(subcommand)]
        command: CustomerCommand,
    },
    /// Till parameters (queued for the server).
    Param {
        #[command(subcommand)]
        command: ParamCommand,
    },
    /// What waits for the server, and the items set aside because the server refuses them.
    Queue {
        #[command(subcommand)]
        command: QueueCommand,
    },
    /// A row of a till → server table (queued for the server).
    Row {
        /// The POS folder (its code, as in `backroom pos folders list`).
        folder: String,
        /// The till → server sync table the row belongs to.
        table: String,
        /// COLUMN=VALUE (repeat); values that parse as JSON numbers are numbers.
        #[arg(long = "field", value_name = "COLUMN=VALUE", required = true)]
        fields: Vec<String>,
        /// The key column(s) when the table is new on this till.
        #[arg(long)]
        key: Vec<String>,
        /// Delete the row with these key values instead.
        #[arg(long)]
        delete: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum QueueCommand {
    /// The items waiting for the server (the first 50, in the order they are sent) and the items
    /// set aside, with their errors.
    Show {
        /// The POS folder (its code, as in `backroom pos folders list`).
        folder: String,
    },
    /// Take an item the server refuses out of the queue, so that the items after it are sent;
    /// it is kept, whole, until put back.
    SetAside {
        /// The POS folder (its code, as in `backroom pos folders list`).
        folder: String,
        /// The item's uuid (`backroom till queue show`, or the error of the refused push).
        uuid: String,
        /// Why (kept with the item, and in the audit log).
        #[arg(long)]
        reason: String,
    },
    /// Put a set-aside item back in its place in the queue: the next push sends it again.
    PutBack {
        /// The POS folder (its code, as in `backroom pos folders list`).
        folder: String,
        /// The item's uuid (`backroom till queue show`).
        uuid: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum TicketCommand {
    /// Record a ticket.
    Add {
        /// The POS folder (its code, as in `backroom pos folders list`).
        folder: String,
        /// The ticket number.
        #[arg(long)]
        number: String,
        /// ARTICLE:QUANTITY:UNIT_PRICE (repeat), e.g. ART-001:2:4.50
        #[arg(long = "line", value_name = "ARTICLE:QTY:PRICE", required = true)]
        lines: Vec<String>,
        /// The customer's code, when the ticket is sold to a known customer.
        #[arg(long)]
        customer: Option<String>,
        /// Invoice details as JSON, so the server prints an invoice: {"currency", "customer",
        /// "billing_address", "vat_rate"} (formats as in `backroom events emit`).
        #[arg(long, value_name = "JSON")]
        invoice: Option<String>,
    },
    /// Tickets recorded on this till, in the order they were sold (50 unless --limit or --all).
    List {
        /// The POS folder (its code, as in `backroom pos folders list`).
        folder: String,
        #[command(flatten)]
        list: crate::cli::listing::ListArgs,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ParamCommand {
    /// Set a till parameter.
    Set {
        /// The POS folder (its code, as in `backroom pos folders list`).
        folder: String,
        /// The parameter's name.
        key: String,
        /// Its new value (text).
        value: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum CustomerCommand {
    /// Create a customer on the server from the model customer (refused offline).
    Create {
        /// The POS folder (its code, as in `backroom pos folders list`).
        folder: String,
        /// COLUMN=VALUE (repeat): overrides the model customer's values.
        #[arg(long = "field", value_name = "COLUMN=VALUE")]
        fields: Vec<String>,
    },
    /// Change a customer (queued; works offline).
    Update {
        /// The POS folder (its code, as in `backroom pos folders list`).
        folder: String,
        /// The customer's code.
        code: String,
        /// COLUMN=VALUE (repeat): the columns to change.
        #[arg(long = "field", value_name = "COLUMN=VALUE", required = true)]
        fields: Vec<String>,
    },
    /// Abandon a creation: removed here, deletion requested from the server (queued).
    Abandon {
        /// The POS folder (its code, as in `backroom pos folders list`).
        folder: String,
        /// The code of the customer whose creation is abandoned.
        code: String,
    },
}

fn parse_fields(fields: &[String]) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    let mut map = serde_json::Map::new();
    for f in fields {
        let Some((k, v)) = f.split_once('=') else {
            return Err(Failure::usage(format!(
                "--field {f:?}: expected COLUMN=VALUE"
            )));
        };
        let value = match v.parse::<serde_json::Number>() {
            Ok(n) if !v.starts_with('0') || v == "0" || v.starts_with("0.") => {
                serde_json::Value::Number(n)
            }
            _ => serde_json::Value::from(v),
        };
        map.insert(k.trim().to_string(), value);
    }
    Ok(map)
}

fn parse_line(text: &str) -> Result<TicketLine, Failure> {
    let parts: Vec<&str> = text.split(':').collect();
    let [article, qty, price] = parts.as_slice() else {
        return Err(Failure::usage(format!(
            "--line {text:?}: expected ARTICLE:QUANTITY:UNIT_PRICE"
        )));
    };
    let quantity: f64 = qty.parse().map_err(|_| {
        Failure::usage(format!("--line {text:?}: quantity {qty:?} is not a number"))
    })?;
    let price: f64 = price
        .replace(',', ".")
        .parse()
        .map_err(|_| Failure::usage(format!("--line {text:?}: price {price:?} is not a number")))?;
    Ok(TicketLine {
        article: article.to_string(),
        quantity,
        price_cents: (price * 100.0).round() as i64,
    })
}

fn require_folder(ctx: &Context, code: &str) -> anyhow::Result<()> {
    crate::worker::sync::load_folder(ctx, code).map_err(|e| super::sync::failure(e.into()))?;
    Ok(())
}

fn till_number(ctx: &Context) -> Result<String, Failure> {
    let n = ctx.config.till.number.trim();
    if n.is_empty() {
        return Err(Failure::usage(
            "this backroom is not a till: set number under [till] in config.toml",
        ));
    }
    Ok(n.to_string())
}

fn mapped(e: SyncError) -> anyhow::Error {
    super::sync::failure(e.into())
}

pub async fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        Command::Ticket {
            command:
                TicketCommand::Add {
                    folder,
                    number,
                    lines,
                    customer,
                    invoice,
                },
        } => {
            require_folder(ctx, &folder)?;
            let till = till_number(ctx)?;
            let lines = lines
                .iter()
                .map(|l| parse_line(l))
                .collect::<Result<Vec<_>, _>>()?;
            let total_cents = lines
                .iter()
                .map(|l| (l.quantity * l.price_cents as f64).round() as i64)
                .sum();
            let invoice = match invoice {
                Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(v) if v.is_object() => Some(v),
                    Ok(_) => {
                        return Err(Failure::usage("--invoice: expected a JSON object").into());
                    }
                    Err(e) => return Err(Failure::usage(format!("--invoice: {e}")).into()),
                },
                None => None,
            };
            let ticket = Ticket {
                uuid: uuid::Uuid::new_v4().to_string(),
                till,
                number,
                sold_at: crate::store::now(),
                total_cents,
                customer,
                lines,
                invoice,
            };
            let mut conn = ctx.open_store()?;
            queue::record_ticket(&mut conn, &folder, &ticket).map_err(mapped)?;
            crate::worker::wake();
            emit(ctx, &ticket, || {
                format!(
                    "ticket {} recorded ({:.2}), queued for the server as {}",
                    ticket.number,
                    ticket.total_cents as f64 / 100.0,
                    ticket.uuid
                )
            })
        }
        Command::Ticket {
            command: TicketCommand::List { folder, list },
        } => {
            let view = &crate::store::views::lists::TILL_TICKETS;
            let filter = list.filter(view)?;
            let conn = ctx.open_store()?;
            let (cond, mut values) = filter.sql(view);
            values.insert(0, rusqlite::types::Value::Text(folder.clone()));
            let limit = list.limit().map_or(-1, |l| l as i64 + 1);
            let mut stmt = conn.prepare(&format!(
                "SELECT t.uuid, t.number, t.sold_at, t.total_cents, t.customer,
                        t.sent_at IS NOT NULL
                 FROM {from} WHERE t.folder = ? AND ({cond}) ORDER BY t.id LIMIT {limit}",
                from = view.from
            ))?;
            let mut rows: Vec<serde_json::Value> = stmt
                .query_map(rusqlite::params_from_iter(values), |r| {
                    Ok(serde_json::json!({
                        "uuid": r.get::<_, String>(0)?,
                        "number": r.get::<_, String>(1)?,
                        "sold_at": r.get::<_, String>(2)?,
                        "total_cents": r.get::<_, i64>(3)?,
                        "customer": r.get::<_, Option<String>>(4)?,
                        "sent": r.get::<_, bool>(5)?,
                    }))
                })?
                .collect::<rusqlite::Result<_>>()?;
            crate::cli::listing::cut_counted(&list, &mut rows, || {
                let (_, mut values) = filter.sql(view);
                values.insert(0, rusqlite::types::Value::Text(folder.clone()));
                Ok(crate::store::counts::capped(
                    &conn,
                    view.from,
                    &format!("t.folder = ? AND ({cond})"),
                    values,
                )?)
            })?;
            emit(ctx, &rows, || {
                rows.iter()
                    .map(|r| {
                        format!(
                            "{}  {}  {:.2}  {}",
                            r["number"].as_str().unwrap_or(""),
                            crate::cli::output::local_time(r["sold_at"].as_str().unwrap_or("")),
                            r["total_cents"].as_i64().unwrap_or(0) as f64 / 100.0,
                            if r["sent"].as_bool().unwrap_or(false) {
                                "sent"
                            } else {
                                "waiting"
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Command::Customer { command } => customer(ctx, command).await,
        Command::Param {
            command: ParamCommand::Set { folder, key, value },
        } => {
            require_folder(ctx, &folder)?;
            let till = till_number(ctx)?;
            let mut conn = ctx.open_store()?;
            let uuid =
                queue::record_parameter(&mut conn, &folder, &till, &key, &value).map_err(mapped)?;
            crate::worker::wake();
            emit(
                ctx,
                &serde_json::json!({"key": key, "value": value, "uuid": uuid}),
                || format!("parameter {key} set, queued for the server"),
            )
        }
        Command::Queue { command } => queue_command(ctx, command),
        Command::Row {
            folder,
            table,
            fields,
            key,
            delete,
        } => {
            require_folder(ctx, &folder)?;
            let till = till_number(ctx)?;
            let row = parse_fields(&fields)?;
            let mut conn = ctx.open_store()?;
            let uuid = queue::record_row(&mut conn, &folder, &till, &table, &key, &row, delete)
                .map_err(mapped)?;
            crate::worker::wake();
            emit(
                ctx,
                &serde_json::json!({"table": table, "uuid": uuid}),
                || {
                    format!(
                        "row of {table} {}, queued for the server",
                        if delete { "deleted" } else { "written" }
                    )
                },
            )
        }
    }
}

/// The items waiting for the server shown at most.
const QUEUE_SHOWN: usize = 50;

fn queue_command(ctx: &Context, command: QueueCommand) -> anyhow::Result<()> {
    match command {
        QueueCommand::Show { folder } => {
            require_folder(ctx, &folder)?;
            let conn = ctx.open_store()?;
            let (waiting, aside) = queue::show(&conn, &folder, QUEUE_SHOWN).map_err(mapped)?;
            let depth = crate::store::sync::queue_depth(&conn, &folder)?;
            let json = serde_json::json!({
                "waiting": depth.waiting,
                "items": waiting,
                "set_aside": aside,
            });
            emit(ctx, &json, || {
                let mut text = format!("{folder}: {} waiting for the server", depth.waiting);
                if depth.waiting as usize > waiting.len() {
                    text.push_str(&format!(" (the first {} below)", waiting.len()));
                }
                let mut rows = vec![
                    ["seq", "uuid", "kind", "queued", "attempts", "last error"]
                        .map(String::from)
                        .to_vec(),
                ];
                rows.extend(waiting.iter().map(|q| {
                    vec![
                        q.seq.to_string(),
                        q.uuid.clone(),
                        q.kind.clone(),
                        crate::cli::output::local_time(&q.created_at),
                        q.attempts.to_string(),
                        q.last_error.clone().unwrap_or_default(),
                    ]
                }));
                if !waiting.is_empty() {
                    text.push('\n');
                    text.push_str(&crate::cli::output::table(&rows));
                }
                text.push_str(&format!("\n{} set aside", aside.len()));
                if !aside.is_empty() {
                    let mut rows = vec![
                        ["seq", "uuid", "kind", "queued", "set aside", "by", "reason"]
                            .map(String::from)
                            .to_vec(),
                    ];
                    rows.extend(aside.iter().filter_map(|q| {
                        let a = q.set_aside.as_ref()?;
                        Some(vec![
                            q.seq.to_string(),
                            q.uuid.clone(),
                            q.kind.clone(),
                            crate::cli::output::local_time(&q.created_at),
                            crate::cli::output::local_time(&a.at),
                            a.by.clone(),
                            a.reason.clone(),
                        ])
                    }));
                    text.push_str(" (put one back with backroom till queue put-back)\n");
                    text.push_str(&crate::cli::output::table(&rows));
                }
                text
            })
        }
        QueueCommand::SetAside {
            folder,
            uuid,
            reason,
        } => {
            require_folder(ctx, &folder)?;
            if reason.trim().is_empty() {
                return Err(Failure::usage("--reason: say why the item is set aside").into());
            }
            let mut conn = ctx.open_store()?;
            let done = queue::set_aside(&mut conn, &folder, &uuid, &ctx.operator, reason.trim())
                .map_err(mapped)?;
            if !done {
                return Err(Failure::not_found(format!(
                    "{folder} has no item {uuid} waiting for the server (see backroom till queue show {folder})"
                ))
                .into());
            }
            crate::worker::wake();
            emit(
                ctx,
                &serde_json::json!({"folder": folder, "uuid": uuid, "set_aside": true}),
                || {
                    format!(
                        "item {uuid} set aside: the items after it go to the server with the next push; it is kept here until put back"
                    )
                },
            )
        }
        QueueCommand::PutBack { folder, uuid } => {
            require_folder(ctx, &folder)?;
            let mut conn = ctx.open_store()?;
            if !queue::put_back(&mut conn, &folder, &uuid).map_err(mapped)? {
                return Err(Failure::not_found(format!(
                    "{folder} has no item {uuid} set aside (see backroom till queue show {folder})"
                ))
                .into());
            }
            crate::worker::wake();
            emit(
                ctx,
                &serde_json::json!({"folder": folder, "uuid": uuid, "set_aside": false}),
                || {
                    format!(
                        "item {uuid} is back in its place in the queue: the next push sends it again"
                    )
                },
            )
        }
    }
}

async fn customer(ctx: &Context, command: CustomerCommand) -> anyhow::Result<()> {
    let table = ctx.config.till.customers_table.clone();
    match command {
        CustomerCommand::Create { folder, fields } => {
            let f = crate::worker::sync::load_folder(ctx, &folder).map_err(mapped)?;
            let me = Identity::from_config(&ctx.config.till).map_err(mapped)?;
            let fields = parse_fields(&fields)?;
            let created =
                crate::sync::till_customers::create_from_till(&ctx.db_path, &f, &me, &fields)
                    .await
                    .map_err(mapped)?;
            emit(ctx, &created, || {
                format!(
                    "customer {} created on the server from the model",
                    created.code
                )
            })
        }
        CustomerCommand::Update {
            folder,
            code,
            fields,
        } => {
            require_folder(ctx, &folder)?;
            let till = till_number(ctx)?;
            let fields = parse_fields(&fields)?;
            let mut conn = ctx.open_store()?;
            let uuid =
                queue::record_customer_update(&mut conn, &folder, &till, &table, &code, &fields)
                    .map_err(mapped)?;
            crate::worker::wake();
            emit(
                ctx,
                &serde_json::json!({"code": code, "uuid": uuid}),
                || format!("customer {code} changed here, queued for the server"),
            )
        }
        CustomerCommand::Abandon { folder, code } => {
            require_folder(ctx, &folder)?;
            let till = till_number(ctx)?;
            let mut conn = ctx.open_store()?;
            let uuid = queue::record_customer_abandon(&mut conn, &folder, &till, &table, &code)
                .map_err(mapped)?;
            crate::worker::wake();
            emit(
                ctx,
                &serde_json::json!({"code": code, "uuid": uuid}),
                || {
                    format!(
                        "creation of customer {code} abandoned; its deletion is queued for the server"
                    )
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[derive(clap::Parser)]
    struct Till {
        #[command(subcommand)]
        command: super::Command,
    }

    fn undocumented(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id != "help" && id != "version" && arg.get_help().is_none() {
                out.push(format!("{path} <{id}>"));
            }
        }
        for sub in cmd.get_subcommands() {
            undocumented(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_till_argument_has_help_text() {
        let mut missing = Vec::new();
        undocumented(&Till::command(), "till", &mut missing);
        assert!(missing.is_empty(), "arguments without help: {missing:?}");
    }
}
