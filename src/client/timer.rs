//! One table of deadlines, indexed by [`Timer`]; [`TimerTable::earliest`] is what
//! `poll_timeout` returns. The engine never reads a clock: every deadline is computed from a
//! `now` the caller passed in.

use std::time::{Duration, Instant};

/// What a deadline guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Timer {
    /// The reply to the oldest command in flight (or the greeting), from the moment its last
    /// octet was written or the previous reply came.
    Reply,
    /// Output handed out for writing and not yet written: message data (RFC 5321
    /// s4.5.3.2.5) or commands. Re-armed whenever some of it is written, so a server that
    /// reads slowly but steadily is never cut off, and one that stops reading is.
    Write,
}

impl Timer {
    const COUNT: usize = 2;

    const fn index(self) -> usize {
        match self {
            Timer::Reply => 0,
            Timer::Write => 1,
        }
    }

    const ALL: [Timer; Timer::COUNT] = [Timer::Reply, Timer::Write];
}

/// The deadlines in force. Each is kept as its start and length and added up only when
/// asked: timers are re-armed on every reply and read once per event-loop turn.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimerTable {
    armed: [Option<(Instant, Duration)>; Timer::COUNT],
}

impl TimerTable {
    /// Arms `timer` to expire `timeout` after `start`.
    pub(crate) fn arm(&mut self, timer: Timer, start: Instant, timeout: Duration) {
        self.armed[timer.index()] = Some((start, timeout));
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.armed[timer.index()] = None;
    }

    pub(crate) fn is_armed(&self, timer: Timer) -> bool {
        self.armed[timer.index()].is_some()
    }

    /// The deadline of `timer`; a deadline past the end of `Instant`'s range never comes.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.armed[timer.index()].and_then(|(start, timeout)| start.checked_add(timeout))
    }

    pub(crate) fn stop_all(&mut self) {
        self.armed = [None; Timer::COUNT];
    }

    /// The earliest deadline in force.
    pub(crate) fn earliest(&self) -> Option<Instant> {
        Timer::ALL.into_iter().filter_map(|t| self.get(t)).min()
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

    #[test]
    fn earliest_and_expired() {
        let t0 = Instant::now();
        let mut table = TimerTable::default();
        assert_eq!(table.earliest(), None);
        table.arm(Timer::Write, t0, Duration::from_secs(180));
        table.arm(Timer::Reply, t0, Duration::from_secs(60));
        assert!(table.is_armed(Timer::Reply));
        assert_eq!(table.earliest(), Some(t0 + Duration::from_secs(60)));
        assert_eq!(table.expired(t0 + Duration::from_secs(59)), None);
        assert_eq!(
            table.expired(t0 + Duration::from_secs(200)),
            Some(Timer::Reply)
        );
        table.stop(Timer::Reply);
        assert_eq!(
            table.expired(t0 + Duration::from_secs(200)),
            Some(Timer::Write)
        );
        table.stop_all();
        assert_eq!(table.earliest(), None);
    }
}
