//! The header: store, host, operator and role, read-only badge, worker status and queue depth.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::context::Context;
use crate::store::views::QueueDepth;
use crate::worker::WorkerStatus;

use super::strings::header as s;
use super::theme::{Slot, Theme};

/// How many steps shorter [`Header::draw`] can make the header.
const COMPACT: u8 = 4;

#[derive(Debug, Default)]
pub struct Header {
    pub host: String,
    /// `None` until the worker (or the lease) says.
    pub worker: Option<WorkerStatus>,
    pub queue: Option<QueueDepth>,
    /// No worker runs in this process (started read-only): the lease tells who runs it.
    pub reads_lease: bool,
}

impl Header {
    pub fn new(reads_lease: bool) -> Header {
        Header {
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            worker: None,
            queue: None,
            reads_lease,
        }
    }

    pub fn worker_text(&self) -> String {
        match &self.worker {
            Some(WorkerStatus::NotRunning) if self.reads_lease => {
                s::WORKER_OFF_READ_ONLY.to_string()
            }
            Some(w) => crate::worker::status_text(w),
            None => s::WORKER_STARTING.to_string(),
        }
    }

    /// Draws the header on one line. As the terminal narrows it drops, one after the other, the
    /// personal mode's name, the host, the queue's label and the worker's label, so that what
    /// the worker does and how much waits stay in sight at 80 columns (the queue was cut to
    /// `queue: 2 pri`); what still does not fit is cut at the right.
    pub fn draw(&self, frame: &mut Frame<'_>, area: Rect, ctx: &Context, theme: &Theme) {
        let line = (0..=COMPACT)
            .map(|compact| self.line(ctx, theme, compact))
            .find(|line| line.width() <= usize::from(area.width))
            .unwrap_or_else(|| self.line(ctx, theme, COMPACT));
        let base = theme.style(Slot::HeaderBase);
        frame.render_widget(Paragraph::new(line).style(base), area);
    }

    /// The header's line, `compact` steps shorter than in full (see [`Header::draw`]).
    fn line(&self, ctx: &Context, theme: &Theme, compact: u8) -> Line<'static> {
        let base = theme.style(Slot::HeaderBase);
        let sep = Span::styled(" │ ", base);
        let mut spans = vec![Span::styled(
            format!(" {} ", ctx.config.store.name),
            theme.style(Slot::HeaderStore),
        )];
        // The badge goes first after the store name: a long header is cut at the right.
        if ctx.read_only {
            spans.push(Span::styled(s::READ_ONLY, theme.style(Slot::HeaderBadge)));
            spans.push(Span::styled(" ", base));
        }
        spans.push(Span::styled("│ ", base));
        if compact < 2 {
            spans.extend([Span::styled(self.host.clone(), base), sep.clone()]);
        }
        let personal = ctx.personal && compact < 1;
        spans.extend([
            Span::styled(
                s::operator(personal, &ctx.operator, &ctx.role.to_string()),
                base,
            ),
            sep.clone(),
        ]);
        let up = matches!(
            self.worker,
            Some(WorkerStatus::RunningHere | WorkerStatus::RunningElsewhere { .. })
        );
        let worker_style = theme.style(if up {
            Slot::HeaderWorkerUp
        } else {
            Slot::HeaderWorkerDown
        });
        let worker = if compact < 4 {
            format!("{}: {}", s::WORKER, self.worker_text())
        } else {
            self.worker_text()
        };
        spans.push(Span::styled(worker, worker_style));
        if let Some(q) = self.queue {
            spans.push(sep);
            spans.push(Span::styled(
                s::queue(q.print_jobs, q.till_queue, compact < 3),
                base,
            ));
        }
        Line::from(spans)
    }
}
