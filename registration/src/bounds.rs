//! The request's field-level bounds: declared once, on the request's types, with `validator`'s
//! derive (`#[validate(length(max = …))]`, `#[validate(range(…))]` in `request.rs`, the numbers
//! in `limits.rs`), and asked here by the rules, which say what is wrong under their own finding
//! codes. Over a bound is one error on that field, and the excess of a list is not examined.
//!
//! A list's own bound is its length; its items are asked one at a time, only those examined, so
//! that a request with a million contacts costs no more than one with twenty.

use validator::Validate;

/// Whether `field` of `item` is over the bound its type declares.
pub fn over<T: Validate>(item: &T, field: &str) -> bool {
    item.validate()
        .err()
        .is_some_and(|errors| errors.field_errors().contains_key(field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::*;
    use crate::{ClientSecret, Contact, RegistrationRequest};

    fn request() -> RegistrationRequest {
        RegistrationRequest::from_json(include_str!("../tests/data/delegated_request.json"))
            .unwrap()
    }

    #[test]
    fn each_list_is_bounded_at_its_limit_and_not_one_below() {
        type Grow = fn(&mut RegistrationRequest, usize);
        let lists: [(&str, usize, Grow); 6] = [
            ("permissions", MAX_PERMISSIONS, |r, n| {
                r.permissions = vec![r.permissions[0].clone(); n];
            }),
            ("mailboxes", MAX_MAILBOXES, |r, n| {
                r.mailboxes = vec!["a@nhs.net".into(); n];
            }),
            ("redirect_uris", MAX_REDIRECT_URIS, |r, n| {
                r.redirect_uris = vec![r.redirect_uris[0].clone(); n];
            }),
            ("token_endpoint_uris", MAX_TOKEN_ENDPOINT_URIS, |r, n| {
                r.token_endpoint_uris = vec![String::new(); n];
            }),
            ("certificates", MAX_CERTIFICATES, |r, n| {
                r.certificates = vec![
                    crate::CertificateUpload {
                        file_name: "a.cer".into(),
                        content_base64: String::new()
                    };
                    n
                ];
            }),
            ("contacts", MAX_CONTACTS, |r, n| {
                r.contacts = vec![r.contacts[0].clone(); n];
            }),
        ];
        for (field, max, grow) in lists {
            let mut r = request();
            grow(&mut r, max);
            assert!(!over(&r, field), "{field} at {max}");
            grow(&mut r, max + 1);
            assert!(over(&r, field), "{field} at {}", max + 1);
        }
    }

    #[test]
    fn text_is_bounded_in_characters_not_bytes() {
        let mut contact = Contact {
            name: "é".repeat(MAX_NAME_CHARS),
            email: String::new(),
        };
        assert!(!over(&contact, "name"), "{} bytes", contact.name.len());
        contact.name.push('é');
        assert!(over(&contact, "name"));
        let mut r = request();
        r.application.description = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert!(over(&r.application, "description"));
        assert!(!over(&r.application, "name"));
    }

    #[test]
    fn a_client_secret_lives_from_one_to_twenty_four_months() {
        for (months, within) in [(0, false), (1, true), (24, true), (25, false), (-1, false)] {
            let secret = ClientSecret {
                lifetime_months: months,
            };
            assert_eq!(!over(&secret, "lifetime_months"), within, "{months}");
        }
    }
}
