//! ironbind-benches
