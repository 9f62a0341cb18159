//! The server's jobs by key: O(1) lookups on the scheduler's hot path, iteration in key
//! order, and memory that follows the jobs the server still knows.
//!
//! Keys are handed out in sequence, so the table is a window of slots from the oldest
//! known key to the newest. Jobs are boxed so that a hole left by a job purged out of order
//! costs a pointer, not a job; the window's front is trimmed as soon as it empties.

use std::collections::VecDeque;
use std::ops::Index;

use super::job::{Job, JobKey};

/// Jobs by key.
#[derive(Debug, Clone, Default)]
pub struct JobTable {
    first: JobKey,
    slots: VecDeque<Option<Box<Job>>>,
}

impl JobTable {
    /// An empty table whose first key will be `first`.
    pub fn new(first: JobKey) -> Self {
        JobTable {
            first,
            slots: VecDeque::new(),
        }
    }

    fn slot(&self, key: JobKey) -> Option<usize> {
        let i = key.checked_sub(self.first)?;
        usize::try_from(i).ok().filter(|&i| i < self.slots.len())
    }

    /// The job with `key`, if known.
    pub fn get(&self, key: &JobKey) -> Option<&Job> {
        self.slot(*key).and_then(|i| self.slots[i].as_deref())
    }

    /// The job with `key`, if known, for changing.
    pub fn get_mut(&mut self, key: &JobKey) -> Option<&mut Job> {
        let i = self.slot(*key)?;
        self.slots[i].as_deref_mut()
    }

    /// Adds a job under a key newer than every key in the table.
    pub fn insert(&mut self, key: JobKey, job: Job) {
        if self.slots.is_empty() {
            self.first = key;
        }
        assert!(
            key >= self.first + self.slots.len() as JobKey,
            "job keys are handed out in order"
        );
        while self.first + (self.slots.len() as JobKey) < key {
            self.slots.push_back(None);
        }
        self.slots.push_back(Some(Box::new(job)));
    }

    /// Removes a job, returning it.
    pub fn remove(&mut self, key: &JobKey) -> Option<Job> {
        let i = self.slot(*key)?;
        let job = self.slots[i].take()?;
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.first += 1;
        }
        Some(*job)
    }

    /// Every job, in key order.
    pub fn values(&self) -> impl Iterator<Item = &Job> {
        self.slots.iter().filter_map(|s| s.as_deref())
    }
}

impl Index<&JobKey> for JobTable {
    type Output = Job;

    fn index(&self, key: &JobKey) -> &Job {
        self.get(key).expect("no job with this key")
    }
}
