//! Another writer for the benches that time how long a purge keeps the others out.

use std::path::Path;
use std::time::{Duration, Instant};

/// Another writer (opened as backroom opens the store, so waiting for a lock as the worker and
/// the CLI do) that commits every 5 ms and records its longest wait for the write lock and its
/// longest transaction, until stopped.
pub struct Probe {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<anyhow::Result<(Duration, Duration, usize)>>,
}

impl Probe {
    pub fn start(db: &Path) -> Probe {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = {
            let stop = std::sync::Arc::clone(&stop);
            let db = db.to_path_buf();
            std::thread::spawn(move || -> anyhow::Result<(Duration, Duration, usize)> {
                let other = backroom::store::open(&db)?;
                let (mut wait, mut whole, mut commits) = (Duration::ZERO, Duration::ZERO, 0);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let t = Instant::now();
                    other.execute_batch("BEGIN IMMEDIATE")?;
                    wait = wait.max(t.elapsed());
                    other.execute_batch(
                        "INSERT INTO settings (key, value) VALUES ('bench.probe', '1')
                           ON CONFLICT (key) DO UPDATE SET value = value + 1;
                         COMMIT;",
                    )?;
                    whole = whole.max(t.elapsed());
                    commits += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok((wait, whole, commits))
            })
        };
        Probe { stop, thread }
    }

    /// Longest wait, longest transaction, commits.
    pub fn stop(self) -> anyhow::Result<(Duration, Duration, usize)> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the writer panicked"))?
    }
}
