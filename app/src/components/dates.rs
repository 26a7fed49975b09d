//! Dates as NHS pages write them: "23 November 2026", "23 November 2026 at 16:22 UTC".

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `23 November 2026`.
pub fn day_text(at: OffsetDateTime) -> String {
    format!("{} {} {}", at.day(), at.month(), at.year())
}

/// `23 November 2026` from an RFC 3339 timestamp (the text itself when it is not one).
pub fn date_text(timestamp: &str) -> String {
    match OffsetDateTime::parse(timestamp, &Rfc3339) {
        Ok(at) => day_text(at),
        Err(_) => timestamp.to_string(),
    }
}

/// `23 November 2026 at 16:22 UTC` from an RFC 3339 timestamp (the text itself when it is not one).
pub fn date_time_text(timestamp: &str) -> String {
    match OffsetDateTime::parse(timestamp, &Rfc3339) {
        Ok(at) => format!(
            "{} at {:02}:{:02} UTC",
            day_text(at),
            at.hour(),
            at.minute()
        ),
        Err(_) => timestamp.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_the_nhs_way() {
        assert_eq!(date_text("2026-11-03T16:02:08Z"), "3 November 2026");
        assert_eq!(date_text("2026-03-07T10:00:00Z"), "7 March 2026");
        assert_eq!(
            date_time_text("2026-11-03T16:02:08Z"),
            "3 November 2026 at 16:02 UTC"
        );
        assert_eq!(date_text("yesterday"), "yesterday");
    }
}
