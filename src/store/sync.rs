//! Queries of the sync area (owned by the sync work).
