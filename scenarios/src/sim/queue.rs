//! The runner's timeline: events at virtual times (milliseconds from the hub's start), taken
//! in time order and, at equal times, in the order they were scheduled, so that a run never
//! depends on anything but its inputs.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::event::Ev;

/// Events waiting for their time.
#[derive(Debug, Default)]
pub struct Queue {
    heap: BinaryHeap<Reverse<Timed>>,
    next_seq: u64,
}

#[derive(Debug)]
struct Timed {
    at: u64,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Timed {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Timed {}

impl PartialOrd for Timed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timed {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl Queue {
    /// Schedules `ev` at `at`.
    pub fn push(&mut self, at: u64, ev: Ev) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Timed { at, seq, ev }));
    }

    /// When the next event is due.
    pub fn next_time(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse(t)| t.at)
    }

    /// The next event and its time.
    pub fn pop(&mut self) -> Option<(u64, Ev)> {
        self.heap.pop().map(|Reverse(t)| (t.at, t.ev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_in_time_order_then_in_the_order_they_were_scheduled() {
        let mut q = Queue::default();
        q.push(20, Ev::Sample);
        q.push(10, Ev::PollTick);
        q.push(10, Ev::ReconcileTick);
        assert_eq!(q.next_time(), Some(10));
        assert!(matches!(q.pop(), Some((10, Ev::PollTick))));
        assert!(matches!(q.pop(), Some((10, Ev::ReconcileTick))));
        assert!(matches!(q.pop(), Some((20, Ev::Sample))));
        assert!(q.pop().is_none());
    }
}
