//! ironbind-crds
