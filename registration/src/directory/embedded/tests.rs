use super::*;
use crate::directory::MailboxKind;

fn count(directory: &EmbeddedDirectory, role: &str, status: Option<OrganisationStatus>) -> usize {
    directory
        .organisations()
        .filter(|o| o.role_id == role && status.is_none_or(|s| o.status == s))
        .count()
}

#[test]
fn counts_match_the_data_readme() {
    let d = EmbeddedDirectory::get();
    use OrganisationStatus::{Active, Closed};
    assert_eq!(count(d, roles::NHS_TRUST, None), 274);
    assert_eq!(count(d, roles::NHS_TRUST, Some(Active)), 202);
    assert_eq!(count(d, roles::NHS_TRUST, Some(Closed)), 72);
    assert_eq!(count(d, roles::INTEGRATED_CARE_BOARD, None), 48);
    assert_eq!(count(d, roles::INTEGRATED_CARE_BOARD, Some(Active)), 36);
    assert_eq!(count(d, roles::INTEGRATED_CARE_BOARD, Some(Closed)), 12);
    assert_eq!(count(d, roles::SUB_ICB_LOCATION, None), 106);
    assert_eq!(count(d, roles::PRESCRIBING_COST_CENTRE, None), 210);
    assert_eq!(count(d, roles::NHS_ENGLAND_REGION, None), 7);
    assert_eq!(d.organisation_count(), 274 + 48 + 106 + 210 + 7);
    assert_eq!(d.mailbox_count(), 15);
}

#[test]
fn every_shipped_row_is_read() {
    // A row the reader leaves out would make the counts above differ from the files' line counts.
    for (text, rows) in [
        (TRUSTS, 274),
        (ICBS, 48),
        (SUB_ICB_LOCATIONS, 106),
        (GP_PRACTICES, 210),
        (REGIONS, 7),
    ] {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.records().count(), rows);
    }
    assert!(ods_csv::parse_mailboxes(DEMO_MAILBOXES).is_ok());
}

#[test]
fn closed_icbs_carry_their_successors() {
    let d = EmbeddedDirectory::get();
    let qh8 = d.organisation("QH8").unwrap();
    assert_eq!(qh8.status, OrganisationStatus::Closed);
    assert_eq!(qh8.successors, vec!["D7T5G".to_string()]);
    assert_eq!(
        d.organisation("QNQ").unwrap().successors,
        ["S0E4D", "S9B9J", "QRL"]
    );
    assert!(d.organisation("QHM").unwrap().successors.is_empty());
}

#[test]
fn parents_follow_the_data() {
    let d = EmbeddedDirectory::get();
    assert_eq!(
        d.organisation("A81001").unwrap().parent.as_deref(),
        Some("16C")
    );
    assert_eq!(
        d.organisation("16C").unwrap().parent.as_deref(),
        Some("QHM")
    );
    // 2026 parent where the ICB merged; the 2025 ICB where the 2026 one is not known.
    assert_eq!(
        d.organisation("06Q").unwrap().parent.as_deref(),
        Some("D7T5G")
    );
    let frimley = d.organisation("D4U1Y").unwrap();
    assert_eq!(frimley.parent.as_deref(), Some("QNQ"));
    assert_eq!(frimley.status, OrganisationStatus::Active);
    assert_eq!(d.organisation("RX1").unwrap().parent, None);
    assert_eq!(
        d.organisation("Y56").unwrap().role_id,
        roles::NHS_ENGLAND_REGION
    );
}

#[test]
fn does_not_invent_sites_or_branches() {
    let d = EmbeddedDirectory::get();
    assert_eq!(d.organisation("RX1RA"), None);
    assert_eq!(d.organisation("A81001001"), None);
}

#[test]
fn looks_up_codes_and_addresses_in_any_case() {
    let d = EmbeddedDirectory::get();
    assert_eq!(d.organisation("rx1").unwrap().ods_code, "RX1");
    let entry = d.mailbox("Ward7.Referrals@NHS.NET").unwrap();
    assert_eq!(entry.address, "ward7.referrals@nhs.net");
    assert_eq!(entry.ods_code, "RX1");
    assert_eq!(entry.kind, MailboxKind::Shared);
    assert_eq!(
        d.mailbox("connector.app@nhs.net").unwrap().kind,
        MailboxKind::Application
    );
    assert_eq!(d.mailbox("nobody@nhs.net"), None);
    // The demo organisations' access policy groups.
    for (address, owner) in [
        ("ward7-connector-scope@nhs.net", "RX1"),
        ("demo.scope.rj1@nhs.net", "RJ1"),
    ] {
        let group = d.mailbox(address).unwrap();
        assert_eq!(
            (group.ods_code.as_str(), group.kind),
            (owner, MailboxKind::Group)
        );
    }
}

#[test]
fn a_loaded_instance_can_be_extended_without_touching_the_shared_one() {
    let mut d = EmbeddedDirectory::load();
    let site = Organisation {
        ods_code: "rx1ra".into(),
        name: "NOTTINGHAM CITY HOSPITAL".into(),
        status: OrganisationStatus::Active,
        role_id: roles::NHS_TRUST_SITE.into(),
        parent: Some("RX1".into()),
        successors: Vec::new(),
    };
    assert_eq!(d.insert_organisation(site), None);
    assert_eq!(
        d.organisation("RX1RA").unwrap().parent.as_deref(),
        Some("RX1")
    );
    let replaced = d.insert_mailbox(MailboxEntry {
        address: " Ward7.Referrals@nhs.net".into(),
        ods_code: "rx1ra".into(),
        kind: MailboxKind::Shared,
    });
    assert_eq!(replaced.map(|e| e.ods_code).as_deref(), Some("RX1"));
    assert_eq!(
        d.mailbox("ward7.referrals@nhs.net").unwrap().ods_code,
        "RX1RA"
    );
    assert_eq!(EmbeddedDirectory::get().organisation("RX1RA"), None);
    assert_eq!(
        EmbeddedDirectory::get()
            .mailbox("ward7.referrals@nhs.net")
            .unwrap()
            .ods_code,
        "RX1"
    );
    assert_eq!(EmbeddedDirectory::empty().organisation_count(), 0);
}
