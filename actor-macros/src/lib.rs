//! Placeholder: the macros helper replaces this file.
