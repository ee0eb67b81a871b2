//! Private files of the contacts area: see [`crate::private_files`].

pub use crate::private_files::*;
