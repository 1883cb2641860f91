//! ironbind-operator
