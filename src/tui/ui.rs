//! Draws the whole screen: header, tabs, the active pane's notices and table, the bottom line, popups.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::action::{Action, Section};
use super::app::{App, Mode};
use super::columns;
use super::panes::Pane;
use super::panes::table::Table as PaneTable;
use super::strings::{panes as s, status};
use super::theme::{Slot, Theme};

/// Columns whose cells take their style from the theme's `[states]`.
const STATE_COLUMNS: &[&str] = &["state", "remote", "enabled", "severity"];

pub fn draw(frame: &mut Frame<'_>, app: &mut App) {
    let area = frame.area();
    // Notices wrap (they say what to do); at most a quarter of the screen.
    let notices = app
        .table()
        .notices
        .iter()
        .map(|n| (n.text.chars().count() + 1) / area.width.max(1) as usize + 1)
        .sum::<usize>()
        .min(area.height as usize / 4) as u16;
    let completions =
        u16::from(matches!(app.mode, Mode::Palette) && !app.palette.completions.is_empty());
    // A long message (a bad keymap file, an error with its causes) wraps over up to 3 lines.
    let message = app.status.text().map(|t| t.chars().count()).unwrap_or(0);
    let bottom_lines = match app.mode {
        Mode::Normal => (message / area.width.max(1) as usize + 1).clamp(1, 3) as u16,
        _ => 1,
    };
    let [header, tabs, notice_area, body, completion_area, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(notices),
        Constraint::Fill(1),
        Constraint::Length(completions),
        Constraint::Length(bottom_lines),
    ])
    .areas(area);
    app.header.draw(frame, header, &app.ctx, &app.theme);
    draw_tabs(frame, tabs, app);
    draw_notices(frame, notice_area, app.table(), &app.theme);
    let active = app.active;
    let theme = app.theme.clone();
    let rows = draw_table(frame, body, active, app.table_mut(), &theme);
    app.hits.rows = rows;
    draw_bottom(frame, completion_area, bottom, app);
    for popup in app.popups.iter_mut() {
        popup.draw(frame, &app.theme, &app.keymap);
    }
}

fn draw_tabs(frame: &mut Frame<'_>, area: Rect, app: &mut App) {
    let keys: Vec<String> = Pane::ALL
        .iter()
        .map(|pane| {
            app.keymap
                .key_for(Section::Global, Action::Show(*pane))
                .map(|k| k.to_string())
                .unwrap_or_default()
        })
        .collect();
    let full = |i: usize, pane: Pane| -> String {
        match keys[i].as_str() {
            "" => format!(" {} ", pane.title()),
            k => format!(" {k} {} ", pane.title()),
        }
    };
    // Narrow: the other tabs collapse to their keys, then the active one too.
    let short = |i: usize, pane: Pane| -> String {
        match keys[i].as_str() {
            "" => format!(" {} ", pane.title().chars().next().unwrap_or(' ')),
            k => format!(" {k} "),
        }
    };
    let total = |labels: &[String]| -> usize { labels.iter().map(|l| columns::cells(l) + 1).sum() };
    let width = usize::from(area.width);
    let mut labels: Vec<String> = Pane::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| full(i, *p))
        .collect();
    if total(&labels) > width {
        labels = Pane::ALL
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if *p == app.active {
                    full(i, *p)
                } else {
                    short(i, *p)
                }
            })
            .collect();
    }
    if total(&labels) > width {
        labels = Pane::ALL
            .iter()
            .enumerate()
            .map(|(i, p)| short(i, *p))
            .collect();
    }
    let mut spans = Vec::new();
    let mut x = area.x;
    app.hits.tabs.clear();
    for (pane, label) in Pane::ALL.into_iter().zip(labels) {
        let width = columns::cells(&label) as u16;
        let style = if pane == app.active {
            app.theme.style(Slot::TabsActive)
        } else {
            app.theme.style(Slot::TabsInactive)
        };
        app.hits.tabs.push((Rect::new(x, area.y, width, 1), pane));
        x += width + 1;
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_notices(frame: &mut Frame<'_>, area: Rect, table: &PaneTable, theme: &Theme) {
    let lines: Vec<Line<'static>> = table
        .notices
        .iter()
        .map(|n| {
            let style = if n.warning {
                theme.style(Slot::ListNotice)
            } else {
                theme.style(Slot::ListEmpty)
            };
            Line::styled(format!(" {}", n.text), style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// Draws the pane's table; returns the area of its rows (for mouse clicks).
fn draw_table(
    frame: &mut Frame<'_>,
    area: Rect,
    pane: Pane,
    table: &mut PaneTable,
    theme: &Theme,
) -> Rect {
    let view = table.view;
    let sort = view.columns[table.query.sort].name;
    // The filter of the rows on screen; a newer one is said to be coming, never shown as current.
    let mut title = s::title(
        pane.title(),
        table.total,
        &table.shown_filter,
        sort,
        table.query.desc,
        table.marked.len(),
    );
    let inner_width = area.width.saturating_sub(2);
    let layout = columns::layout(
        view,
        &table.window.rows,
        inner_width,
        table.scroll,
        table.query.sort,
    );
    // `<` / `>` cannot scroll past the last column.
    table.scroll = layout.left.len();
    table.hidden_right = layout.right.len();
    if table.query.filter.text != table.shown_filter {
        title.push_str(s::FILTERING);
    }
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::PopupBorder))
        .title(Line::styled(
            format!(" {title} "),
            theme.style(Slot::PopupTitle),
        ));
    if layout.hidden() > 0 && !table.window.rows.is_empty() {
        let names =
            |ids: &[usize]| -> Vec<&str> { ids.iter().map(|i| view.columns[*i].name).collect() };
        // The full sentence when it fits beside the title, else the count and the keys.
        let room = usize::from(inner_width).saturating_sub(columns::cells(&title) + 4);
        let full = s::hidden_columns(&names(&layout.left), &names(&layout.right));
        let short = s::hidden_short(layout.left.len(), layout.right.len());
        let text = [full, short]
            .into_iter()
            .find(|t| columns::cells(t) + 2 <= room);
        if let Some(text) = text {
            block = block.title(
                Line::styled(format!(" {text} "), theme.style(Slot::ListEmpty)).right_aligned(),
            );
        }
    }
    if let Some(cut) = cut_cells(table, &layout) {
        block = block.title_bottom(Line::styled(cut, theme.style(Slot::ListEmpty)));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows_area = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };
    table.set_height(rows_area.height as usize);
    if let Some(e) = &table.error {
        let p = Paragraph::new(e.clone())
            .style(theme.style(Slot::StatusError))
            .wrap(Wrap { trim: false });
        frame.render_widget(p, inner);
        return rows_area;
    }
    if table.window.rows.is_empty() {
        let text = if !table.loaded {
            s::LOADING.to_string()
        } else if !table.query.filter.is_empty() {
            s::no_match(pane.title(), &table.query.filter.text)
        } else {
            pane.empty().to_string()
        };
        let p = Paragraph::new(format!(" {text}"))
            .style(theme.style(Slot::ListEmpty))
            .wrap(Wrap { trim: false });
        frame.render_widget(p, inner);
        return rows_area;
    }
    let header = Row::new(
        std::iter::once(Cell::from(" ")).chain(layout.shown.iter().map(|p| {
            Cell::from(columns::header(
                view,
                p.index,
                table.query.sort,
                table.query.desc,
            ))
        })),
    )
    .style(theme.style(Slot::ListHeader));
    let end = (table.offset + table.height).min(table.window.rows.len());
    let rows: Vec<Row<'static>> = table.window.rows[table.offset..end]
        .iter()
        .map(|r| {
            let marked = table.marked.contains(&r.id);
            let mark = Cell::from(if marked { "•" } else { " " });
            let cells = std::iter::once(mark).chain(layout.shown.iter().map(|p| {
                let text = r.cells.get(p.index).map(String::as_str).unwrap_or("");
                let name = view.columns[p.index].name;
                let style = if STATE_COLUMNS.contains(&name) {
                    theme.state(text).unwrap_or_default()
                } else {
                    Style::default()
                };
                Cell::from(Span::styled(
                    columns::cut(&columns::shown(text), usize::from(p.width)),
                    style,
                ))
            }));
            let style = if marked {
                theme.style(Slot::ListMarked)
            } else {
                theme.style(Slot::ListRow)
            };
            Row::new(cells).style(style)
        })
        .collect();
    let widths = std::iter::once(Constraint::Length(columns::MARK))
        .chain(layout.shown.iter().map(|p| Constraint::Length(p.width)));
    let widget = Table::new(rows, widths)
        .column_spacing(columns::SPACING)
        .header(header)
        .row_highlight_style(theme.style(Slot::ListSelected));
    let mut state =
        TableState::default().with_selected(Some(table.selected.saturating_sub(table.offset)));
    frame.render_stateful_widget(widget, inner, &mut state);
    rows_area
}

/// The selected row's cells that the table cuts or hides (`error: connection refused by ...`),
/// shown in full on the table's bottom border.
fn cut_cells(table: &PaneTable, layout: &columns::Layout) -> Option<String> {
    let row = table.selected_row()?;
    let parts: Vec<String> = table
        .view
        .columns
        .iter()
        .zip(&row.cells)
        .enumerate()
        .map(|(i, (c, text))| (i, c, columns::shown(text)))
        .filter(|(i, _, text)| {
            !text.is_empty()
                && layout
                    .width_of(*i)
                    .is_none_or(|w| columns::cells(text) > usize::from(w))
        })
        .map(|(_, c, text)| format!("{}: {text}", c.name))
        .collect();
    (!parts.is_empty()).then(|| format!(" {} ", parts.join(" · ")))
}

/// `? help  : command  / filter  q quit`, with the keys of the active keymap.
fn hints(app: &App) -> String {
    let parts: Vec<String> = status::HINTS
        .iter()
        .filter_map(|(action, label)| {
            let a = Section::Global.action(action)?;
            let key = app.keymap.key_for(Section::Global, a)?;
            Some(format!("{key} {label}"))
        })
        .collect();
    parts.join("  ")
}

fn draw_bottom(frame: &mut Frame<'_>, completion_area: Rect, area: Rect, app: &App) {
    match &app.mode {
        Mode::Normal => app.status.draw(frame, area, &app.theme, &hints(app)),
        Mode::Filter { input, .. } => draw_input(
            frame,
            area,
            status::FILTER_PROMPT,
            input.text(),
            input.cursor(),
            app,
        ),
        Mode::Palette => {
            let input = &app.palette.input;
            if completion_area.height > 0 {
                let spans: Vec<Span<'static>> = app
                    .palette
                    .completions
                    .iter()
                    .map(|c| {
                        let style = if c == input.text() {
                            app.theme.style(Slot::PopupFocus)
                        } else {
                            app.theme.style(Slot::PopupLabel)
                        };
                        Span::styled(format!(" {c} "), style)
                    })
                    .collect();
                frame.render_widget(Paragraph::new(Line::from(spans)), completion_area);
            }
            draw_input(
                frame,
                area,
                status::PALETTE_PROMPT,
                input.text(),
                input.cursor(),
                app,
            );
        }
    }
}

fn draw_input(
    frame: &mut Frame<'_>,
    area: Rect,
    prompt: &str,
    text: &str,
    cursor: usize,
    app: &App,
) {
    let mut spans = vec![
        Span::styled(prompt.to_string(), app.theme.style(Slot::PopupKey)),
        Span::raw(text.to_string()),
    ];
    // A bad filter is explained right after what was typed.
    if let Some(m) = app.status.message.as_ref().filter(|m| m.error) {
        spans.push(Span::styled(
            format!("   {}", m.text),
            app.theme.style(Slot::StatusError),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let x = area.x + (prompt.chars().count() + cursor) as u16;
    frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
}
