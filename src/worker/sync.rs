//! The sync part of the worker: its loop, its commands and its notifications.

use std::sync::Arc;

use super::Shared;

#[derive(Debug)]
pub enum Command {}

#[derive(Debug, Clone)]
pub enum Notification {}

/// The sync loop; runs until shutdown and works only while the lease is held.
pub async fn run(shared: Arc<Shared>) {
    while shared.idle(std::time::Duration::from_secs(5)).await {}
}

/// Handles a command from the UI (spawns its work; never blocks the dispatcher).
pub fn handle(_shared: Arc<Shared>, command: Command) {
    match command {}
}
