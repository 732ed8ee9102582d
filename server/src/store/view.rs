//! What a device's replica covers, carried in its pull cursor, and the step a pull takes when
//! the device's assignments changed: drop the records that left its view, then send the
//! history of those that entered it, then follow the feed. Pure: the SQL is in
//! `sql/pull.rs`.
//!
//! A cursor is `N` (the op-log position; the whole view of the device's role), `N;V` (the
//! records of view `V` up to `N`), or `N;V;B;T` (view `V` up to `N`, and target view `T`
//! sent up to `B` of `N`, a backfill in progress). A view is `*` (everything) or the assigned
//! events' ids, joined by `.` (empty for none).

use std::collections::BTreeSet;
use uuid::Uuid;

/// The records a device's replica holds or should hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum View {
    /// Everything its role may see.
    All,
    /// The public records and these events' registrations, people, scans and annulments.
    Events(BTreeSet<Uuid>),
}

impl View {
    fn encode(&self) -> String {
        match self {
            Self::All => "*".into(),
            Self::Events(events) => events
                .iter()
                .map(|id| id.simple().to_string())
                .collect::<Vec<_>>()
                .join("."),
        }
    }

    fn decode(text: &str) -> Option<Self> {
        match text {
            "*" => Some(Self::All),
            "" => Some(Self::Events(BTreeSet::new())),
            ids => ids
                .split('.')
                .map(|id| Uuid::parse_str(id).ok())
                .collect::<Option<_>>()
                .map(Self::Events),
        }
    }

    /// Whether every record of this view is in `other` too.
    pub fn within(&self, other: &Self) -> bool {
        match (self, other) {
            (_, Self::All) => true,
            (Self::All, Self::Events(_)) => false,
            (Self::Events(mine), Self::Events(theirs)) => mine.is_subset(theirs),
        }
    }

    fn union(&self, other: &Self) -> Self {
        match (self, other) {
            (Self::Events(a), Self::Events(b)) => Self::Events(a.union(b).copied().collect()),
            _ => Self::All,
        }
    }

    fn intersection(&self, other: &Self) -> Self {
        match (self, other) {
            (Self::All, view) | (view, Self::All) => view.clone(),
            (Self::Events(a), Self::Events(b)) => {
                Self::Events(a.intersection(b).copied().collect())
            }
        }
    }
}

/// A backfill in progress: the history of `target`'s records up to the cursor's position, sent
/// up to `after`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backfill {
    /// The op-log position sent so far.
    pub after: i64,
    /// The view being filled in.
    pub target: View,
}

/// A pull cursor, as handed out in a page's `next`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The op-log position the device has followed the feed to.
    pub position: i64,
    /// The view whose records the device holds up to `position`.
    pub held: View,
    /// A backfill in progress.
    pub backfill: Option<Backfill>,
}

impl Cursor {
    /// Reads a cursor handed out before; empty for a device that holds nothing.
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() {
            return Some(Self::at(0, View::Events(BTreeSet::new())));
        }
        let parts: Vec<&str> = text.split(';').collect();
        let position = parts[0].parse().ok().filter(|n: &i64| *n >= 0)?;
        match parts[1..] {
            [] => Some(Self::at(position, View::All)),
            [held] => Some(Self::at(position, View::decode(held)?)),
            [held, after, target] => Some(Self {
                position,
                held: View::decode(held)?,
                backfill: Some(Backfill {
                    after: after
                        .parse()
                        .ok()
                        .filter(|b: &i64| (0..=position).contains(b))?,
                    target: View::decode(target)?,
                }),
            }),
            _ => None,
        }
    }

    /// A cursor with no backfill.
    pub fn at(position: i64, held: View) -> Self {
        Self {
            position,
            held,
            backfill: None,
        }
    }

    /// The text form (`N` alone for the whole view, as before assignments existed).
    pub fn encode(&self) -> String {
        let mut text = self.position.to_string();
        if self.held != View::All || self.backfill.is_some() {
            text = format!("{text};{}", self.held.encode());
        }
        if let Some(backfill) = &self.backfill {
            text = format!("{text};{};{}", backfill.after, backfill.target.encode());
        }
        text
    }

    /// What a pull does for a device whose view is now `current`.
    pub fn step(&self, current: &View) -> Step {
        if let Some(backfill) = &self.backfill {
            if backfill.target == *current {
                return Step::Backfill {
                    held: self.held.clone(),
                    backfill: backfill.clone(),
                };
            }
        }
        if self.position == 0 {
            // Nothing held yet: the feed from the start is the whole history.
            return Step::Feed;
        }
        let holds = match &self.backfill {
            Some(backfill) => self.held.union(&backfill.target),
            None => self.held.clone(),
        };
        if holds == *current && self.backfill.is_none() {
            return Step::Feed;
        }
        let kept = self.held.intersection(current);
        let next = if current.within(&kept) {
            Self::at(self.position, kept.clone())
        } else {
            Self {
                position: self.position,
                held: kept.clone(),
                backfill: Some(Backfill {
                    after: 0,
                    target: current.clone(),
                }),
            }
        };
        if !holds.within(current) {
            return Step::Leave { holds, next };
        }
        match next.backfill {
            Some(backfill) => Step::Backfill {
                held: kept,
                backfill,
            },
            None => Step::Feed,
        }
    }
}

/// What one pull does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Follow the feed with the current view.
    Feed,
    /// Tell the device to drop what it `holds` beyond its current view; continue at `next`.
    Leave {
        /// What the device may hold now.
        holds: View,
        /// The cursor after the drop.
        next: Cursor,
    },
    /// Send the history of the backfill's target that the `held` view lacks.
    Backfill {
        /// What the device holds.
        held: View,
        /// The backfill.
        backfill: Backfill,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(ids: &[Uuid]) -> View {
        View::Events(ids.iter().copied().collect())
    }

    #[test]
    fn cursors_read_back_as_written() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        for cursor in [
            Cursor::at(7, View::All),
            Cursor::at(7, events(&[])),
            Cursor::at(7, events(&[a, b])),
            Cursor {
                position: 9,
                held: events(&[a]),
                backfill: Some(Backfill {
                    after: 3,
                    target: events(&[a, b]),
                }),
            },
        ] {
            assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        }
        assert_eq!(Cursor::at(7, View::All).encode(), "7");
        for bad in ["x", "-1", "7;zz", "7;*;8;*", "7;*;1", "7;*;1;*;2"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_removed_event_is_left_and_an_added_one_filled_in() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let held = Cursor::at(5, events(&[a]));
        assert_eq!(held.step(&events(&[a])), Step::Feed);
        let Step::Leave { holds, next } = held.step(&events(&[b])) else {
            panic!("a removed event is left first");
        };
        assert_eq!(holds, events(&[a]));
        assert_eq!(next.held, events(&[]));
        assert_eq!(
            next.step(&events(&[b])),
            Step::Backfill {
                held: events(&[]),
                backfill: Backfill {
                    after: 0,
                    target: events(&[b])
                }
            }
        );
        assert!(matches!(
            Cursor::at(5, View::All).step(&events(&[a])),
            Step::Leave { holds: View::All, next } if next == Cursor::at(5, events(&[a]))
        ));
        assert!(matches!(
            Cursor::at(5, events(&[a])).step(&View::All),
            Step::Backfill {
                backfill: Backfill {
                    after: 0,
                    target: View::All
                },
                ..
            }
        ));
        assert_eq!(
            Cursor::parse("").map(|c| c.step(&View::All)),
            Some(Step::Feed)
        );
    }
}
