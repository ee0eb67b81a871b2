//! Queries of the printing area (owned by the printing work).
