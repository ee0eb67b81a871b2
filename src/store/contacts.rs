//! Queries of the contacts area (owned by the contacts work).
