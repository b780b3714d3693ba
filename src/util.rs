//! Small date helpers shared by the stages. All times are UTC.

use chrono::{DateTime, Datelike, NaiveDate};
use serde::Serialize;

const MS_PER_DAY: i64 = 86_400_000;

/// True when `day` lies in the half-open range `[from, to)`; no `to` means open-ended. Every
/// dated thing (price periods, seat prices, overlay terms) uses this one rule.
pub fn in_half_open(from: NaiveDate, to: Option<NaiveDate>, day: NaiveDate) -> bool {
    from <= day && to.is_none_or(|t| day < t)
}

/// The UTC calendar day of a millisecond timestamp.
pub fn day_of(ms: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp_millis(ms).map(|d| d.date_naive())
}

/// `YYYY-MM-DD` of a millisecond timestamp.
pub fn day_string(ms: i64) -> String {
    day_of(ms)
        .map(|d| d.to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// Milliseconds at 00:00 UTC of `day`.
pub fn day_start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis()
}

/// A calendar month, the unit of one audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let month = Month {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
        };
        NaiveDate::from_ymd_opt(month.year, month.month, 1)?;
        Some(month)
    }

    pub fn of_day(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("valid day")
    }

    pub fn start_ms(self) -> i64 {
        day_start_ms(self.first_day())
    }

    pub fn end_ms(self) -> i64 {
        day_start_ms(self.next().first_day())
    }

    pub fn days(self) -> i64 {
        (self.end_ms() - self.start_ms()) / MS_PER_DAY
    }

    /// The latest calendar month the data covers completely, given the days that carry data.
    ///
    /// A month counts as complete when its last day has data; otherwise the month before is
    /// taken (an export downloaded on the 3rd has two days of the new month). With no complete
    /// month, the latest month is returned and flagged partial.
    /// The month a run audits when none is asked for: the latest complete month among those
    /// that hold most of the billed money (at least half of the largest month's), so that a
    /// few stray days of a neighbouring month, or one far-off row, never take over. Without
    /// such a complete month, the month with the most money (the later one on a tie),
    /// incomplete. `money_by_day` is the billed money (by size) per start day; `days` are the
    /// days the billed rows cover (start and last day), which decide completeness.
    pub fn by_billed_money(
        money_by_day: &std::collections::BTreeMap<i64, i128>,
        days: &std::collections::BTreeSet<i64>,
    ) -> Option<(Month, bool)> {
        let mut money: std::collections::BTreeMap<Month, i128> = Default::default();
        for (d, m) in money_by_day {
            if let Some(day) = d.checked_mul(MS_PER_DAY).and_then(day_of) {
                *money.entry(Month::of_day(day)).or_insert(0) += m;
            }
        }
        let largest = *money.values().max()?;
        let holds_most = |m: &i128| m.saturating_mul(2) >= largest;
        let complete = |month: Month| days.contains(&(day_start_ms(month.last_day()) / MS_PER_DAY));
        if let Some((month, _)) = money
            .iter()
            .rev()
            .find(|(month, m)| holds_most(m) && complete(**month))
        {
            return Some((*month, true));
        }
        let (month, _) = money.iter().rev().max_by_key(|(_, m)| **m)?;
        Some((*month, complete(*month)))
    }

    pub fn latest_complete(days: impl DoubleEndedIterator<Item = i64>) -> Option<(Month, bool)> {
        let days: Vec<NaiveDate> = days.filter_map(|d| day_of(d * MS_PER_DAY)).collect();
        let latest = Month::of_day(*days.last()?);
        let has = |d: NaiveDate| days.binary_search(&d).is_ok();
        if has(latest.last_day()) {
            return Some((latest, true));
        }
        let prev = latest.prev();
        if days.iter().any(|d| Month::of_day(*d) == prev) {
            return Some((prev, has(prev.last_day())));
        }
        Some((latest, false))
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Text for an XML or HTML attribute or element (the chart SVGs and `report.html`).
pub fn xml_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> i64 {
        day_start_ms(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()) / MS_PER_DAY
    }

    #[test]
    fn month_bounds() {
        let m = Month::parse("2026-10").unwrap();
        assert_eq!(m.days(), 31);
        assert_eq!(m.last_day().to_string(), "2026-10-31");
        assert_eq!(
            Month::parse("2026-12").unwrap().next().to_string(),
            "2027-01"
        );
        assert!(Month::parse("2026-13").is_none());
        assert!(Month::parse("26-10").is_none());
    }

    #[test]
    fn the_default_month_holds_most_of_the_billed_money() {
        let money = |pairs: &[(&str, i128)]| {
            pairs
                .iter()
                .map(|(d, m)| (day(d), *m))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let oct = Month::parse("2026-10").unwrap();
        // October in full, two days of November spill-over and one far-future row.
        let m = money(&[
            ("2026-10-01", 500),
            ("2026-10-31", 500),
            ("2026-11-01", 10),
            ("2026-11-02", 10),
            ("9999-12-31", 50),
        ]);
        let days = m.keys().copied().collect();
        assert_eq!(Month::by_billed_money(&m, &days), Some((oct, true)));
        // A far-future row that holds most of the money is still never complete, and an
        // epoch-zero one neither; October remains the latest complete month that holds most.
        let m = money(&[
            ("1970-01-01", 900),
            ("2026-10-01", 500),
            ("2026-10-31", 500),
        ]);
        let days = m.keys().copied().collect();
        assert_eq!(Month::by_billed_money(&m, &days), Some((oct, true)));
        // Two complete months with about the same money: the later one.
        let m = money(&[
            ("2026-09-01", 400),
            ("2026-09-30", 400),
            ("2026-10-01", 300),
            ("2026-10-31", 300),
        ]);
        let days = m.keys().copied().collect();
        assert_eq!(Month::by_billed_money(&m, &days), Some((oct, true)));
        // No complete month: the one with the most money, incomplete.
        let m = money(&[("2026-09-20", 10), ("2026-10-05", 300)]);
        let days = m.keys().copied().collect();
        assert_eq!(Month::by_billed_money(&m, &days), Some((oct, false)));
        assert_eq!(Month::by_billed_money(&Default::default(), &days), None);
    }

    #[test]
    fn latest_complete_month_skips_a_started_month() {
        let days = vec![
            day("2026-10-01"),
            day("2026-10-31"),
            day("2026-11-01"),
            day("2026-11-02"),
        ];
        assert_eq!(
            Month::latest_complete(days.into_iter()),
            Some((Month::parse("2026-10").unwrap(), true))
        );
        let days = vec![day("2026-10-01"), day("2026-10-31")];
        assert_eq!(
            Month::latest_complete(days.into_iter()),
            Some((Month::parse("2026-10").unwrap(), true))
        );
        let days = vec![day("2026-10-05")];
        assert_eq!(
            Month::latest_complete(days.into_iter()),
            Some((Month::parse("2026-10").unwrap(), false))
        );
    }
}
