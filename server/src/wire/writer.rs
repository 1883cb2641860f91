//! Response writer.
