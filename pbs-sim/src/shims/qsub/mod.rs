//! `qsub` (placeholder).
