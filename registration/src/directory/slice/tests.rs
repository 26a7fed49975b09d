use super::*;
use crate::directory::{Directory, MailboxKind, OrganisationStatus};
use crate::rules::ods::tests::full_directory;
use crate::{AccessType, EmbeddedDirectory, Finding, RegistrationRequest};

fn index(directory: &EmbeddedDirectory) -> SliceIndex {
    SliceIndex::new(directory, directory.organisations(), directory.mailboxes())
}

/// The embedded data, the tests' extra organisations, and mailboxes that exercise every way a
/// mailbox can be an organisation's: a site the directory holds (RX1RA), a site only the coding
/// frame names (RX1ZZ), a closed trust's (its successor's), a branch surgery's, and others'.
fn directory() -> EmbeddedDirectory {
    let mut directory = full_directory().clone();
    let closed = directory
        .organisations()
        .find(|org| org.status == OrganisationStatus::Closed && !org.successors.is_empty())
        .expect("a closed organisation with a successor")
        .clone();
    let mut extra = vec![
        ("site.known.rx1ra@nhs.net", "RX1RA", MailboxKind::Shared),
        ("site.unknown.rx1zz@nhs.net", "RX1ZZ", MailboxKind::Person),
        ("branch.k81003001@nhs.net", "K81003001", MailboxKind::Shared),
        ("practice.k81003@nhs.net", "K81003", MailboxKind::Group),
    ];
    let closed_address = format!("old.trust.{}@nhs.net", closed.ods_code.to_lowercase());
    extra.push((
        closed_address.as_str(),
        closed.ods_code.as_str(),
        MailboxKind::Shared,
    ));
    for (address, ods_code, kind) in extra {
        directory.insert_mailbox(MailboxEntry {
            address: address.to_string(),
            ods_code: ods_code.to_string(),
            kind,
        });
    }
    directory
}

fn request(ods_code: &str, mailboxes: Vec<String>, access_type: AccessType) -> RegistrationRequest {
    let mut request =
        RegistrationRequest::from_json(include_str!("../../../tests/data/delegated_request.json"))
            .unwrap();
    request.ods_code = ods_code.into();
    request.mailboxes = mailboxes;
    request.access_type = access_type;
    request.access_policy_group = None;
    request
}

fn findings(request: &RegistrationRequest, directory: Directory<'_>) -> Vec<Finding> {
    let now = time::macros::datetime!(2026-06-01 12:00 UTC);
    crate::validate(request, directory, now).findings
}

#[test]
fn a_slice_holds_exactly_the_mailboxes_that_belong_to_the_organisation() {
    let directory = directory();
    let index = index(&directory);
    let mut slices_with_mailboxes = 0;
    for requester in directory.organisations() {
        let slice = index.slice_for(&requester.ods_code, &directory);
        for entry in directory.mailboxes() {
            let owner = directory.organisation(&entry.ods_code);
            let belongs = belongs_to(&entry.ods_code, owner.as_ref(), requester, &directory);
            assert_eq!(
                slice.holds_mailbox(&entry.address),
                belongs,
                "{} for {}",
                entry.address,
                requester.ods_code
            );
        }
        if !slice.mailboxes().is_empty() {
            slices_with_mailboxes += 1;
        }
    }
    assert!(slices_with_mailboxes >= 8, "{slices_with_mailboxes}");
}

#[test]
fn the_rules_answer_through_a_slice_as_through_the_whole_directory() {
    let directory = directory();
    let index = index(&directory);
    for requester in directory.organisations() {
        let slice = index.slice_for(&requester.ods_code, &directory);
        let own: Vec<String> = slice
            .mailboxes()
            .iter()
            .map(|m| m.address.clone())
            .collect();
        for access_type in [AccessType::Delegated, AccessType::Application] {
            let request = request(&requester.ods_code, own.clone(), access_type);
            assert_eq!(
                findings(&request, Directory::new(&slice)),
                findings(&request, Directory::new(&directory)),
                "{} {access_type:?} with {own:?}",
                requester.ods_code
            );
        }
        // Its groups as the access policy group, too.
        for group in slice
            .mailboxes()
            .iter()
            .filter(|m| m.kind == MailboxKind::Group)
        {
            let mut request = request(&requester.ods_code, Vec::new(), AccessType::Application);
            request.access_policy_group = Some(group.address.clone());
            assert_eq!(
                findings(&request, Directory::new(&slice)),
                findings(&request, Directory::new(&directory)),
                "{} with group {}",
                requester.ods_code,
                group.address
            );
        }
    }
}

#[test]
fn a_slice_never_holds_another_organisations_mailbox() {
    let directory = directory();
    let slice = index(&directory).slice_for("rx1", &directory);
    let addresses: Vec<&str> = slice
        .mailboxes()
        .iter()
        .map(|m| m.address.as_str())
        .collect();
    assert!(
        addresses.contains(&"ward7.referrals@nhs.net"),
        "{addresses:?}"
    );
    assert!(
        addresses.contains(&"site.known.rx1ra@nhs.net"),
        "{addresses:?}"
    );
    assert!(
        addresses.contains(&"site.unknown.rx1zz@nhs.net"),
        "{addresses:?}"
    );
    assert!(
        slice
            .mailboxes()
            .iter()
            .all(|m| m.ods_code.starts_with("RX1")),
        "{addresses:?}"
    );
    assert!(!slice.holds_mailbox("demo.outpatients.rj1@nhs.net"));
    // Looked up as the directory does: any letter case.
    assert!(slice.holds_mailbox("Ward7.Referrals@NHS.net"));
    assert!(slice.organisation("rx1").is_some());
}

#[test]
fn a_slice_travels_as_json_and_is_sorted_when_read() {
    let directory = directory();
    let slice = index(&directory).slice_for("RX1", &directory);
    let mut value = serde_json::to_value(&slice).unwrap();
    value["mailboxes"].as_array_mut().unwrap().reverse();
    let read: DirectorySlice = serde_json::from_value(value).unwrap();
    assert_eq!(read, slice);
    assert!(read.holds_mailbox("ward7.referrals@nhs.net"));
}

#[test]
fn an_unknown_requester_gets_no_mailboxes() {
    let directory = directory();
    let slice = index(&directory).slice_for("ZZZ", &directory);
    assert!(slice.mailboxes().is_empty());
    assert!(slice.organisations().is_empty());
}

fn draft(mailboxes: &[&str], group: &str) -> RegistrationDraft {
    let mut draft = RegistrationDraft::new_form();
    draft.ods_code = "RX1".into();
    draft.mailboxes = mailboxes.iter().map(ToString::to_string).collect();
    draft.access_policy_group = group.into();
    draft
}

fn codes_at(report: &ValidationReport, path: &str) -> Vec<&'static str> {
    report
        .findings
        .iter()
        .filter(|finding| finding.path == path)
        .map(|finding| finding.code.code())
        .collect()
}

fn now() -> time::OffsetDateTime {
    time::macros::datetime!(2026-06-01 12:00 UTC)
}

const TENANT: &str = crate::implementation::NHSMAIL_TENANT_ID;

#[test]
fn an_imported_mailbox_of_the_organisation_is_known_in_the_browser_as_on_the_server() {
    let mut directory = directory();
    directory.insert_mailbox(MailboxEntry {
        address: "imported.ward@nhs.net".into(),
        ods_code: "RX1".into(),
        kind: MailboxKind::Shared,
    });
    let slice = index(&directory).slice_for("RX1", &directory);
    let draft = draft(&["imported.ward@nhs.net"], "");
    let live = slice.validate_draft(&draft, TENANT, now(), None);
    let server = validate_draft(&draft, Directory::new(&directory), now());
    assert_eq!(codes_at(&live, "mailboxes[0]"), Vec::<&str>::new());
    assert_eq!(codes_at(&server, "mailboxes[0]"), Vec::<&str>::new());
    // Through the embedded data alone (what the browser used before), it was unknown.
    let embedded = validate_draft(&draft, Directory::new(EmbeddedDirectory::get()), now());
    assert_eq!(codes_at(&embedded, "mailboxes[0]"), vec!["mailbox.unknown"]);
}

#[test]
fn another_organisations_mailbox_is_left_to_the_server_and_its_answer_kept_while_it_stays() {
    let directory = directory();
    let slice = index(&directory).slice_for("RX1", &directory);
    let other = "demo.outpatients.rj1@nhs.net";
    let unknown = "nobody.here@nhs.net";
    let checked = draft(&[other, unknown], "demo.scope.rj1@nhs.net");
    let server = validate_draft(&checked, Directory::new(&directory), now());
    assert_eq!(
        codes_at(&server, "mailboxes[0]"),
        vec!["mailbox.other_organisation"]
    );
    assert_eq!(codes_at(&server, "mailboxes[1]"), vec!["mailbox.unknown"]);
    assert_eq!(
        codes_at(&server, "access_policy_group"),
        vec!["access_policy_group.other_organisation"]
    );

    // Before any Check: the browser says nothing it cannot know.
    let live = slice.validate_draft(&checked, TENANT, now(), None);
    assert_eq!(codes_at(&live, "mailboxes[0]"), Vec::<&str>::new());
    assert_eq!(codes_at(&live, "mailboxes[1]"), Vec::<&str>::new());
    assert_eq!(codes_at(&live, "access_policy_group"), Vec::<&str>::new());

    // After a Check, the same form gets the server's answer…
    let live = slice.validate_draft(&checked, TENANT, now(), Some((&checked, &server)));
    assert_eq!(live.findings, server.findings);
    assert!(!live.valid);

    // …where the address has moved (a row added above it), and not once it is changed.
    let edited = draft(&["", other, "ward7.referrals@nhs.net"], "");
    let live = slice.validate_draft(&edited, TENANT, now(), Some((&checked, &server)));
    assert_eq!(
        codes_at(&live, "mailboxes[1]"),
        vec!["mailbox.other_organisation"]
    );
    assert_eq!(codes_at(&live, "mailboxes[2]"), Vec::<&str>::new());
    assert_eq!(codes_at(&live, "access_policy_group"), Vec::<&str>::new());
}
