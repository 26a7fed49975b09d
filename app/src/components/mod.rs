//! Reusable parts of pages.

mod dates;
mod ods_code_check;
mod status;

pub use dates::{date_text, date_time_text, day_text};
pub use ods_code_check::OdsCodeCheck;
pub use status::{STATUSES, StatusTag, status_text};
