//! `hub`: the hub's command line. So far the offline helpers an admin runs before the hub
//! starts: write the default config, check a config, hash a password for the users file.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

/// batchhub's hub: a JupyterHub-compatible gateway that runs notebook servers as batch jobs.
#[derive(Debug, Parser)]
#[command(name = "hub", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the default config, every setting shown with its default and what it does.
    ///
    /// The file holds no secret (the cookie key and tokens live in their own files), so it
    /// is written with the usual permissions.
    GenerateConfig {
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Overwrite FILE if it exists.
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// Check a config file: print every error, one per line as `file:line:col: setting:
    /// message`, and exit 1 if there is any; otherwise print `FILE: ok`.
    CheckConfig {
        /// The config file.
        file: PathBuf,
    },
    /// Read a password (one line) from standard input and print its argon2 hash, the value
    /// for a user in the `static-users` users file (`alice = "$argon2id$…"`).
    HashPassword,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::GenerateConfig { output, force } => generate_config(output.as_deref(), force),
        Command::CheckConfig { file } => check_config(&file),
        Command::HashPassword => hash_password(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hub: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn generate_config(output: Option<&Path>, force: bool) -> anyhow::Result<ExitCode> {
    let text = hub::config::generate_config();
    let Some(path) = output else {
        std::io::stdout().write_all(text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        // create_new: the existence check and the creation are one step, so a file made
        // meanwhile is not clobbered either.
        options.create_new(true);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} exists; use --force to overwrite it", path.display())
        }
        Err(e) => return Err(e).with_context(|| format!("cannot write {}", path.display())),
    };
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(ExitCode::SUCCESS)
}

fn check_config(path: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    match hub::config::check_config(&text, &path.display().to_string()) {
        Ok(_) => {
            println!("{}: ok", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for error in &errors {
                println!("{error}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

fn hash_password() -> anyhow::Result<ExitCode> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    // The line ending is not part of the password; other spaces are.
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!("empty password: write the password as one line on standard input");
    }
    println!("{}", hub::auth::static_users::hash_password(password));
    Ok(ExitCode::SUCCESS)
}
