//! What the shims and the daemon say to each other over the local socket.
//!
//! One request per connection: a JSON line from the client; the reply is a JSON header line
//! (`exit_code`, the byte lengths of stdout and stderr) followed by those bytes, so a
//! 5,000-job `qstat -f` is not escaped into a JSON string and back.
//!
//! The shims send their argv as typed, plus what only the client knows (working directory,
//! host, environment, the script it read); the daemon parses, decides and formats, so every
//! shim prints exactly what the server worked out. Who the client is comes from the socket's
//! peer credentials, never from the request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// A PBS command a shim stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    /// `qsub`.
    Qsub,
    /// `qstat`.
    Qstat,
    /// `qdel`.
    Qdel,
    /// `pbsnodes`.
    Pbsnodes,
}

impl Command {
    /// The command's name (`qsub`, …).
    pub fn name(self) -> &'static str {
        match self {
            Command::Qsub => "qsub",
            Command::Qstat => "qstat",
            Command::Qdel => "qdel",
            Command::Pbsnodes => "pbsnodes",
        }
    }

    /// The command named `name` (an `argv[0]` file name).
    pub fn from_name(name: &str) -> Option<Command> {
        match name {
            "qsub" => Some(Command::Qsub),
            "qstat" => Some(Command::Qstat),
            "qdel" => Some(Command::Qdel),
            "pbsnodes" => Some(Command::Pbsnodes),
            _ => None,
        }
    }
}

/// The script a `qsub` client read (from its file operand or stdin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    /// Its text.
    pub text: String,
    /// The file operand as typed; `None` when read from stdin.
    pub path: Option<String>,
}

/// One run of a shim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    /// Which command.
    pub command: Command,
    /// Its arguments, without `argv[0]`.
    pub args: Vec<String>,
    /// The client's working directory (`PBS_O_WORKDIR`).
    pub cwd: String,
    /// The client's host name (`PBS_O_HOST`).
    pub host: String,
    /// The client's environment (sent by `qsub` only: `-V` and `PBS_O_*` need it).
    pub env: BTreeMap<String, String>,
    /// The script, for `qsub`.
    pub script: Option<Script>,
}

/// Operator commands: inspection and fault injection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "control", rename_all = "snake_case")]
pub enum Control {
    /// A summary of the cluster.
    Status,
    /// The next `count` `qstat` calls fail as if the server were unreachable.
    QstatFail {
        /// How many.
        count: u32,
    },
    /// The next `count` `qstat` calls answer after `millis` milliseconds.
    QstatSlow {
        /// How many.
        count: u32,
        /// The delay.
        millis: u64,
    },
    /// The next `count` `qstat` calls print only the first half of their output.
    QstatTruncate {
        /// How many.
        count: u32,
    },
    /// The next `count` `qsub` calls are rejected with `message` (a hook's text).
    QsubReject {
        /// How many.
        count: u32,
        /// What qsub prints after `qsub: `.
        message: String,
    },
    /// A node goes down or comes back.
    NodeDown {
        /// The node.
        node: String,
        /// Down or up.
        down: bool,
    },
    /// A running job's process dies now with `exit_status` (a user job's process is killed;
    /// a background job just ends).
    JobDie {
        /// The job id.
        job: String,
        /// Its exit status.
        exit_status: i32,
    },
    /// Every pending fault is dropped.
    Clear,
}

/// A request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// Run a PBS command.
    Run(Invocation),
    /// An operator command.
    Control(Control),
}

/// What the client prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// The exit code.
    pub exit_code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Reply {
    /// Success printing `stdout`.
    pub fn out(stdout: impl Into<String>) -> Reply {
        Reply {
            exit_code: 0,
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }

    /// Failure with `exit_code`, printing `stderr`.
    pub fn err(exit_code: i32, stderr: impl Into<String>) -> Reply {
        Reply {
            exit_code,
            stdout: String::new(),
            stderr: stderr.into(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct ReplyHeader {
    exit_code: i32,
    stdout: usize,
    stderr: usize,
}

/// The largest request accepted (a job script and an environment fit many times over).
pub const MAX_REQUEST: u64 = 16 * 1024 * 1024;

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The connection failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The peer sent something that is not a message.
    #[error("malformed message: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The peer closed the connection before a whole message.
    #[error("connection closed mid-message")]
    Closed,
}

/// Reads one request.
pub async fn read_request<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
) -> Result<Request, ProtocolError> {
    let mut line = Vec::new();
    let n = BufReader::new(reader.take(MAX_REQUEST))
        .read_until(b'\n', &mut line)
        .await?;
    if n == 0 || line.last() != Some(&b'\n') {
        return Err(ProtocolError::Closed);
    }
    Ok(serde_json::from_slice(&line)?)
}

/// Writes one request.
pub async fn write_request<W: tokio::io::AsyncWrite + Unpin>(
    mut writer: W,
    request: &Request,
) -> Result<(), ProtocolError> {
    let mut bytes = serde_json::to_vec(request)?;
    bytes.push(b'\n');
    writer.write_all(&bytes).await?;
    writer.flush().await?;
    Ok(())
}

/// Writes one reply.
pub async fn write_reply<W: tokio::io::AsyncWrite + Unpin>(
    mut writer: W,
    reply: &Reply,
) -> Result<(), ProtocolError> {
    let header = ReplyHeader {
        exit_code: reply.exit_code,
        stdout: reply.stdout.len(),
        stderr: reply.stderr.len(),
    };
    let mut bytes = serde_json::to_vec(&header)?;
    bytes.push(b'\n');
    bytes.reserve(reply.stdout.len() + reply.stderr.len());
    bytes.extend_from_slice(reply.stdout.as_bytes());
    bytes.extend_from_slice(reply.stderr.as_bytes());
    writer.write_all(&bytes).await?;
    writer.flush().await?;
    Ok(())
}

/// Reads one reply.
pub async fn read_reply<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
) -> Result<Reply, ProtocolError> {
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).await?;
    if line.last() != Some(&b'\n') {
        return Err(ProtocolError::Closed);
    }
    let header: ReplyHeader = serde_json::from_slice(&line)?;
    let mut stdout = vec![0; header.stdout];
    reader.read_exact(&mut stdout).await.map_err(closed)?;
    let mut stderr = vec![0; header.stderr];
    reader.read_exact(&mut stderr).await.map_err(closed)?;
    Ok(Reply {
        exit_code: header.exit_code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

fn closed(e: std::io::Error) -> ProtocolError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        ProtocolError::Closed
    } else {
        ProtocolError::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_and_replies_survive_the_wire() {
        let request = Request::Run(Invocation {
            command: Command::Qsub,
            args: vec!["-N".into(), "a b\nc".into()],
            cwd: "/home/alice".into(),
            host: "login001".into(),
            env: BTreeMap::from([("HOME".into(), "/home/alice".into())]),
            script: Some(Script {
                text: "#!/bin/bash\n#PBS -l walltime=1:00\necho hi\n".into(),
                path: Some("job.sh".into()),
            }),
        });
        let mut wire = Vec::new();
        write_request(&mut wire, &request).await.unwrap();
        assert_eq!(read_request(&wire[..]).await.unwrap(), request);

        let reply = Reply {
            exit_code: 153,
            stdout: "line1\nline2\n".into(),
            stderr: "qstat: Unknown Job Id 1.pbs02\n".into(),
        };
        let mut wire = Vec::new();
        write_reply(&mut wire, &reply).await.unwrap();
        assert_eq!(read_reply(&wire[..]).await.unwrap(), reply);
    }

    #[tokio::test]
    async fn a_cut_reply_is_an_error_not_a_short_output() {
        let mut wire = Vec::new();
        write_reply(&mut wire, &Reply::out("0123456789"))
            .await
            .unwrap();
        wire.truncate(wire.len() - 3);
        assert!(matches!(
            read_reply(&wire[..]).await,
            Err(ProtocolError::Closed)
        ));
        assert!(matches!(
            read_request(&b"{\"request\""[..]).await,
            Err(ProtocolError::Closed)
        ));
    }
}
