//! Core engine tests (filled in below).
