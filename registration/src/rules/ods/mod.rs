//! ODS code rules (RULES.md §1).
//!
//! The decision procedure runs in RULES.md's order: trim, required, characters, case, shape,
//! then the directory. A value that fails a step is not examined further, except that the
//! directory's findings (closed, role, site) are all reported when several apply.

mod characters;

use crate::Finding;
use crate::directory::roles::{
    self, BRANCH_SURGERY, NHS_TRUST, PRESCRIBING_COST_CENTRE, SUB_ICB_LOCATION,
};
use crate::directory::{Organisation, OrganisationDirectory, OrganisationStatus};
use crate::limits::MAX_ODS_CODE_CHARS;

crate::finding_codes! {
    /// Codes raised by the ODS code rules.
    pub enum OdsCode {
        Required => ("ods_code.required", Error, "Every request belongs to one organisation, known by its ODS code.", "NHSmail OAuth onboarding guidance; NHS Data Dictionary: Organisation code"),
        Format => ("ods_code.format", Error, "Only a well-formed ODS code (ASCII letters and digits, 3, 5, 6 or 9 characters in the published coding frames) can be looked up; look-alike characters from other alphabets would name no organisation.", "NHS Data Dictionary organisation coding frames; ODS Reference Data Catalogue"),
        Unknown => ("ods_code.unknown", Error, "A well-formed code that the organisation directory does not hold cannot be verified, so the desk cannot tell who is asking.", "ODS Reference Data Catalogue; the desk's organisation directory"),
        Closed => ("ods_code.closed", Error, "A closed organisation no longer exists: its NHSmail organisation and mailboxes move to the organisations that took over its services.", "ODS Reference Data Catalogue (organisation status and successors); NHSmail guidance on accounts in closed organisations"),
        NotAnNhsmailOrganisation => ("ods_code.not_an_nhsmail_organisation", Warning, "Primary care networks, NHS England regions and offices, partnerships and schools hold no NHSmail organisation of their own, so they cannot own an application's mailboxes.", "ODS role codes (ORD API /roles); NHSmail organisation onboarding"),
        Site => ("ods_code.site", Warning, "Trust sites, branch surgeries and sub-ICB locations are part of a parent organisation, which holds the NHSmail organisation and normally makes the registration.", "NHS Data Dictionary organisation coding frames (sites, branch surgeries); ODS Reference Data Catalogue"),
    }
}

/// What the ODS rules learnt about the requesting organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OdsOutcome {
    /// The canonical code (trimmed, upper case) when well-formed.
    pub canonical: Option<String>,
    /// The organisation, when the directory knows it.
    pub organisation: Option<Organisation>,
}

const PATH: &str = "ods_code";

/// Checks the ODS code at path `ods_code`.
pub fn check(
    raw: &str,
    organisations: &dyn OrganisationDirectory,
    out: &mut Vec<Finding>,
) -> OdsOutcome {
    // `str::trim` removes Unicode white space, so no-break spaces pasted from web pages go too.
    let code = raw.trim();
    if code.is_empty() {
        out.push(Finding::new(
            OdsCode::Required,
            PATH,
            "Enter your organisation's ODS code.",
            "The ODS code identifies your organisation, for example RX1 for an NHS trust or A81001 for a GP practice. Find it on ODS Data Search and Export (odsdatasearchandexport.nhs.uk).",
        ));
        return OdsOutcome::default();
    }
    if code.chars().nth(MAX_ODS_CODE_CHARS).is_some() {
        push_format(
            out,
            format!(
                "The ODS code is longer than {MAX_ODS_CODE_CHARS} characters; ODS organisation codes have 3, 5, 6 or 9."
            ),
            GENERIC_HINT.to_string(),
        );
        return OdsOutcome::default();
    }
    if let Some(finding) = character_problem(code) {
        out.push(finding);
        return OdsOutcome::default();
    }
    let canonical = code.to_ascii_uppercase();
    if let Err((message, hint)) = shape_problem(&canonical) {
        push_format(out, message, hint);
        return OdsOutcome::default();
    }
    let organisation = organisations.organisation(&canonical);
    match &organisation {
        None => out.push(unknown(&canonical, organisations)),
        Some(org) => check_organisation(org, organisations, out),
    }
    OdsOutcome {
        canonical: Some(canonical),
        organisation,
    }
}

const GENERIC_HINT: &str = "Enter your organisation's ODS code as ODS lists it, for example RX1 (an NHS trust), QHM (an ICB) or A81001 (a GP practice). Find it on ODS Data Search and Export (odsdatasearchandexport.nhs.uk).";

fn push_format(out: &mut Vec<Finding>, message: String, hint: String) {
    out.push(Finding::new(OdsCode::Format, PATH, message, hint));
}

/// Names the characters that are not ASCII letters or digits (at most three, each once).
fn character_problem(code: &str) -> Option<Finding> {
    // `is_ascii_alphanumeric`, never `is_alphanumeric`: the latter accepts Arabic-Indic digits.
    let mut bad: Vec<char> = Vec::new();
    let mut more = 0usize;
    for c in code.chars().filter(|c| !c.is_ascii_alphanumeric()) {
        if bad.contains(&c) {
            continue;
        }
        if bad.len() < 3 {
            bad.push(c);
        } else {
            more += 1;
        }
    }
    if bad.is_empty() {
        return None;
    }
    let mut listed: Vec<String> = bad.iter().map(|&c| characters::describe(c)).collect();
    if more > 0 {
        listed.push(format!(
            "{more} other character{} that {} not A to Z or 0 to 9",
            if more == 1 { "" } else { "s" },
            if more == 1 { "is" } else { "are" }
        ));
    }
    let only_spaces = bad.iter().all(|c| c.is_whitespace());
    let only_ascii = bad.iter().all(char::is_ascii);
    let hint = if only_spaces {
        "Remove the spaces inside the code: an ODS code is written without spaces, for example RX1RA."
    } else if only_ascii {
        "Remove the punctuation: ODS codes use only the letters A to Z and the digits 0 to 9, for example RX1 or A81001."
    } else {
        "Type the code again on an English keyboard rather than pasting it: letters and digits from other alphabets look the same but are different characters. ODS codes use only the letters A to Z and the digits 0 to 9."
    };
    Some(Finding::new(
        OdsCode::Format,
        PATH,
        format!(
            "The ODS code contains {}. ODS codes use only the letters A to Z and the digits 0 to 9.",
            join_list(&listed)
        ),
        hint,
    ))
}

fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}; and {last}", init.join("; ")),
    }
}

/// Whether an upper-case ASCII code fits one of the published coding frames.
pub fn is_well_formed(code: &str) -> bool {
    code.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && shape_problem(code).is_ok()
}

fn letter(b: u8) -> bool {
    b.is_ascii_uppercase()
}

fn digit(b: u8) -> bool {
    b.is_ascii_digit()
}

/// A 6-character GP practice, dental practice or PCN code: a letter and five digits.
fn practice_shape(b: &[u8]) -> bool {
    b.len() == 6 && letter(b[0]) && b[1..].iter().all(|&c| digit(c))
}

/// A 6-character Channel Islands code: three letters and three digits.
fn channel_islands_shape(b: &[u8]) -> bool {
    b.len() == 6 && b[..3].iter().all(|&c| letter(c)) && b[3..].iter().all(|&c| digit(c))
}

/// A 9-character branch surgery code: the practice's code and three digits.
fn branch_shape(b: &[u8]) -> bool {
    b.len() == 9 && letter(b[0]) && b[1..].iter().all(|&c| digit(c))
}

/// The code with O read as 0 and I as 1 where `digit_at` says a digit belongs, if that changes it.
fn with_digits_for_letters(code: &str, digit_at: impl Fn(usize) -> bool) -> Option<String> {
    let fixed: String = code
        .chars()
        .enumerate()
        .map(|(i, c)| match c {
            'O' if digit_at(i) => '0',
            'I' if digit_at(i) => '1',
            other => other,
        })
        .collect();
    (fixed != code).then_some(fixed)
}

/// Checks the length and pattern of an upper-case ASCII alphanumeric code (RULES.md §1 step 5).
fn shape_problem(code: &str) -> Result<(), (String, String)> {
    let b = code.as_bytes();
    match b.len() {
        3 | 5 => Ok(()),
        6 if practice_shape(b) || channel_islands_shape(b) => Ok(()),
        6 => {
            let fix = with_digits_for_letters(code, |i| i >= 1)
                .filter(|f| practice_shape(f.as_bytes()))
                .or_else(|| {
                    with_digits_for_letters(code, |i| i >= 3)
                        .filter(|f| channel_islands_shape(f.as_bytes()))
                });
            Err((
                format!(
                    "'{code}' is not a 6-character ODS code: those are a letter and five digits (GP practices such as A81001, dental practices, primary care networks) or three letters and three digits (Channel Islands, such as JER001)."
                ),
                confusion_hint(fix),
            ))
        }
        9 if branch_shape(b) => Ok(()),
        9 => {
            let fix =
                with_digits_for_letters(code, |i| i >= 1).filter(|f| branch_shape(f.as_bytes()));
            Err((
                format!(
                    "'{code}' is not a 9-character ODS code: those are branch surgeries, a letter and eight digits (the practice's code and three more digits, such as K81003001)."
                ),
                confusion_hint(fix),
            ))
        }
        8 => Err((
            format!(
                "'{code}' has 8 characters; ODS organisation codes have 3, 5, 6 or 9."
            ),
            "An 8-character code is usually a GP practitioner (G1234567), a consultant (C1234567) or a school, which identify a person or a school, not an organisation. Enter your organisation's ODS code, for example RX1 for an NHS trust or A81001 for a GP practice.".to_string(),
        )),
        n => Err((
            format!("'{code}' has {n} characters; ODS organisation codes have 3, 5, 6 or 9."),
            GENERIC_HINT.to_string(),
        )),
    }
}

fn confusion_hint(fix: Option<String>) -> String {
    match fix {
        Some(fixed) => format!(
            "The letter O is not the digit 0, and the letter I is not the digit 1: did you mean {fixed}?"
        ),
        None => GENERIC_HINT.to_string(),
    }
}

/// The organisation a site or branch code implies by the coding frame, when the directory
/// holds it with the expected role: a 5-character R/T trust site belongs to the trust named by
/// its first 3 characters; a 9-character branch surgery to the practice named by its first 6.
///
/// This is a reading of the coding frame, not a fact from ODS: callers use it to explain an
/// unknown code, or to follow ownership for a code the directory does not hold.
pub fn implied_parent(
    code: &str,
    organisations: &dyn OrganisationDirectory,
) -> Option<Organisation> {
    let b = code.as_bytes();
    let (parent_code, roles): (&str, &[&str]) = match b.len() {
        5 if matches!(b.first(), Some(b'R' | b'T')) && code.is_ascii() => {
            (code.get(..3)?, &[NHS_TRUST, roles::CARE_TRUST])
        }
        9 if branch_shape(b) => (code.get(..6)?, &[PRESCRIBING_COST_CENTRE]),
        _ => return None,
    };
    organisations
        .organisation(parent_code)
        .filter(|parent| roles.contains(&parent.role_id.as_str()))
}

/// "NAME (CODE)", for messages.
pub(crate) fn label(org: &Organisation) -> String {
    format!("{} ({})", org.name, org.ods_code)
}

fn unknown(code: &str, organisations: &dyn OrganisationDirectory) -> Finding {
    let mut message = format!(
        "{code} is a well-formed ODS code, but the organisation directory does not hold it."
    );
    let hint;
    if let Some(parent) = implied_parent(code, organisations) {
        let what = if code.len() == 9 {
            "branch surgery"
        } else {
            "site"
        };
        message.push_str(&format!(
            " By its form it would be a {what} of {}.",
            label(&parent)
        ));
        hint = format!(
            "Registrations are normally made by the organisation a {what} belongs to: use {} unless NHSmail has told you that this {what} has its own NHSmail organisation. Check the code on ODS Data Search and Export (odsdatasearchandexport.nhs.uk).",
            parent.ods_code
        );
    } else if let Some(near) = confusable_match(code, organisations) {
        hint = format!(
            "The letter O is not the digit 0, and the letter I is not the digit 1: did you mean {}?",
            label(&near)
        );
    } else {
        hint = "Check the code on ODS Data Search and Export (odsdatasearchandexport.nhs.uk). The desk's directory holds NHS trusts, ICBs, sub-ICB locations, NHS England regions and what its administrator has imported from ODS (GP practices, branch surgeries, trust sites, pharmacies, dental practices, social care sites); if your organisation is missing, ask the desk's administrator to import the current ODS file.".to_string();
    }
    Finding::new(OdsCode::Unknown, PATH, message, hint)
}

/// A known organisation whose code differs only by O/0 or I/1 (at most 4 such positions).
fn confusable_match(code: &str, organisations: &dyn OrganisationDirectory) -> Option<Organisation> {
    let positions: Vec<usize> = code
        .chars()
        .enumerate()
        .filter(|(_, c)| matches!(c, 'O' | '0' | 'I' | '1'))
        .map(|(i, _)| i)
        .collect();
    if positions.is_empty() || positions.len() > 4 {
        return None;
    }
    let original: Vec<char> = code.chars().collect();
    for mask in 1u32..(1 << positions.len()) {
        let mut variant = original.clone();
        for (bit, &at) in positions.iter().enumerate() {
            if mask & (1 << bit) != 0
                && let Some(c) = variant.get_mut(at)
            {
                *c = match *c {
                    'O' => '0',
                    '0' => 'O',
                    'I' => '1',
                    _ => 'I',
                };
            }
        }
        let variant: String = variant.into_iter().collect();
        if is_well_formed(&variant)
            && let Some(org) = organisations.organisation(&variant)
        {
            return Some(org);
        }
    }
    None
}

fn check_organisation(
    org: &Organisation,
    organisations: &dyn OrganisationDirectory,
    out: &mut Vec<Finding>,
) {
    if org.status == OrganisationStatus::Closed {
        out.push(closed(org, organisations));
    }
    let role = org.role_id.as_str();
    if roles::NOT_AN_NHSMAIL_ORGANISATION.contains(&role) {
        let hint = if role == roles::PRIMARY_CARE_NETWORK {
            "A primary care network works through its member practices: register under the ODS code of the practice (or trust) that holds the NHSmail organisation and owns the mailboxes, usually the network's lead practice."
        } else {
            "Register under the ODS code of the organisation that holds the NHSmail organisation and owns the mailboxes the application will use (for NHS England's regions, NHS England's own code)."
        };
        out.push(Finding::new(
            OdsCode::NotAnNhsmailOrganisation,
            PATH,
            format!(
                "{} is {}, which does not hold an NHSmail organisation of its own.",
                label(org),
                roles::describe_role(role)
            ),
            hint,
        ));
    }
    if roles::PART_OF_PARENT.contains(&role) {
        out.push(site(org, organisations));
    }
}

fn closed(org: &Organisation, organisations: &dyn OrganisationDirectory) -> Finding {
    let successors: Vec<String> = org
        .successors
        .iter()
        .map(|code| match organisations.organisation(code) {
            Some(successor) => label(&successor),
            None => code.clone(),
        })
        .collect();
    let (message, hint) = if successors.is_empty() {
        (
            format!("{} is closed.", label(org)),
            "The directory does not record a successor. Register under the ODS code of the organisation that now runs its services.".to_string(),
        )
    } else {
        let codes: Vec<&str> = org.successors.iter().map(String::as_str).collect();
        (
            format!(
                "{} is closed; its services passed to {}.",
                label(org),
                join_and(&successors)
            ),
            format!(
                "Register under the ODS code of the successor that now runs the service: {}.",
                join_or(&codes)
            ),
        )
    };
    Finding::new(OdsCode::Closed, PATH, message, hint)
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn site(org: &Organisation, organisations: &dyn OrganisationDirectory) -> Finding {
    let parent = org
        .parent
        .as_deref()
        .and_then(|code| organisations.organisation(code))
        .or_else(|| implied_parent(&org.ods_code, organisations));
    let what = roles::describe_role(&org.role_id);
    let (message, hint) = match (&parent, org.parent.as_deref()) {
        (Some(parent), _) => {
            let belongs = if org.role_id == SUB_ICB_LOCATION {
                format!(
                    "{} is {what} (a former clinical commissioning group), part of {}.",
                    label(org),
                    label(parent)
                )
            } else {
                format!("{} is {what} of {}.", label(org), label(parent))
            };
            (
                belongs,
                format!(
                    "Registrations are normally made by the organisation it belongs to: use {} unless NHSmail has told you that this {} has its own NHSmail organisation.",
                    parent.ods_code,
                    if org.role_id == BRANCH_SURGERY {
                        "branch surgery"
                    } else if org.role_id == SUB_ICB_LOCATION {
                        "sub-ICB location"
                    } else {
                        "site"
                    }
                ),
            )
        }
        (None, Some(parent_code)) => (
            format!("{} is {what} of {parent_code}.", label(org)),
            format!(
                "Registrations are normally made by the organisation it belongs to: use {parent_code}."
            ),
        ),
        (None, None) => (
            format!(
                "{} is {what}; the directory does not record which organisation it belongs to.",
                label(org)
            ),
            "Registrations are normally made by the organisation a site belongs to: use that organisation's ODS code.".to_string(),
        ),
    };
    Finding::new(OdsCode::Site, PATH, message, hint)
}

#[cfg(test)]
pub(crate) mod tests;
