//! The permission catalogue: every Microsoft Graph and Exchange Online permission.
