//! Answer assembly.
