//! Expiry reminders (issue 14, part 4): which reminder, if any, is due for a credential at an
//! instant, and how many days it has left. Pure day arithmetic; the server claims and sends.
//!
//! The rules (docs/lifecycle.md, "Expiry reminders"):
//! - A reminder's day is `expires_at − N × 24 hours` for N in [`DAYS_BEFORE`] (UTC, exact
//!   instants: no calendar or time-zone arithmetic).
//! - At any instant only the **nearest** reminder whose day has come is due
//!   ([`due`]): a credential 20 days from expiry when its application goes live, or one whose
//!   reminders were missed while the desk was down, gets one reminder (the 30-day one, saying
//!   "expires in 20 days"), not three. The ones further out are never sent afterwards, since a
//!   nearer one is then always due.
//! - The day count in the email is [`days_left`]: whole days left, rounded up, so a 7-day
//!   reminder sent a few minutes late still says 7 and one sent 2 days late says 5.
//! - Once the credential has expired no reminder is due; instead one [`Slot::Expired`] notice.

use time::{Duration, OffsetDateTime};

/// How many days before a credential's expiry each reminder is sent, furthest first.
pub const DAYS_BEFORE: [u32; 5] = [60, 45, 30, 14, 7];

/// Which message a credential is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The reminder of `N` days before expiry (one of [`DAYS_BEFORE`]).
    Before(u32),
    /// The one notice that it has expired.
    Expired,
}

impl Slot {
    /// As stored (`reminder.days_before`): N, or 0 for the expiry notice.
    pub fn days_before(self) -> i64 {
        match self {
            Slot::Before(days) => i64::from(days),
            Slot::Expired => 0,
        }
    }

    /// The slot stored as `days_before` (`None` for a number that is not one).
    pub fn from_days_before(days_before: i64) -> Option<Slot> {
        if days_before == 0 {
            return Some(Slot::Expired);
        }
        DAYS_BEFORE
            .into_iter()
            .find(|days| i64::from(*days) == days_before)
            .map(Slot::Before)
    }

    /// The instant this slot's day comes for a credential expiring at `expires_at`.
    pub fn due_at(self, expires_at: OffsetDateTime) -> OffsetDateTime {
        expires_at - Duration::days(self.days_before())
    }
}

/// Whole days from `now` to `expires_at`, rounded up (1 for anything under a day; 0 or less once
/// expired).
pub fn days_left(expires_at: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let left = expires_at - now;
    let days = left.whole_days();
    if left > Duration::days(days) {
        days + 1
    } else {
        days
    }
}

/// The message due at `now` for a credential expiring at `expires_at`: the nearest reminder
/// whose day has come, or the expiry notice once it has expired; `None` more than 60 days out.
pub fn due(expires_at: OffsetDateTime, now: OffsetDateTime) -> Option<Slot> {
    if now >= expires_at {
        return Some(Slot::Expired);
    }
    DAYS_BEFORE
        .into_iter()
        .rev()
        .map(Slot::Before)
        .find(|slot| now >= slot.due_at(expires_at))
}

/// "in 1 day", "in 5 days".
pub fn in_days(days: i64) -> String {
    if days == 1 {
        "in 1 day".to_string()
    } else {
        format!("in {days} days")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const EXPIRES: OffsetDateTime = datetime!(2026-09-30 12:00 UTC);

    fn at_days_before(days: i64) -> OffsetDateTime {
        EXPIRES - Duration::days(days)
    }

    #[test]
    fn a_credential_expiring_in_exactly_7_days_is_due_its_7_day_reminder() {
        let now = at_days_before(7);
        assert_eq!(due(EXPIRES, now), Some(Slot::Before(7)));
        assert_eq!(days_left(EXPIRES, now), 7);
    }

    #[test]
    fn nothing_is_due_more_than_60_days_out() {
        assert_eq!(
            due(EXPIRES, at_days_before(60) - Duration::seconds(1)),
            None
        );
        assert_eq!(due(EXPIRES, at_days_before(60)), Some(Slot::Before(60)));
    }

    #[test]
    fn each_reminder_is_due_from_its_day_until_the_next_ones_day() {
        for (days, nearer) in [(60, 45), (45, 30), (30, 14), (14, 7)] {
            assert_eq!(
                due(EXPIRES, at_days_before(days)),
                Some(Slot::Before(days as u32))
            );
            assert_eq!(
                due(EXPIRES, at_days_before(nearer) - Duration::seconds(1)),
                Some(Slot::Before(days as u32))
            );
        }
        assert_eq!(
            due(EXPIRES, EXPIRES - Duration::seconds(1)),
            Some(Slot::Before(7))
        );
    }

    #[test]
    fn a_credential_20_days_from_expiry_is_due_only_the_nearest_reminder() {
        // Going live (or the desk coming back) 20 days before expiry: the 30-day reminder, not
        // the 60- and 45-day ones too.
        let now = at_days_before(20);
        assert_eq!(due(EXPIRES, now), Some(Slot::Before(30)));
        assert_eq!(days_left(EXPIRES, now), 20);
    }

    #[test]
    fn a_missed_reminder_counts_the_days_really_left() {
        // The 7-day reminder, sent two days late.
        let now = at_days_before(5);
        assert_eq!(due(EXPIRES, now), Some(Slot::Before(7)));
        assert_eq!(days_left(EXPIRES, now), 5);
        assert_eq!(in_days(days_left(EXPIRES, now)), "in 5 days");
    }

    #[test]
    fn days_left_rounds_up_so_a_slightly_late_run_says_the_reminders_day() {
        assert_eq!(
            days_left(EXPIRES, at_days_before(7) + Duration::minutes(10)),
            7
        );
        assert_eq!(days_left(EXPIRES, EXPIRES - Duration::hours(1)), 1);
        assert_eq!(in_days(1), "in 1 day");
        assert_eq!(days_left(EXPIRES, EXPIRES), 0);
    }

    #[test]
    fn an_expired_credential_is_due_the_expiry_notice_not_a_reminder() {
        assert_eq!(due(EXPIRES, EXPIRES), Some(Slot::Expired));
        assert_eq!(
            due(EXPIRES, EXPIRES + Duration::days(400)),
            Some(Slot::Expired)
        );
    }

    #[test]
    fn a_slot_is_stored_as_its_days_before_and_read_back() {
        for slot in DAYS_BEFORE
            .into_iter()
            .map(Slot::Before)
            .chain([Slot::Expired])
        {
            assert_eq!(Slot::from_days_before(slot.days_before()), Some(slot));
        }
        assert_eq!(Slot::from_days_before(8), None);
        assert_eq!(Slot::Before(7).due_at(EXPIRES), at_days_before(7));
    }
}
