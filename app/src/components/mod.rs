//! Reusable parts of pages.

mod banner;
mod dates;
mod ods_code_check;
mod pagination;
mod status;
mod table;
mod textarea;
mod warnings;

pub use banner::SuccessBanner;
pub use dates::{date_text, date_time_text, day_text};
pub use ods_code_check::OdsCodeCheck;
pub use pagination::Pagination;
pub use status::StatusTag;
pub use table::{Header, Table, headers};
pub use textarea::textarea_text;
pub use warnings::SubmissionWarnings;
