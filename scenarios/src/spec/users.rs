//! The hub's users: when they come, what they ask for, how long they stay, and how they
//! misbehave (wrong form input, cancelling while queued, leaving servers idle).

use std::collections::BTreeMap;

use hub::config::HumanDuration;
use serde::Deserialize;

/// The hub's users (`nbuser0001`, …) and their behaviour.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Users {
    /// How many users.
    pub count: u32,
    /// When their sessions begin.
    pub arrival: Arrival,
    /// Sessions per user, one after the other.
    pub sessions: u32,
    /// Pause between one session's end and the next one's start, at least ...
    pub gap_min: HumanDuration,
    /// ... and at most.
    pub gap_max: HumanDuration,
    /// How long a user works once their server runs, at least ...
    pub session_min: HumanDuration,
    /// ... and at most. Then they stop the server (or leave it idle, see `idle_share`).
    pub session_max: HumanDuration,
    /// The share of sessions whose user leaves without stopping: the culler (or the
    /// walltime) ends them.
    pub idle_share: f64,
    /// The share of sessions whose user gives up while the job is still queued, after
    /// `patience_min`–`patience_max`.
    pub cancel_share: f64,
    /// See `cancel_share`.
    pub patience_min: HumanDuration,
    /// See `cancel_share`.
    pub patience_max: HumanDuration,
    /// The share of start requests with invalid form input (the user then corrects it and
    /// asks again).
    pub invalid_share: f64,
    /// What users pick in the spawn form (the hub's built-in form: `ncpus`, `mem`,
    /// `walltime`), by weight.
    pub options: Vec<OptionsChoice>,
}

impl Default for Users {
    fn default() -> Self {
        Users {
            count: 0,
            arrival: Arrival::default(),
            sessions: 1,
            gap_min: HumanDuration::from_secs(600),
            gap_max: HumanDuration::from_secs(3600),
            session_min: HumanDuration::from_secs(1800),
            session_max: HumanDuration::from_secs(3 * 3600),
            idle_share: 0.0,
            cancel_share: 0.0,
            patience_min: HumanDuration::from_secs(300),
            patience_max: HumanDuration::from_secs(1800),
            invalid_share: 0.0,
            options: vec![OptionsChoice::default()],
        }
    }
}

/// When users' first sessions begin.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum Arrival {
    /// All within `over` from `start` (uniformly): a class starting its lab.
    Burst {
        /// When the burst begins.
        #[serde(default = "zero")]
        start: HumanDuration,
        /// How long it lasts.
        #[serde(default = "one_minute")]
        over: HumanDuration,
    },
    /// A working day: arrivals spread over the run with a peak in the late morning and a
    /// smaller one after lunch, few at night (the run starts at midnight).
    Day,
}

impl Default for Arrival {
    fn default() -> Self {
        Arrival::Burst {
            start: zero(),
            over: one_minute(),
        }
    }
}

fn zero() -> HumanDuration {
    HumanDuration::from_secs(0)
}

fn one_minute() -> HumanDuration {
    HumanDuration::from_secs(60)
}

/// One way of filling in the spawn form, with how often users pick it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsChoice {
    /// Relative weight.
    #[serde(default = "one")]
    pub weight: u32,
    /// The form's fields as the browser posts them.
    pub values: BTreeMap<String, String>,
}

fn one() -> u32 {
    1
}

impl Default for OptionsChoice {
    fn default() -> Self {
        OptionsChoice {
            weight: 1,
            values: [("ncpus", "2"), ("mem", "8gb"), ("walltime", "04:00:00")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}
