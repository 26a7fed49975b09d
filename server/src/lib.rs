//! The appreg server: configuration, storage, the web layer and the commands.

#![forbid(unsafe_code)]

pub mod applications;
pub mod bench_data;
pub mod cli;
pub mod config;
pub mod deletion;
pub mod files;
pub mod identity;
pub mod inventory;
pub mod limits;
pub mod mail_queue;
pub mod notify;
pub mod random;
pub mod registrations;
pub mod reminders;
pub mod review;
pub mod reviewer_notices;
pub mod schedule;
pub mod secrets;
pub mod signing;
pub mod site;
pub mod store;
pub mod validation;
pub mod web;
