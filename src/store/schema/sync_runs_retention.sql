-- sync_runs_retention: the run log keeps 30 days (store::sync::purge_runs, hourly in the sync
-- loop); a till logs a run per push, a server one per scheduled process a minute, and the log
-- grew without end. The purge finds the old runs through this index.
CREATE INDEX sync_runs_started ON sync_runs (started_at);
