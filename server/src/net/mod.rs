//! Network transports.
