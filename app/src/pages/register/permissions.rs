//! The permission picker: the chosen permissions, and a search over the real catalogue
//! filtered by access type, showing admin consent and risk.

use leptos::prelude::*;
use registration::draft::fields::names::{self, PermissionPart};

use crate::components::{Header, Table};
use registration::catalogue::{CatalogueCopy, Permission, PermissionCatalogue, Resource};
use registration::rules::permission::{Risk, permission_risk};
use registration::{DraftPermission, PermissionType, RegistrationDraft};

use super::fields::{ActionButton, FieldMessages};
use super::state::{CatalogueHeld, FormState};

/// How many search results the picker lists.
const MAX_RESULTS: usize = 25;

fn resource_alias(resource: Resource) -> &'static str {
    match resource {
        Resource::Graph => "graph",
        Resource::Exchange => "exchange",
    }
}

fn resource_name(resource: Resource) -> &'static str {
    match resource {
        Resource::Graph => "Microsoft Graph",
        Resource::Exchange => "Exchange Online",
    }
}

fn type_word(permission_type: PermissionType) -> &'static str {
    match permission_type {
        PermissionType::Delegated => "delegated",
        PermissionType::Application => "application",
    }
}

fn parse_type(text: &str) -> Option<PermissionType> {
    match text {
        "delegated" => Some(PermissionType::Delegated),
        "application" => Some(PermissionType::Application),
        _ => None,
    }
}

/// The catalogue entry a chosen row names, if any.
fn entry_for(row: &DraftPermission) -> Option<&'static Permission> {
    let resource = (!row.resource.trim().is_empty()).then_some(row.resource.as_str());
    PermissionCatalogue::get().resolve(resource, &row.value, parse_type(&row.permission_type)?)
}

/// Where the desk serves the whole catalogue: its name changes with its content, so a browser
/// keeps it for good.
pub fn catalogue_path() -> String {
    format!(
        "/catalogue/permissions.{}.json",
        registration::catalogue::VERSION
    )
}

/// The part of the catalogue the form page shows for `draft`: the entries its chosen
/// permissions name and the picker's matches for its search. The page carries it, so that the
/// browser's view of those rows, and its checks of them, are the server's.
pub fn catalogue_shown(draft: &RegistrationDraft) -> CatalogueCopy {
    let matches = search(&draft.permission_search, &draft.access_type);
    PermissionCatalogue::get().copy_of(
        draft
            .permissions
            .iter()
            .map(|row| row.value.as_str())
            .chain(matches.iter().map(|entry| entry.value())),
    )
}

/// Fetches the whole catalogue from the desk (the browser's cache answers after the first time).
#[cfg(feature = "hydrate")]
pub(super) async fn fetch_whole_catalogue() -> Result<CatalogueCopy, ()> {
    use wasm_bindgen_futures::JsFuture;
    use web_sys::wasm_bindgen::JsCast;

    let window = web_sys::window().ok_or(())?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&catalogue_path()))
        .await
        .map_err(|_| ())?
        .dyn_into()
        .map_err(|_| ())?;
    if !response.ok() {
        return Err(());
    }
    let text = JsFuture::from(response.text().map_err(|_| ())?)
        .await
        .map_err(|_| ())?
        .as_string()
        .ok_or(())?;
    CatalogueCopy::from_json(&text).map_err(|problem| {
        leptos::logging::warn!("{problem}");
    })
}

/// Catalogue entries matching `query`, for the chosen access type: exact and prefix matches first.
pub fn search(query: &str, access_type: &str) -> Vec<&'static Permission> {
    let query = query.trim().to_ascii_lowercase();
    if query.chars().count() < 2 {
        return Vec::new();
    }
    let wanted = parse_type(access_type);
    let mut matches: Vec<(u8, &'static Permission)> = PermissionCatalogue::get()
        .iter()
        .filter(|entry| wanted.is_none_or(|t| entry.permission_type() == t))
        .filter_map(|entry| {
            let value = entry.value().to_ascii_lowercase();
            let rank = if value == query {
                0
            } else if value.starts_with(&query) {
                1
            } else if value.contains(&query) {
                2
            } else if entry.display_name().to_ascii_lowercase().contains(&query) {
                3
            } else {
                return None;
            };
            Some((rank, entry))
        })
        .collect();
    matches.sort_by(|(a, x), (b, y)| {
        a.cmp(b)
            .then(x.value().cmp(y.value()))
            .then(resource_alias(x.resource()).cmp(resource_alias(y.resource())))
    });
    matches
        .into_iter()
        .take(MAX_RESULTS)
        .map(|(_, entry)| entry)
        .collect()
}

/// The columns of both permission tables (chosen and matching).
/// The columns of both permission tables (the chosen ones, and the search's matches).
fn permission_headers() -> Vec<Header> {
    vec![
        Header::shown("Permission"),
        Header::shown("API"),
        Header::shown("Type"),
        Header::hidden("Consent and risk"),
        Header::hidden("Action"),
    ]
}

/// Tags for admin consent and risk.
#[component]
fn PermissionTags(entry: &'static Permission) -> AnyView {
    let consent = match entry.admin_consent_required() {
        Some(true) => {
            Some(view! { <strong class="nhsuk-tag nhsuk-tag--yellow">"Admin consent"</strong> })
        }
        _ => None,
    };
    let risk = (permission_risk(entry) == Risk::High)
        .then(|| view! { <strong class="nhsuk-tag nhsuk-tag--red">"High risk"</strong> });
    view! { {consent} " " {risk} }.into_any()
}

/// The Permissions section.
#[component]
pub fn Permissions() -> AnyView {
    let state = expect_context::<FormState>();
    let chosen = state.draft.with_untracked(|d| d.permissions.clone());
    let query = RwSignal::new(state.draft.with_untracked(|d| d.permission_search.clone()));
    let results = Memo::new(move |_| {
        state.catalogue.track();
        let access_type = state.draft.with(|d| d.access_type.clone());
        query.with(|q| search(q, &access_type))
    });
    // A chosen permission the page's part of the catalogue cannot resolve (typed elsewhere: an
    // imported or earlier draft) needs the whole, for the rules' "did you mean" hints.
    if chosen.iter().any(|row| entry_for(row).is_none()) {
        Effect::new(move |_| state.want_whole_catalogue());
    }
    let filter_note = move || match state.draft.with(|d| d.access_type.clone()).as_str() {
        "delegated" => "Showing delegated permissions, because the access type is delegated.",
        "application" => "Showing application permissions, because the access type is application.",
        _ => "Choose the access type to see only the permissions that fit it.",
    };

    view! {
        <section class="appreg-section" id="permissions" tabindex="-1">
            <h2 id="permissions-heading">"Permissions"</h2>
            <FieldMessages path="permissions" />
            {(!chosen.is_empty()).then(|| view! {
                <Table id="chosen-permissions" caption="Chosen permissions" caption_shown=true headers=permission_headers()>
                        {chosen.into_iter().enumerate().map(|(index, row)| {
                            let entry = entry_for(&row);
                            let api = entry.map(|e| resource_name(e.resource())).unwrap_or("Unknown");
                            view! {
                                <tr class="nhsuk-table__row" id=format!("permissions-{index}") tabindex="-1">
                                    <td class="nhsuk-table__cell">
                                        <input type="hidden" name=names::permission(index, PermissionPart::Resource) value=row.resource.clone() />
                                        <input type="hidden" name=names::permission(index, PermissionPart::Value) value=row.value.clone() />
                                        <input type="hidden" name=names::permission(index, PermissionPart::Type) value=row.permission_type.clone() />
                                        <code>{row.value.clone()}</code>
                                        {entry.map(|e| view! { <div class="nhsuk-body-s nhsuk-u-margin-bottom-0">{e.display_name()}</div> })}
                                        <FieldMessages path=format!("permissions[{index}]") />
                                    </td>
                                    <td class="nhsuk-table__cell">{api}</td>
                                    <td class="nhsuk-table__cell">{row.permission_type.clone()}</td>
                                    <td class="nhsuk-table__cell">{entry.map(|entry| view! { <PermissionTags entry /> })}</td>
                                    <td class="nhsuk-table__cell">
                                        <ActionButton action=format!("remove:permissions:{index}") secondary=true small=true>
                                            "Remove"<span class="nhsuk-u-visually-hidden">{format!(" {}", row.value)}</span>
                                        </ActionButton>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </Table>
            })}
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="permission-search">"Permissions"</label>
                <div class="nhsuk-hint" id="permission-search-hint">
                    "Search the Microsoft Graph and Exchange Online permissions by name, for example IMAP, Mail.Send or User.Read. "
                    {filter_note}
                </div>
                <div class="appreg-inline-check">
                    <input
                        class="nhsuk-input nhsuk-u-width-one-half"
                        id="permission-search"
                        name=names::PERMISSION_SEARCH
                        type="search"
                        autocomplete="off"
                        spellcheck="false"
                        aria-describedby="permission-search-hint"
                        aria-controls="permission-results"
                        value=query.get_untracked()
                        on:input=move |event| {
                            state.want_whole_catalogue();
                            query.set(event_target_value(&event));
                        }
                    />
                    <ActionButton action="search:permissions" secondary=true>"Search"</ActionButton>
                </div>
            </div>
            <div id="permission-results" aria-live="polite">
                {move || {
                    let results = results.get();
                    let searched = query.with(|q| q.trim().chars().count() >= 2);
                    match (searched, state.catalogue.get()) {
                        (true, CatalogueHeld::Fetching) => {
                            return Some(view! { <p>"Loading the permissions…"</p> }.into_any());
                        }
                        (true, CatalogueHeld::Failed) => {
                            return Some(view! {
                                <p class="nhsuk-error-message">
                                    "The permissions could not be loaded. Check your connection, then select Search."
                                </p>
                            }.into_any());
                        }
                        _ => {}
                    }
                    if results.is_empty() {
                        return searched.then(|| view! { <p>"No permission matches that search."</p> }.into_any());
                    }
                    Some(view! {
                        <Table caption="Matching permissions" caption_shown=true headers=permission_headers()>
                                {results.into_iter().map(|entry| {
                                    let action = format!("add:permissions:{}:{}:{}", resource_alias(entry.resource()), entry.value(), type_word(entry.permission_type()));
                                    view! {
                                        <tr class="nhsuk-table__row">
                                            <td class="nhsuk-table__cell"><code>{entry.value()}</code><div class="nhsuk-body-s nhsuk-u-margin-bottom-0">{entry.display_name()}</div></td>
                                            <td class="nhsuk-table__cell">{resource_name(entry.resource())}</td>
                                            <td class="nhsuk-table__cell">{type_word(entry.permission_type())}</td>
                                            <td class="nhsuk-table__cell"><PermissionTags entry /></td>
                                            <td class="nhsuk-table__cell">
                                                <ActionButton action=action secondary=true small=true>
                                                    "Add"<span class="nhsuk-u-visually-hidden">{format!(" {} ({}, {})", entry.value(), resource_name(entry.resource()), type_word(entry.permission_type()))}</span>
                                                </ActionButton>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </Table>
                    }.into_any())
                }}
            </div>
        </section>
    }
    .into_any()
}

/// True when the chosen permissions include app-only mailbox data (an access policy group is needed).
pub fn needs_access_policy_group(permissions: &[DraftPermission]) -> bool {
    permissions
        .iter()
        .filter_map(entry_for)
        .any(registration::rules::permission::needs_access_policy_group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_ranks_exact_and_prefix_matches_first_and_filters_by_access_type() {
        let found = search("mail.send", "application");
        assert_eq!(found[0].value(), "Mail.Send");
        assert!(
            found
                .iter()
                .all(|e| e.permission_type() == PermissionType::Application)
        );
        assert!(
            search("m", "").is_empty(),
            "one letter is too short to search"
        );
        assert!(
            search("imap", "delegated")
                .iter()
                .any(|e| e.value() == "IMAP.AccessAsUser.All")
        );
        assert!(
            search("imap", "application")
                .iter()
                .any(|e| e.value() == "IMAP.AccessAsApp")
        );
    }

    #[test]
    fn app_only_mail_permissions_need_an_access_policy_group() {
        let row = |value: &str, t: &str| DraftPermission {
            resource: String::new(),
            value: value.into(),
            permission_type: t.into(),
        };
        assert!(needs_access_policy_group(&[row(
            "Mail.Send",
            "application"
        )]));
        assert!(!needs_access_policy_group(&[
            row("Mail.Send", "delegated"),
            row("IMAP.AccessAsApp", "application")
        ]));
    }
}
