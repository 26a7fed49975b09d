//! Whether two requests of one organisation are likely the same application asked for twice.
//!
//! A reviewer deciding on a request sees the organisation's other requests and registered
//! applications; one with the same application name, or sharing a redirect URI (where Entra would
//! send the same sign-in), is flagged. Neither is an error: an organisation may run two copies of
//! a product, and a redirect URI may move from a retired registration to its replacement. It is
//! something to ask about before a second registration is made.

use crate::RegistrationRequest;

/// Why another request looks like the same application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Likeness {
    /// The same application name (letter case and surrounding spaces aside).
    SameName,
    /// This redirect URI is in both (exactly: Entra matches redirect URIs as registered).
    SameRedirectUri(String),
}

impl Likeness {
    /// A sentence for the reviewer.
    pub fn text(&self) -> String {
        match self {
            Likeness::SameName => "the same application name".to_string(),
            Likeness::SameRedirectUri(uri) => format!("the same redirect URI, {uri}"),
        }
    }
}

/// What makes `other` look like the same application as `this`: nothing when it does not.
pub fn likeness(this: &RegistrationRequest, other: &RegistrationRequest) -> Vec<Likeness> {
    let mut out = Vec::new();
    let name = this.application.name.trim();
    if !name.is_empty() && name.to_lowercase() == other.application.name.trim().to_lowercase() {
        out.push(Likeness::SameName);
    }
    for uri in &this.redirect_uris {
        if !uri.uri.is_empty()
            && other
                .redirect_uris
                .iter()
                .any(|theirs| theirs.uri == uri.uri)
            && !out.contains(&Likeness::SameRedirectUri(uri.uri.clone()))
        {
            out.push(Likeness::SameRedirectUri(uri.uri.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str, uris: &[&str]) -> RegistrationRequest {
        let mut request =
            RegistrationRequest::from_json(include_str!("../tests/data/delegated_request.json"))
                .unwrap();
        request.application.name = name.into();
        let template = request.redirect_uris[0].clone();
        request.redirect_uris = uris
            .iter()
            .map(|uri| crate::RedirectUri {
                uri: (*uri).to_string(),
                ..template.clone()
            })
            .collect();
        request
    }

    #[test]
    fn the_same_name_in_any_case_is_likely_the_same_application() {
        let this = request("Ward Mail Connector", &["https://a.nhs.uk/cb"]);
        let other = request(" ward mail CONNECTOR ", &["https://b.nhs.uk/cb"]);
        assert_eq!(likeness(&this, &other), vec![Likeness::SameName]);
        assert_eq!(
            likeness(&this, &request("Ward Mail Connector 2", &[])),
            vec![]
        );
    }

    #[test]
    fn a_shared_redirect_uri_is_named_once_and_compared_exactly() {
        let this = request(
            "One",
            &[
                "https://a.nhs.uk/cb",
                "https://a.nhs.uk/cb",
                "https://c.nhs.uk/x",
            ],
        );
        let other = request("Two", &["https://c.nhs.uk/x", "https://a.nhs.uk/cb"]);
        assert_eq!(
            likeness(&this, &other),
            vec![
                Likeness::SameRedirectUri("https://a.nhs.uk/cb".into()),
                Likeness::SameRedirectUri("https://c.nhs.uk/x".into()),
            ]
        );
        assert_eq!(
            likeness(&this, &request("Two", &["https://a.nhs.uk/CB"])),
            vec![]
        );
        assert_eq!(
            Likeness::SameRedirectUri("https://a.nhs.uk/cb".into()).text(),
            "the same redirect URI, https://a.nhs.uk/cb"
        );
    }
}
