//! The pending-event set: a binary heap keyed by `(time, insertion sequence)`.
//!
//! Simultaneous events pop first-in-first-out, so a run is reproducible bit for bit;
//! the one exception is [`EventQueue::push_first`] (month ends), which runs before any
//! other event of its day.

use crate::calendar::Day;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    time: Day,
    /// 0 for events that close the previous day (month ends), 1 otherwise.
    phase: u8,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.phase, self.seq) == (other.time, other.phase, other.seq)
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    // Reversed so that std's max-heap pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.phase, other.seq).cmp(&(self.time, self.phase, self.seq))
    }
}

/// A min-priority queue of events by time, ties broken by insertion order.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`, after every event already scheduled then.
    pub fn push(&mut self, time: Day, event: E) {
        self.insert(time, 1, event);
    }

    /// Schedules `event` at `time` ahead of every ordinary event of that day: for events
    /// that close the day before (a month end at day `d` closes the month that ended at
    /// `d`), so what happens on day `d` counts in the next month.
    pub fn push_first(&mut self, time: Day, event: E) {
        self.insert(time, 0, event);
    }

    fn insert(&mut self, time: Day, phase: u8, event: E) {
        self.heap.push(Entry {
            time,
            phase,
            seq: self.next_seq,
            event,
        });
        self.next_seq += 1;
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(Day, E)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_ties_in_insertion_order() {
        let mut q = EventQueue::new();
        q.push(5, "c");
        q.push(1, "a");
        q.push(5, "d");
        q.push(1, "b");
        q.push(3, "x");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![(1, "a"), (1, "b"), (3, "x"), (5, "c"), (5, "d")]
        );
    }
}
