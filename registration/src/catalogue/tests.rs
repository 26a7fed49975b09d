use super::*;
use PermissionType::{Application, Delegated};

fn catalogue() -> &'static PermissionCatalogue {
    PermissionCatalogue::get()
}

fn id(text: &str) -> PermissionId {
    PermissionId::parse(text).unwrap()
}

#[test]
fn counts_match_the_data_readme() {
    let c = catalogue();
    assert_eq!(c.count(Resource::Graph, Delegated), 807);
    assert_eq!(c.count(Resource::Graph, Application), 716);
    assert_eq!(c.count(Resource::Exchange, Delegated), 56);
    assert_eq!(c.count(Resource::Exchange, Application), 28);
    assert_eq!(c.entries().len(), 807 + 716 + 56 + 28);
    assert_eq!(c.iter().count(), c.entries().len());
}

#[test]
fn every_entry_sits_under_its_resource_sorted_for_binary_search() {
    let c = catalogue();
    for resource in Resource::ALL {
        let slice = c.on(resource);
        assert!(slice.iter().all(|p| p.resource() == resource));
        assert!(
            slice
                .windows(2)
                .all(|w| (w[0].value(), w[0].permission_type())
                    <= (w[1].value(), w[1].permission_type()))
        );
    }
}

#[test]
fn every_value_and_type_resolves_to_itself_on_its_resource() {
    let c = catalogue();
    for p in c.iter() {
        let found = c
            .find(p.resource(), p.value(), p.permission_type())
            .unwrap();
        assert_eq!(
            (found.value(), found.permission_type()),
            (p.value(), p.permission_type())
        );
        assert_eq!(c.by_key(p.resource(), p.id(), p.permission_type()), Some(p));
    }
}

#[test]
fn no_resource_resolves_to_graph_first() {
    let p = catalogue().resolve(None, "Mail.Send", Delegated).unwrap();
    assert_eq!(p.resource(), Resource::Graph);
    assert_eq!(p.id().to_string(), "e383f46e-2787-4529-855e-0e479a3ffac0");
    let p = catalogue()
        .resolve(None, "IMAP.AccessAsUser.All", Delegated)
        .unwrap();
    assert_eq!(p.id().to_string(), "652390e4-393a-48de-9484-05f9b1212954");
}

#[test]
fn exchange_only_roles_resolve_to_exchange() {
    let c = catalogue();
    for (value, guid) in [
        ("IMAP.AccessAsApp", "5e5addcd-3e8d-4e90-baf5-964efab2b20a"),
        ("POP.AccessAsApp", "cb842b43-da6e-4506-86fe-bb12199c656d"),
        ("SMTP.SendAsApp", "7146a1f0-8703-45b3-9eae-527a64c00995"),
        ("full_access_as_app", "dc890d15-9560-4a4c-9b7f-a736ec74ec40"),
        (
            "Exchange.ManageAsApp",
            "dc50a0fb-09a3-484d-be87-e023b12c6440",
        ),
    ] {
        let p = c.resolve(None, value, Application).unwrap();
        assert_eq!(
            (p.resource(), p.id().to_string().as_str()),
            (Resource::Exchange, guid)
        );
    }
    assert_eq!(
        c.resolve(Some("graph"), "IMAP.AccessAsApp", Application),
        None
    );
}

#[test]
fn resource_may_be_alias_or_app_id_in_any_case() {
    let c = catalogue();
    for text in [
        "exchange",
        "EXCHANGE",
        "00000002-0000-0FF1-CE00-000000000000",
    ] {
        let p = c.resolve(Some(text), "SMTP.Send", Delegated).unwrap();
        assert_eq!(
            p.id().to_string(),
            "76faac2a-0f20-42f1-928a-50de5b9dbe52",
            "{text}"
        );
    }
    assert_eq!(Resource::parse("https://graph.microsoft.com"), None);
    assert_eq!(c.resolve(Some("sharepoint"), "Mail.Send", Delegated), None);
}

#[test]
fn calendars_read_all_means_different_things_on_each_resource() {
    let c = catalogue();
    let graph = c
        .find(Resource::Graph, "Calendars.Read.All", Application)
        .unwrap();
    let exchange = c
        .find(Resource::Exchange, "Calendars.Read.All", Application)
        .unwrap();
    assert_eq!(
        graph.display_name(),
        "Read all users' work hours and locations"
    );
    assert_eq!(exchange.display_name(), "Read calendars in all mailboxes");
    assert_ne!(graph.id(), exchange.id());
}

#[test]
fn shared_guids_are_told_apart_by_resource_and_type() {
    let c = catalogue();
    let shared = id("ef54d2bf-783f-4e0f-bca1-3210c0444d99");
    let graph: Vec<_> = c
        .by_id(Resource::Graph, shared)
        .map(Permission::value)
        .collect();
    let exchange: Vec<_> = c
        .by_id(Resource::Exchange, shared)
        .map(Permission::value)
        .collect();
    assert_eq!(graph, ["Calendars.ReadWrite"]);
    assert_eq!(exchange, ["Calendars.ReadWrite.All"]);
    let export = id("405a51b5-8d8d-430b-9842-8be4b0e9f324");
    assert_eq!(c.by_id(Resource::Graph, export).count(), 2);
    assert_eq!(
        c.by_key(Resource::Graph, export, Delegated)
            .map(Permission::privilege_level),
        Some(None)
    );
}

#[test]
fn exchange_duplicate_user_read_basic_all_resolves_to_the_lower_guid() {
    let c = catalogue();
    assert_eq!(
        c.with_value(Resource::Exchange, "User.ReadBasic.All").len(),
        3
    );
    let p = c
        .find(Resource::Exchange, "User.ReadBasic.All", Delegated)
        .unwrap();
    assert_eq!(p.id().to_string(), "6222dbab-a24c-4210-9d91-2f47cf565614");
}

#[test]
fn oidc_scopes_live_on_graph_only() {
    let c = catalogue();
    for value in ["openid", "profile", "email", "offline_access"] {
        let p = c.resolve(None, value, Delegated).unwrap();
        assert!(p.is_oidc() && p.resource() == Resource::Graph, "{value}");
        assert!(c.find(Resource::Exchange, value, Delegated).is_none());
    }
    assert_eq!(
        c.resolve(None, "offline_access", Delegated)
            .unwrap()
            .id()
            .to_string(),
        "7427e0e9-2fba-42fe-b0c0-848c9e6a8182"
    );
}

#[test]
fn entries_carry_consent_and_privilege() {
    let c = catalogue();
    let directory = c
        .find(Resource::Graph, "Directory.ReadWrite.All", Application)
        .unwrap();
    assert_eq!(
        (
            directory.admin_consent_required(),
            directory.privilege_level()
        ),
        (Some(true), Some(4))
    );
    let user_read = c.find(Resource::Graph, "User.Read", Delegated).unwrap();
    assert_eq!(
        (
            user_read.admin_consent_required(),
            user_read.privilege_level()
        ),
        (Some(false), Some(2))
    );
    let exchange = c.find(Resource::Exchange, "SMTP.Send", Delegated).unwrap();
    assert_eq!(exchange.admin_consent_required(), None);
    assert_eq!(exchange.manifest_type(), "Scope");
    assert_eq!(directory.manifest_type(), "Role");
}

#[test]
fn protocol_scopes_name_their_runtime_scope() {
    let c = catalogue();
    for resource in Resource::ALL {
        let p = c.find(resource, "SMTP.Send", Delegated).unwrap();
        assert_eq!(
            p.runtime_scope().as_deref(),
            Some("https://outlook.office.com/SMTP.Send")
        );
    }
    assert_eq!(
        c.find(Resource::Graph, "Mail.Send", Delegated)
            .unwrap()
            .runtime_scope(),
        None
    );
}

#[test]
fn suggests_close_values_ignoring_case() {
    let c = catalogue();
    assert_eq!(c.suggest(None, "Mail.Sendd", Delegated), Some("Mail.Send"));
    assert_eq!(c.suggest(None, "mail.send", Application), Some("Mail.Send"));
    assert_eq!(
        c.suggest(None, "IMAP.AccesAsApp", Application),
        Some("IMAP.AccessAsApp")
    );
    assert_eq!(
        c.suggest(None, "Completely.Different.Thing", Delegated),
        None
    );
    assert_eq!(c.suggest(None, "", Delegated), None);
}

#[test]
fn permission_ids_round_trip_and_reject_malformed_text() {
    let text = "b633e1c5-b582-4048-a93e-9f11b44c7e96";
    assert_eq!(id(text).to_string(), text);
    assert_eq!(id(&text.to_uppercase()).to_string(), text);
    assert_eq!(
        serde_json::to_string(&id(text)).unwrap(),
        format!("\"{text}\"")
    );
    for bad in [
        "",
        "b633e1c5b5824048a93e9f11b44c7e96",
        "g633e1c5-b582-4048-a93e-9f11b44c7e96",
        "b633e1c5-b582-4048-a93e-9f11b44c7e9é",
    ] {
        assert_eq!(PermissionId::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_whole_copy_read_back_is_the_embedded_catalogue_entry_for_entry() {
    let json = catalogue().copy().to_json();
    let copy = CatalogueCopy::from_json(&json).unwrap();
    assert_eq!(copy.len(), catalogue().entries().len());
    let read = copy.into_catalogue();
    assert_eq!(read.entries(), catalogue().entries());
    assert_eq!(read.on(Resource::Graph), catalogue().on(Resource::Graph));
    assert_eq!(
        read.on(Resource::Exchange),
        catalogue().on(Resource::Exchange)
    );
    assert_eq!(
        read.suggest(None, "mail.sned", Application),
        catalogue().suggest(None, "mail.sned", Application)
    );
}

#[test]
fn a_copy_of_some_values_holds_every_entry_of_those_values_and_nothing_else() {
    let copy = catalogue().copy_of([" mail.send ", "IMAP.AccessAsApp", "", "No.Such.Thing"]);
    let part = CatalogueCopy::from_json(&copy.to_json())
        .unwrap()
        .into_catalogue();
    let expected: Vec<&Permission> = catalogue()
        .iter()
        .filter(|p| ["Mail.Send", "IMAP.AccessAsApp"].contains(&p.value()))
        .collect();
    assert_eq!(part.iter().collect::<Vec<_>>(), expected);
    // Both resources, both types: what resolving (and its hints) looks up for those values.
    for (resource, value, kind) in [
        (None, "Mail.Send", Application),
        (None, "Mail.Send", Delegated),
        (Some("exchange"), "Mail.Send", Delegated),
        (None, "IMAP.AccessAsApp", Application),
    ] {
        assert_eq!(
            part.resolve(resource, value, kind),
            catalogue().resolve(resource, value, kind),
            "{resource:?} {value} {kind:?}"
        );
    }
    assert!(catalogue().copy_of([]).is_empty());
}

#[test]
fn a_copy_of_another_version_or_shape_is_refused() {
    let json = catalogue().copy_of(["Mail.Send"]).to_json();
    assert!(
        json.starts_with(&format!("{{\"version\":\"{VERSION}\",")),
        "{json}"
    );
    let other = json.replace(VERSION, "0000000000000000");
    let refused = CatalogueCopy::from_json(&other).unwrap_err();
    assert!(refused.contains("this page expects"), "{refused}");
    assert!(CatalogueCopy::from_json("{\"version\":1}").is_err());
    assert_eq!(VERSION.len(), 16);
    assert!(VERSION.bytes().all(|b| b.is_ascii_hexdigit()));
}
