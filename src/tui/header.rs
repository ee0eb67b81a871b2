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

    pub fn draw(&self, frame: &mut Frame<'_>, area: Rect, ctx: &Context, theme: &Theme) {
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
        spans.extend([
            Span::styled("│ ", base),
            Span::styled(self.host.clone(), base),
            sep.clone(),
            Span::styled(
                s::operator(ctx.personal, &ctx.operator, &ctx.role.to_string()),
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
        spans.push(Span::styled(
            format!("{}: {}", s::WORKER, self.worker_text()),
            worker_style,
        ));
        if let Some(q) = self.queue {
            spans.push(sep.clone());
            spans.push(Span::styled(s::queue(q.print_jobs, q.till_queue), base));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
    }
}
