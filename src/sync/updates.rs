//! updates (being written).
