//! The form's reactive state, shared by its sections through context.

use std::collections::HashSet;

use leptos::prelude::*;
use registration::{CertificateSummary, Finding, RegistrationDraft, Severity, ValidationReport};
use time::OffsetDateTime;

/// The draft being edited, the findings to show, and what the person has touched.
#[derive(Clone, Copy)]
pub struct FormState {
    /// The form's content as typed so far.
    pub draft: RwSignal<RegistrationDraft>,
    /// The findings the page shows now.
    pub shown: Memo<Vec<Finding>>,
    /// Field paths the person has typed in (their findings show as they type; shown while
    /// typing rather than on leaving the field, so nothing moves under a click).
    pub touched: RwSignal<HashSet<String>>,
    /// True once anything was edited on this page (until then the server's report is shown).
    pub dirty: RwSignal<bool>,
    /// True once the WASM has hydrated the page (enables browser-only controls).
    pub hydrated: RwSignal<bool>,
    /// True when the page shows the result of Check or Submit (every finding is shown).
    pub checked: bool,
    /// The instant the rules judge by (the server's clock when the page was made).
    pub now: OffsetDateTime,
    /// The kept certificates' details: the server's until the form is edited, then the live ones.
    pub certificates: Memo<Vec<CertificateSummary>>,
    /// How much of the permission catalogue the browser has.
    pub catalogue: RwSignal<CatalogueHeld>,
}

/// How much of the permission catalogue the browser has: the page's part at first; the whole
/// once the picker is used (fetched once, then cached by the browser for good).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    not(feature = "hydrate"),
    expect(dead_code, reason = "only the browser fetches the catalogue")
)]
pub enum CatalogueHeld {
    /// The entries the page showed when it was made (on the server: the whole, embedded).
    PagePart,
    /// The whole is on its way.
    Fetching,
    /// The whole.
    Whole,
    /// The fetch failed (offline, or the desk was upgraded under the page); asked again on the
    /// next search.
    Failed,
}

impl FormState {
    /// Builds the state: before any edit, the server's findings; after, the live ones
    /// (all of them once checked, otherwise only those of touched fields).
    pub fn new(
        draft: RegistrationDraft,
        server_report: Option<ValidationReport>,
        server_certificates: Vec<CertificateSummary>,
        now: OffsetDateTime,
        live: impl Fn(&RegistrationDraft, OffsetDateTime) -> ValidationReport + Send + Sync + 'static,
    ) -> FormState {
        let checked = server_report.is_some();
        let draft = RwSignal::new(draft);
        let catalogue = RwSignal::new(CatalogueHeld::PagePart);
        // Checked again when the whole catalogue arrives (the rules read it where it is kept).
        let live = Memo::new(move |_| {
            catalogue.track();
            draft.with(|d| live(d, now))
        });
        let touched = RwSignal::new(HashSet::new());
        let dirty = RwSignal::new(false);
        let shown = Memo::new(move |_| {
            if !dirty.get() {
                return server_report
                    .as_ref()
                    .map(|r| r.findings.clone())
                    .unwrap_or_default();
            }
            let findings = live.with(|r| r.findings.clone());
            if checked {
                findings
            } else {
                touched.with(|t| {
                    findings
                        .into_iter()
                        .filter(|f| t.contains(&f.path))
                        .collect()
                })
            }
        });
        let certificates = Memo::new(move |_| {
            if dirty.get() {
                live.with(|r| r.certificates.clone())
            } else {
                server_certificates.clone()
            }
        });
        FormState {
            catalogue,
            certificates,
            draft,
            shown,
            touched,
            dirty,
            hydrated: RwSignal::new(false),
            checked,
            now,
        }
    }

    /// The instant the rules judge by.
    #[cfg_attr(
        not(feature = "hydrate"),
        expect(dead_code, reason = "only the browser's certificate preview asks")
    )]
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// Fetches the whole permission catalogue, unless the browser has it or is fetching it (the
    /// server has it embedded: nothing to do there).
    pub fn want_whole_catalogue(&self) {
        #[cfg(feature = "hydrate")]
        if matches!(
            self.catalogue.get_untracked(),
            CatalogueHeld::PagePart | CatalogueHeld::Failed
        ) {
            let held = self.catalogue;
            held.set(CatalogueHeld::Fetching);
            leptos::task::spawn_local(async move {
                held.set(match super::permissions::fetch_whole_catalogue().await {
                    Ok(copy) => {
                        copy.install();
                        CatalogueHeld::Whole
                    }
                    Err(()) => CatalogueHeld::Failed,
                });
            });
        }
    }

    /// Applies an edit to the draft.
    pub fn edit(&self, change: impl FnOnce(&mut RegistrationDraft)) {
        self.draft.update(change);
        self.dirty.set(true);
    }

    /// Marks a field as typed in.
    pub fn touch(&self, path: &str) {
        if !self.touched.with_untracked(|t| t.contains(path)) {
            self.touched.update(|t| {
                t.insert(path.to_string());
            });
        }
        self.dirty.set(true);
    }

    /// The shown findings at `path` with this severity (reactive).
    pub fn at(&self, path: &str, severity: Severity) -> Vec<Finding> {
        self.shown.with(|all| {
            all.iter()
                .filter(|f| f.path == path && f.severity == severity)
                .cloned()
                .collect()
        })
    }

    /// True when an error is shown at `path` (reactive).
    pub fn has_error(&self, path: &str) -> bool {
        self.shown.with(|all| {
            all.iter()
                .any(|f| f.path == path && f.severity == Severity::Error)
        })
    }
}

/// The id of the element a finding's path belongs to (the error summary links to it).
pub fn field_id(path: &str) -> String {
    match path {
        "access_type" => "access-type-delegated".to_string(),
        "certificates" => "certificate".to_string(),
        _ => path
            .chars()
            .filter_map(|c| match c {
                '_' | '.' | '[' => Some('-'),
                ']' => None,
                c => Some(c),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::field_id;

    #[test]
    fn field_ids_follow_the_paths() {
        assert_eq!(field_id("ods_code"), "ods-code");
        assert_eq!(field_id("application.name"), "application-name");
        assert_eq!(field_id("redirect_uris[2].uri"), "redirect-uris-2-uri");
        assert_eq!(field_id("mailboxes[0]"), "mailboxes-0");
        assert_eq!(
            field_id("client_secret.lifetime_months"),
            "client-secret-lifetime-months"
        );
        assert_eq!(field_id("access_type"), "access-type-delegated");
        assert_eq!(field_id("certificates"), "certificate");
    }
}
