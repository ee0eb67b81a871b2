//! Till synchronisation: change capture, export/import batches, the till synchroniser, updates.
