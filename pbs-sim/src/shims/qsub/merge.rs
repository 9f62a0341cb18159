//! Step 2 of qsub: directives under the command line, then PBS's pre-submission checks, in
//! the order qsub meets them: directives (exit 1), `-X` and `-m j` (exit 1), the
//! destination (exit 2), `-v` (exit 1), then the attribute values (exit 2, or the
//! resource error's `pbs_errno & 0xFF`).

use drivers::resources::ResourceList;

use super::super::{ClientError, Destination};
use super::directives::find_directives;
use super::options::{Level, Options, NO_INTERACTIVE};
use super::values::{
    check_job_name, is_array_range, is_depend, is_join, is_keep, is_mail_points, parse_priority,
    NameError,
};
use super::variables::{basic_variables, expand_v, whole_environment, Origin};
use super::{usage_error, JobBody, JobSource, Join, QsubCommandLine, QsubRequest, SubmitContext};

/// The directive prefix: `-C` (empty turns scanning off), else `PBS_DPREFIX`, else `#PBS`.
fn prefix<'a>(options: &'a Options, ctx: &'a SubmitContext) -> &'a str {
    match options.prefix.get() {
        Some(p) => p,
        None => ctx.env.get("PBS_DPREFIX").map_or("#PBS", String::as_str),
    }
}

/// Reads the directives of `script` into `options` at directive precedence.
fn read_directives(
    options: &mut Options,
    script: &str,
    ctx: &SubmitContext,
) -> Result<(), ClientError> {
    let prefix = prefix(options, ctx).to_string();
    for directive in find_directives(script, &prefix)? {
        let reading = options.read(&directive.words, Level::Directive);
        // In a directive any operand (or `--`) is a stray word.
        let stray = !reading.scan.operands.is_empty() || reading.scan.ddash.is_some();
        if reading.errors > 0 || stray {
            let mut text = reading.stderr;
            text.push_str("qsub: directive error: ");
            for word in &directive.words {
                text.push_str(word);
                text.push(' ');
            }
            text.push('\n');
            return Err(ClientError::new(text, 1));
        }
    }
    Ok(())
}

/// Step 2: reads `script`'s directives (when the job has a script), checks every value and
/// builds the request. `script_name` is the path given to qsub (its basename is the
/// default job name); `None` for stdin.
pub fn build_request(
    cmdline: &QsubCommandLine,
    script: &str,
    script_name: Option<&str>,
    ctx: &SubmitContext,
) -> Result<QsubRequest, ClientError> {
    let mut options = cmdline.options.clone();
    let body = match &cmdline.source {
        JobSource::Command { program, args } => JobBody::Command {
            program: program.clone(),
            args: args.clone(),
        },
        JobSource::Script(_) | JobSource::Stdin => {
            read_directives(&mut options, script, ctx)?;
            JobBody::Script(script.to_string())
        }
    };
    if options.x11.get().is_some() {
        // -X needs DISPLAY, and then an interactive job, which the simulator cannot run.
        return Err(match ctx.env.get("DISPLAY") {
            None => usage_error("qsub: DISPLAY not set\n"),
            Some(_) => ClientError::new(NO_INTERACTIVE, 1),
        });
    }
    let mail_points = options
        .mail_points
        .get()
        .cloned()
        .unwrap_or_else(|| "a".into());
    if mail_points.contains('j') && !options.is_array() {
        return Err(ClientError::new(
            "qsub: mail option 'j' can not be used without array job\n",
            1,
        ));
    }
    let destination_text = options.destination.get().cloned().unwrap_or_default();
    let destination = Destination::parse(&destination_text).ok_or_else(|| {
        ClientError::new(
            format!("qsub: illegally formed destination: {destination_text}\n"),
            2,
        )
    })?;
    let mut variables = basic_variables(
        &ctx.env,
        Origin {
            cwd: &ctx.cwd,
            host: &ctx.host,
            queue: destination.queue.as_deref(),
        },
    );
    if let Some(list) = options.variables.get() {
        variables.extend(expand_v(list, &ctx.env)?);
    }
    if options.export_all.get().is_some() {
        // A -v value stands over the same name from -V.
        for (name, value) in whole_environment(&ctx.env) {
            if !variables.iter().any(|(n, _)| *n == name) {
                variables.push((name, value));
            }
        }
    }
    let job_name = job_name(&options, &cmdline.source, script_name)?;
    let resources: Vec<String> = options.resources.iter().map(|r| r.assignment()).collect();
    check_resources(&resources)?;
    let join = match options.join.get().map(String::as_str) {
        None | Some("n") => Join::No,
        Some("oe") => Join::OutputAndError,
        Some("eo") => Join::ErrorAndOutput,
        Some(_) => return Err(illegal('j')),
    };
    let keep_files = options.keep.get().cloned().unwrap_or_else(|| "n".into());
    if !is_keep(&keep_files) {
        return Err(illegal('k'));
    }
    if !is_mail_points(&mail_points) {
        return Err(illegal('m'));
    }
    let priority = match options.priority.get() {
        None => 0,
        Some(text) => parse_priority(text).ok_or_else(|| illegal('p'))?,
    };
    if options.depend.get().is_some_and(|d| !is_depend(d)) {
        return Err(illegal('W'));
    }
    if options.array.get().is_some_and(|r| !is_array_range(r)) {
        return Err(illegal('J'));
    }
    debug_assert!(options.join.get().is_none_or(|j| is_join(j)));
    Ok(QsubRequest {
        job_name,
        queue: destination.queue,
        server: destination.server,
        resources,
        join,
        output_path: options.output_path.value,
        error_path: options.error_path.value,
        variables,
        user_hold: options.hold.get().is_some(),
        depend: options.depend.value,
        account: options.account.value,
        mail_points,
        mail_users: options.mail_users.value,
        rerunnable: options.rerunnable.get() != Some(&'n'),
        priority,
        checkpoint: options.checkpoint.value.unwrap_or_else(|| "u".into()),
        keep_files,
        execution_time: options.a.value,
        project: options.project.value,
        shell: options.shell.value,
        user_list: options.user_list.value,
        remove_files: options.remove_files.value,
        array_range: options.array.value,
        max_run_subjobs: options.max_run_subjobs,
        body,
        submit_arguments: cmdline.submit_arguments.clone(),
        suppress_id: options.suppress_id.get().is_some(),
        other_attributes: options
            .other_attributes
            .into_iter()
            .filter_map(|(k, slot)| slot.value.map(|v| (k, v)))
            .collect(),
        user: ctx.user.clone(),
        submit_host: ctx.host.clone(),
    })
}

/// `qsub: illegal -<c> value` from the client library's checks: exit 2, no usage.
fn illegal(c: char) -> ClientError {
    ClientError::new(format!("qsub: illegal -{c} value\n"), 2)
}

/// The job name and its check: `-N`, else the script's basename, else `STDIN`.
fn job_name(
    options: &Options,
    source: &JobSource,
    script_name: Option<&str>,
) -> Result<String, ClientError> {
    let name = match (options.name.get(), source, script_name) {
        (Some(n), _, _) => n.clone(),
        (None, JobSource::Script(path), _) => basename(path),
        (None, JobSource::Stdin, Some(path)) if path != "-" && !path.is_empty() => basename(path),
        _ => "STDIN".to_string(),
    };
    match check_job_name(&name) {
        Ok(()) => Ok(name),
        Err(NameError::TooLong) => Err(ClientError::new("qsub: Job name is too long \n", 2)),
        Err(NameError::Illegal) => Err(usage_error("qsub: illegal -N value\n")),
    }
}

fn basename(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// The client-side resource checks: built-in values and the select/old-style rules, with
/// PBS's texts and exit codes (`pbs_errno & 0xFF`).
fn check_resources(resources: &[String]) -> Result<(), ClientError> {
    let items: Vec<&str> = resources.iter().map(String::as_str).collect();
    ResourceList::parse(&items)
        .map(drop)
        .map_err(|e| ClientError::new(format!("qsub: {e}\n"), i32::from(e.exit_code())))
}
