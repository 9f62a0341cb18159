//! `pbs-sim status` and `pbs-sim fault …` (part of the binary): operator requests to a
//! running daemon.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Subcommand;
use pbs_sim::client::{call, default_socket, print};
use pbs_sim::daemon::protocol::{Control, Request};

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The daemon's socket.
    #[arg(long, env = "PBS_SIM_SOCKET", value_name = "PATH")]
    socket: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct FaultArgs {
    /// The daemon's socket.
    #[arg(long, env = "PBS_SIM_SOCKET", value_name = "PATH")]
    socket: Option<PathBuf>,
    #[command(subcommand)]
    fault: Fault,
}

#[derive(Subcommand, Debug)]
enum Fault {
    /// The next COUNT qstat calls fail: `cannot connect to server`.
    QstatFail {
        /// How many calls.
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// The next COUNT qstat calls answer after MILLIS milliseconds.
    QstatSlow {
        /// How many calls.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// The delay.
        #[arg(long, default_value_t = 5_000)]
        millis: u64,
    },
    /// The next COUNT qstat calls print only the first half of their output.
    QstatTruncate {
        /// How many calls.
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// The next COUNT qsub calls are rejected with MESSAGE, as by a site hook.
    QsubReject {
        /// How many calls.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// What qsub prints after `qsub: `.
        #[arg(long, default_value = pbs_sim::daemon::faults::DEFAULT_REJECT)]
        message: String,
    },
    /// A node goes down (its jobs are requeued or lost, as PBS does).
    NodeDown {
        /// The node.
        node: String,
    },
    /// A node comes back.
    NodeUp {
        /// The node.
        node: String,
    },
    /// A running qsub job's process dies now with EXIT_STATUS.
    JobDie {
        /// The job id.
        job: String,
        /// The job's `Exit_status`.
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        exit_status: i32,
    },
    /// Drop every pending fault.
    Clear,
}

/// Prints the daemon's summary of its cluster.
pub fn status(args: &StatusArgs) -> Result<i32> {
    send(args.socket.clone(), Control::Status)
}

/// Injects a fault.
pub fn fault(args: FaultArgs) -> Result<i32> {
    let control = match args.fault {
        Fault::QstatFail { count } => Control::QstatFail { count },
        Fault::QstatSlow { count, millis } => Control::QstatSlow { count, millis },
        Fault::QstatTruncate { count } => Control::QstatTruncate { count },
        Fault::QsubReject { count, message } => Control::QsubReject { count, message },
        Fault::NodeDown { node } => Control::NodeDown { node, down: true },
        Fault::NodeUp { node } => Control::NodeDown { node, down: false },
        Fault::JobDie { job, exit_status } => Control::JobDie { job, exit_status },
        Fault::Clear => Control::Clear,
    };
    send(args.socket, control)
}

fn send(socket: Option<PathBuf>, control: Control) -> Result<i32> {
    let socket = socket.unwrap_or_else(default_socket);
    match call(&socket, &Request::Control(control)) {
        Some(reply) => Ok(print(&reply)),
        None => bail!(
            "no pbs-sim daemon answers on {} (start one with `pbs-sim serve`, or pass --socket)",
            socket.display()
        ),
    }
}
