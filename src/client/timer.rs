//! One table of deadlines, indexed by [`Timer`]; [`TimerTable::earliest`] is what
//! `poll_timeout` returns. The engine never reads a clock: every deadline is computed from a
//! `now` the caller passed in.

use std::time::Instant;

/// What a deadline guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Timer {
    /// The reply to the oldest command in flight (or the greeting).
    Reply,
    /// Message data handed out for writing and not yet written (RFC 5321 s4.5.3.2.5).
    DataBlock,
}

impl Timer {
    const COUNT: usize = 2;

    const fn index(self) -> usize {
        match self {
            Timer::Reply => 0,
            Timer::DataBlock => 1,
        }
    }

    const ALL: [Timer; Timer::COUNT] = [Timer::Reply, Timer::DataBlock];
}

/// The deadlines in force.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; Timer::COUNT],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, deadline: Instant) {
        self.deadlines[timer.index()] = Some(deadline);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer.index()] = None;
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer.index()]
    }

    pub(crate) fn stop_all(&mut self) {
        self.deadlines = [None; Timer::COUNT];
    }

    /// The earliest deadline in force.
    pub(crate) fn earliest(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// The first timer whose deadline has passed at `now`.
    pub(crate) fn expired(&self, now: Instant) -> Option<Timer> {
        Timer::ALL
            .into_iter()
            .filter(|t| self.get(*t).is_some_and(|d| d <= now))
            .min_by_key(|t| self.get(*t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn earliest_and_expired() {
        let t0 = Instant::now();
        let mut table = TimerTable::default();
        assert_eq!(table.earliest(), None);
        table.set(Timer::DataBlock, t0 + Duration::from_secs(180));
        table.set(Timer::Reply, t0 + Duration::from_secs(60));
        assert_eq!(table.earliest(), Some(t0 + Duration::from_secs(60)));
        assert_eq!(table.expired(t0 + Duration::from_secs(59)), None);
        assert_eq!(
            table.expired(t0 + Duration::from_secs(200)),
            Some(Timer::Reply)
        );
        table.stop(Timer::Reply);
        assert_eq!(
            table.expired(t0 + Duration::from_secs(200)),
            Some(Timer::DataBlock)
        );
        table.stop_all();
        assert_eq!(table.earliest(), None);
    }
}
