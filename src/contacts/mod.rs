//! Print-shop contacts: states, invitations, import, backup, links (seed 004).
//!
//! Every rule lives here, not in the front doors: the TUI, the CLI and the portal call these
//! functions and show their errors as they are.

pub mod backup;
pub mod delete;
pub mod email;
pub mod error;
pub mod export;
pub mod files;
pub mod import;
pub mod invite;
pub mod limits;
pub mod links;
pub mod mail;
pub mod model;
pub mod osc52;
pub mod portal;
pub mod private;
pub mod safe_name;
pub mod submit;
pub mod template;
pub mod terms;
pub mod token;
pub mod transitions;

pub use error::ContactError;
pub use model::{Contact, ContactState, JobState, ShopJob};
