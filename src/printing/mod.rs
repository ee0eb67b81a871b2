//! Printing: printers, triggers, events, documents, print jobs (seeds 000/001).
