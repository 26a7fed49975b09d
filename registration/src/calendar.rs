//! Credential expiry dates as an iCalendar file (RFC 5545), for the calendars NHS staff already
//! use: one all-day event on each credential's expiry date, with alarms 30 and 7 days before.
//! Pure text: the server fills in what expires and serves it as `text/calendar`.
//!
//! What RFC 5545 asks of the text, and this module does: lines end in CRLF and are folded at 75
//! octets (a continuation line starts with a space, and a UTF-8 character is never split); TEXT
//! values escape `\`, `;`, `,` and line breaks; every event has a `UID` that stays the same for
//! the same credential (so a calendar that imports the file again updates the event rather than
//! adding a second one) and a `DTSTAMP`.

use time::OffsetDateTime;

/// One credential's expiry, as an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryEvent {
    /// The application's reference (`AR-XXXX-XXXX`).
    pub reference: String,
    /// The application's name.
    pub application_name: String,
    /// `certificate` or `secret`.
    pub kind: String,
    /// A certificate's SHA-1 thumbprint, or a secret's id.
    pub credential_id: String,
    /// When it expires.
    pub expires_at: OffsetDateTime,
    /// The application's page on the desk.
    pub page_url: String,
}

/// The alarms each event carries, in days before the expiry.
pub const ALARM_DAYS: [u32; 2] = [30, 7];

/// The calendar holding `events`, stamped `now`: the whole `.ics` file.
pub fn expiry_calendar(name: &str, events: &[ExpiryEvent], now: OffsetDateTime) -> String {
    let stamp = utc_stamp(now);
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//NHSmail application registration desk//appreg//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:PUBLISH".to_string(),
        format!("X-WR-CALNAME:{}", text(name)),
    ];
    for event in events {
        let credential = if event.kind == "secret" {
            "Client secret"
        } else {
            "Certificate"
        };
        let identified = if event.kind == "secret" {
            format!("Client secret ID: {}", event.credential_id)
        } else {
            format!("Certificate thumbprint (SHA-1): {}", event.credential_id)
        };
        let day = event.expires_at.to_offset(time::UtcOffset::UTC).date();
        let next = day.next_day().unwrap_or(day);
        let description = format!(
            "{credential} of {name} ({reference}) expires on {instant}.\n{identified}\n\
             Request a renewal on the desk and put the new credential into the application's configuration before then.\n{url}",
            name = event.application_name,
            reference = event.reference,
            instant = readable(event.expires_at),
            url = event.page_url,
        );
        lines.extend([
            "BEGIN:VEVENT".to_string(),
            format!(
                "UID:{}-{}-{}@appreg",
                event.reference,
                event.kind,
                event.credential_id.to_ascii_lowercase()
            ),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART;VALUE=DATE:{}", date(day)),
            format!("DTEND;VALUE=DATE:{}", date(next)),
            format!(
                "SUMMARY:{}",
                text(&format!(
                    "{credential} of {} ({}) expires",
                    event.application_name, event.reference
                ))
            ),
            format!("DESCRIPTION:{}", text(&description)),
            format!("URL:{}", event.page_url),
            "TRANSP:TRANSPARENT".to_string(),
        ]);
        for days in ALARM_DAYS {
            lines.extend([
                "BEGIN:VALARM".to_string(),
                "ACTION:DISPLAY".to_string(),
                format!("TRIGGER:-P{days}D"),
                format!(
                    "DESCRIPTION:{}",
                    text(&format!(
                        "{credential} of {} expires in {days} days",
                        event.application_name
                    ))
                ),
                "END:VALARM".to_string(),
            ]);
        }
        lines.push("END:VEVENT".to_string());
    }
    lines.push("END:VCALENDAR".to_string());
    lines.iter().map(|line| fold(line)).collect()
}

/// `20270630T120000Z`.
fn utc_stamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{}T{:02}{:02}{:02}Z",
        date(at.date()),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// `30 June 2027 at 12:00 UTC`.
fn readable(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{} {} {} at {:02}:{:02} UTC",
        at.day(),
        at.month(),
        at.year(),
        at.hour(),
        at.minute()
    )
}

/// `20270630`.
fn date(day: time::Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// A TEXT value: `\`, `;`, `,` escaped, line breaks as `\n`.
fn text(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for character in value.chars() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            other => escaped.push(other),
        }
    }
    escaped
}

/// One content line folded at 75 octets, never inside a UTF-8 character, ending in CRLF.
fn fold(line: &str) -> String {
    let mut folded = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut octets = 0;
    for character in line.chars() {
        let width = character.len_utf8();
        if octets + width > 75 {
            folded.push_str("\r\n ");
            octets = 1;
        }
        folded.push(character);
        octets += width;
    }
    folded.push_str("\r\n");
    folded
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn event(kind: &str, name: &str) -> ExpiryEvent {
        ExpiryEvent {
            reference: "AR-7K3M-Q9XD".into(),
            application_name: name.into(),
            kind: kind.into(),
            credential_id: "5F1C0A3E9B7D2E4F6A8C0B1D3E5F7A9C1B3D5E7F".into(),
            expires_at: datetime!(2027-06-30 12:00 UTC),
            page_url: "https://appreg.example.nhs.uk/requests/AR-7K3M-Q9XD".into(),
        }
    }

    /// The file's lines with folding undone.
    fn unfolded(calendar: &str) -> Vec<String> {
        calendar
            .replace("\r\n ", "")
            .split("\r\n")
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn each_credential_is_an_all_day_event_on_its_expiry_date_with_two_alarms() {
        let calendar = expiry_calendar(
            "RX1 application credentials",
            &[event("certificate", "Ward Mail Connector")],
            datetime!(2026-12-04 09:30 UTC),
        );
        let lines = unfolded(&calendar);
        for expected in [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "UID:AR-7K3M-Q9XD-certificate-5f1c0a3e9b7d2e4f6a8c0b1d3e5f7a9c1b3d5e7f@appreg",
            "DTSTAMP:20261204T093000Z",
            "DTSTART;VALUE=DATE:20270630",
            "DTEND;VALUE=DATE:20270701",
            "SUMMARY:Certificate of Ward Mail Connector (AR-7K3M-Q9XD) expires",
            "TRIGGER:-P30D",
            "TRIGGER:-P7D",
            "END:VCALENDAR",
        ] {
            assert!(
                lines.iter().any(|line| line == expected),
                "{expected}\n{calendar}"
            );
        }
        assert_eq!(lines.last().map(String::as_str), Some(""));
        assert_eq!(
            lines.iter().filter(|line| *line == "BEGIN:VALARM").count(),
            2
        );
        assert!(
            lines
                .iter()
                .any(|line| line.starts_with("DESCRIPTION:Certificate of Ward Mail Connector (AR-7K3M-Q9XD) expires on 30 June 2027 at 12:00 UTC.\\nCertificate thumbprint (SHA-1): 5F1C")),
            "{calendar}"
        );
    }

    #[test]
    fn text_is_escaped_and_long_lines_fold_at_75_octets_without_splitting_a_character() {
        let calendar = expiry_calendar(
            "x",
            &[event(
                "secret",
                "Ward; Mail, Connector \\ für Kinder – Ünïcödé names that go on and on and on",
            )],
            datetime!(2026-12-04 09:30 UTC),
        );
        for line in calendar.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let lines = unfolded(&calendar);
        let summary = lines
            .iter()
            .find(|line| line.starts_with("SUMMARY:"))
            .unwrap();
        assert_eq!(
            summary,
            "SUMMARY:Client secret of Ward\\; Mail\\, Connector \\\\ für Kinder – Ünïcödé names that go on and on and on (AR-7K3M-Q9XD) expires"
        );
        // Every line of the file ends in CRLF; none in a bare LF.
        assert!(!calendar.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn an_empty_calendar_is_still_a_calendar() {
        let calendar = expiry_calendar("none", &[], datetime!(2026-12-04 09:30 UTC));
        assert!(calendar.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(calendar.ends_with("END:VCALENDAR\r\n"));
        assert!(!calendar.contains("VEVENT"));
    }
}
