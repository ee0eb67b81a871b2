-- search_merging: the trigram index merges its segments in bounded steps the worker takes
-- (store::jobs::tidy_search, 16 pages a second) instead of FTS5's automatic merging, which merged
-- 64 pages per level of the index inside whichever commit had written the 64th page since the
-- last merge: on a million jobs, one print job queued now and then held the write lock 70-120 ms.
-- A level that reaches 32 segments (no worker running) is still merged by FTS5 itself.
INSERT INTO print_jobs_search (print_jobs_search, rank) VALUES ('automerge', 0);
INSERT INTO print_jobs_search (print_jobs_search, rank) VALUES ('crisismerge', 32);
