//! Every integration test of the server in one binary: one link instead of twenty on a 2-core
//! machine. Each module is one area, as each file was its own binary before.

mod api_support;
mod common;
mod log_capture;

mod accounts;
mod api_authorisation;
mod api_bodies;
mod api_curl_session;
mod api_decisions;
mod api_openapi;
mod approval;
mod assets;
mod checkpoints;
mod cli;
mod deletion;
mod durability;
mod exports;
mod findings_doc;
mod form;
mod group_commit;
mod hardening;
mod http;
mod implementation;
mod inventory;
mod log_audit;
mod migrations;
mod migrations_in_step;
mod nhsmail;
mod notify;
mod pages_accounts;
mod pages_admin;
mod pages_implementation;
mod pages_review;
mod queue_export;
mod queue_search;
mod records;
mod reminders;
mod renewal;
mod review;
mod reviewer_notices;
mod server_functions;
mod sessions;
mod several_desks;
mod signed_out_forms;
mod withdrawal;
