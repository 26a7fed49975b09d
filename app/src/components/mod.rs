//! Reusable parts of pages.

mod ods_code_check;

pub use ods_code_check::OdsCodeCheck;
