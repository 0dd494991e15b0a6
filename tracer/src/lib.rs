//! The vatrace loader and CLI (being written).
