//! Parsed view of a request.
