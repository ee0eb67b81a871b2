//! The outside world: print providers, FTP, database servers, HTTP.
