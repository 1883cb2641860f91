//! ironbind-tests
