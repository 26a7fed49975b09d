//! The rules, one module an area. Each area owns its finding codes and raises them itself.

pub mod certificate;
pub mod cross_field;
pub mod mailbox;
pub mod ods;
pub mod permission;
pub mod redirect_uri;
mod text;
pub mod token_endpoint;
