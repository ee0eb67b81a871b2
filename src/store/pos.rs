//! Queries of the pos area (owned by the pos work).
