//! Calendar dates for dated knowledge (`review_by`, `valid_until`): parsing
//! `YYYY-MM-DD` strictly and finding today's date from the system clock.
//!
//! The KB only ever compares whole days in UTC, so a date is a day number since
//! 1970-01-01; the conversion is Howard Hinnant's civil-calendar algorithm, which
//! spares the engine a date crate for three functions.

use std::time::{SystemTime, UNIX_EPOCH};

/// A day, counted from 1970-01-01 (day 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub i64);

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

impl Day {
    /// Parses `YYYY-MM-DD`; anything else (or an impossible date such as 2026-02-30) is `None`.
    pub fn parse(s: &str) -> Option<Day> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = &s[r];
            part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
        };
        let (y, m, d) = (num(0..4)? as i64, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        // Days from civil (Hinnant): shift the year to start in March so leap days come last.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (i64::from(m) + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Day(era * 146_097 + doe - 719_468))
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Day {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        Day((secs / 86_400) as i64)
    }

    /// The date as `YYYY-MM-DD`.
    pub fn to_iso(self) -> String {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!("{:04}-{:02}-{:02}", y, m, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        assert_eq!(Day::parse("1970-01-01"), Some(Day(0)));
        assert_eq!(Day::parse("2000-03-01").map(|d| d.0), Some(11_017));
        for s in ["2024-02-29", "2026-12-31", "1999-01-01", "2100-02-28"] {
            assert_eq!(Day::parse(s).unwrap().to_iso(), s);
        }
        for bad in ["2026-02-29", "2026-13-01", "2026-1-01", "26-01-01", "2026-01-00", "tomorrow"] {
            assert_eq!(Day::parse(bad), None, "{}", bad);
        }
        assert!(Day::parse("2026-01-02") > Day::parse("2025-12-31"));
        assert!(Day::today() > Day::parse("2024-01-01").unwrap());
    }
}
