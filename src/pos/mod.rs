//! POS folders ("Dossier TPV"), sync tables and processes, connection tests (seeds 002/003).
