//! The one gate every front door passes: who is asking, what they may do, the audit log,
//! secrets masked in replies, and the socket protocol clients and the daemon speak.

pub mod audit;
pub mod identity;
pub mod mask;
pub mod operators;
pub mod policy;
pub mod protocol;

pub use identity::Identity;
pub use policy::{Access, Refused};
