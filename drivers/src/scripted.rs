//! A [`CommandRunner`] that records every command and answers from a script: the drivers'
//! unit tests stand it in for the scheduler.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::command::{CommandOutput, CommandRunner, CommandSpec, RunError};

type Answer = Box<dyn Fn(&CommandSpec) -> Result<CommandOutput, RunError> + Send + Sync>;

/// Records every command and answers with `answer`.
pub(crate) struct Scripted {
    calls: Mutex<Vec<CommandSpec>>,
    answer: Answer,
}

impl Scripted {
    pub(crate) fn new(
        answer: impl Fn(&CommandSpec) -> Result<CommandOutput, RunError> + Send + Sync + 'static,
    ) -> Arc<Scripted> {
        Arc::new(Scripted {
            calls: Mutex::new(Vec::new()),
            answer: Box::new(answer),
        })
    }

    pub(crate) fn calls(&self) -> Vec<CommandSpec> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl CommandRunner for Scripted {
    async fn run(&self, spec: &CommandSpec) -> Result<CommandOutput, RunError> {
        self.calls.lock().unwrap().push(spec.clone());
        (self.answer)(spec)
    }
}

pub(crate) fn out(code: i32, stdout: &str, stderr: &str) -> Result<CommandOutput, RunError> {
    Ok(CommandOutput {
        code: Some(code),
        stdout: stdout.into(),
        stderr: stderr.into(),
    })
}
