//! Print-shop contacts: states, invitations, import, backup, links (seed 004).
