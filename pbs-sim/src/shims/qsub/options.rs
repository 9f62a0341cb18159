//! qsub's options, accumulated the way `qsub.c`'s `process_opts` does: every option has a
//! slot remembering the precedence level that set it, and a level may only overwrite a
//! slot set at its own level or below (`if_cmd_line(x) if (x <= passet)`). The command
//! line is read first at [`Level::CommandLine`], then the script's directives at
//! [`Level::Directive`], so the command line always wins and, within one level, the last
//! occurrence wins.
//!
//! `-l` is different (`set_resources`): command-line resources are always appended, a
//! directive resource only if no resource of that name is there yet — so within a script
//! the *first* `-l foo=` wins.
//!
//! Checks that PBS makes while reading options (`-a`, `-c`, `-r`, `-J`, `-W`, `-l` syntax)
//! are made here and reported as PBS prints them; value checks PBS leaves to submission
//! time live in the `merge` module.

use serde::{Deserialize, Serialize};

use super::super::getopt::{getopt, Event, Ordering, Scan};
use super::values::{is_cvtdate, split_equal_list, split_resources};

/// qsub's option string (Linux).
pub const OPTSTRING: &str = "a:A:c:C:e:fhIj:J:k:l:m:M:N:o:p:q:r:R:S:u:v:VW:XzP:";

/// A precedence level (`CMDLINE` and `CMDLINE-1` in `qsub.c`; server defaults would be
/// one lower).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    /// Options in a `#PBS` directive.
    Directive = 2,
    /// Options on the command line.
    CommandLine = 3,
}

/// One option's value and the level that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot<T> {
    /// The value, if any level set it.
    pub value: Option<T>,
    level: Option<Level>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            value: None,
            level: None,
        }
    }
}

impl<T> Slot<T> {
    /// Whether `level` may set this slot: nothing set it yet, or a level no higher.
    pub fn open_to(&self, level: Level) -> bool {
        self.level.is_none_or(|set| set <= level)
    }

    /// Sets the value if `level` may; returns whether it did.
    fn set(&mut self, level: Level, value: T) -> bool {
        let open = self.open_to(level);
        if open {
            self.value = Some(value);
            self.level = Some(level);
        }
        open
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        self.value.as_ref()
    }
}

/// One `-l` resource as typed: the name and the raw value text (quotes kept), or no value
/// when the item had no `=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceItem {
    /// The resource name.
    pub name: String,
    /// The value as typed, if the item had `=`.
    pub value: Option<String>,
}

impl ResourceItem {
    /// `name=value` (or `name`), as qsub sends it.
    pub fn assignment(&self) -> String {
        match &self.value {
            Some(v) => format!("{}={v}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Every qsub option, with precedence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// `-a`: execution time as typed (`[[[[CC]YY]MM]DD]hhmm[.SS]`, checked).
    pub a: Slot<String>,
    /// `-A`: account string.
    pub account: Slot<String>,
    /// `-c`: checkpoint.
    pub checkpoint: Slot<String>,
    /// `-C`: directive prefix (only the command line's counts: scanning starts after it).
    pub prefix: Slot<String>,
    /// `-e`: error path.
    pub error_path: Slot<String>,
    /// `-h`: user hold.
    pub hold: Slot<()>,
    /// `-j`: join.
    pub join: Slot<String>,
    /// `-J`: array range, without `%max`.
    pub array: Slot<String>,
    /// `%max` of `-J`, or `-W max_run_subjobs`.
    pub max_run_subjobs: Option<String>,
    /// `-k`: keep files.
    pub keep: Slot<String>,
    /// `-l` resources in the order qsub would send them.
    pub resources: Vec<ResourceItem>,
    /// `-m`: mail points.
    pub mail_points: Slot<String>,
    /// `-M`: mail users.
    pub mail_users: Slot<String>,
    /// `-N`: job name.
    pub name: Slot<String>,
    /// `-o`: output path.
    pub output_path: Slot<String>,
    /// `-p`: priority, as typed (leading blanks dropped).
    pub priority: Slot<String>,
    /// `-P`: project.
    pub project: Slot<String>,
    /// `-q`: destination.
    pub destination: Slot<String>,
    /// `-r`: `y` or `n`.
    pub rerunnable: Slot<char>,
    /// `-R`: remove files.
    pub remove_files: Slot<String>,
    /// `-S`: shell path list.
    pub shell: Slot<String>,
    /// `-u`: user list.
    pub user_list: Slot<String>,
    /// `-v`: the variable list as typed (expanded against the environment later).
    pub variables: Slot<String>,
    /// `-V`: export the whole environment.
    pub export_all: Slot<()>,
    /// `-W depend=…`.
    pub depend: Slot<String>,
    /// Other `-W attr=value`, each with its own precedence, in first-set order.
    pub other_attributes: Vec<(String, Slot<String>)>,
    /// `-X`: X11 forwarding.
    pub x11: Slot<()>,
    /// `-z`: do not print the job id.
    pub suppress_id: Slot<()>,
}

/// What reading one level's words found besides options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// Messages PBS prints while reading, in order.
    pub stderr: String,
    /// How many errors were counted (`errflg`).
    pub errors: usize,
    /// The getopt scan (operands, `--`).
    pub scan: Scan,
}

const BAD_W: &str = "qsub: illegal -W value\n";
const NO_RERUN_ARRAY: &str = "qsub:  cannot submit non-rerunable Array Job\n";
/// The simulator has no terminal to attach an interactive job to.
pub const NO_INTERACTIVE: &str = "qsub: interactive jobs (-I) are not supported by pbs-sim\n";

impl Options {
    /// Reads `words` (argv without argv\[0\], or one directive line) at `level`.
    pub fn read(&mut self, words: &[String], level: Level) -> Reading {
        let scan = getopt(words, OPTSTRING, Ordering::Permute);
        let mut reading = Reading::default();
        for event in &scan.events {
            let result = match event {
                Event::Opt(c, value) => self.apply(*c, value.as_deref().unwrap_or(""), level),
                other => Err(other.glibc_message("qsub").unwrap_or_default()),
            };
            if let Err(text) = result {
                reading.stderr.push_str(&text);
                reading.errors += 1;
            }
        }
        reading.scan = scan;
        reading
    }

    /// Whether the job is an array job (`-J` set at any level).
    pub fn is_array(&self) -> bool {
        self.array.get().is_some()
    }

    /// The effective `-r` letter (PBS's default is `y`).
    fn rerun_letter(&self) -> char {
        self.rerunnable.get().copied().unwrap_or('y')
    }

    fn apply(&mut self, c: char, value: &str, level: Level) -> Result<(), String> {
        let owned = || value.to_string();
        match c {
            'a' => {
                if self.a.open_to(level) {
                    if !is_cvtdate(value) {
                        return Err("qsub: illegal -a value\n".into());
                    }
                    self.a.set(level, owned());
                }
            }
            'A' => drop(self.account.set(level, owned())),
            'P' => drop(self.project.set(level, owned())),
            'c' => {
                if self.checkpoint.open_to(level) {
                    let v = value.trim_start();
                    // qsub.c refuses a lone "u" (unspecified) from the user.
                    if v == "u" {
                        return Err("qsub: illegal -c value\n".into());
                    }
                    self.checkpoint.set(level, v.to_string());
                }
            }
            'C' => drop(self.prefix.set(level, owned())),
            'e' => drop(self.error_path.set(level, owned())),
            'h' => drop(self.hold.set(level, ())),
            'f' => {}
            'I' => return Err(NO_INTERACTIVE.into()),
            'j' => drop(self.join.set(level, owned())),
            'J' => {
                if self.rerun_letter() != 'y' {
                    return Err(NO_RERUN_ARRAY.into());
                }
                if self.array.open_to(level) {
                    let (range, max) = match value.split_once('%') {
                        Some((range, max)) => (range, Some(max)),
                        None => (value, None),
                    };
                    self.array.set(level, range.to_string());
                    if let Some(max) = max {
                        if self.max_run_subjobs.is_some() {
                            return Err("qsub: multiple max_run_subjobs values found\n".into());
                        }
                        self.max_run_subjobs = Some(max.to_string());
                    }
                }
            }
            'k' => drop(self.keep.set(level, owned())),
            'l' => {
                let items = split_resources(value).ok_or("qsub: illegal -l value\n")?;
                for item in items {
                    let present = self.resources.iter().any(|r| r.name == item.name);
                    if level == Level::CommandLine || !present {
                        self.resources.push(item);
                    }
                }
            }
            'm' => drop(self.mail_points.set(level, value.trim_start().to_string())),
            'M' => drop(self.mail_users.set(level, owned())),
            'N' => drop(self.name.set(level, owned())),
            'o' => drop(self.output_path.set(level, owned())),
            'p' => drop(self.priority.set(level, value.trim_start().to_string())),
            'q' => drop(self.destination.set(level, owned())),
            'r' => {
                if self.rerunnable.open_to(level) {
                    let letter = match value {
                        "y" => 'y',
                        "n" => 'n',
                        _ => return Err("qsub: illegal -r value\n".into()),
                    };
                    if letter == 'n' && self.is_array() {
                        return Err(NO_RERUN_ARRAY.into());
                    }
                    self.rerunnable.set(level, letter);
                }
            }
            'R' => drop(self.remove_files.set(level, owned())),
            'S' => drop(self.shell.set(level, owned())),
            'u' => drop(self.user_list.set(level, owned())),
            'v' => drop(self.variables.set(level, owned())),
            'V' => drop(self.export_all.set(level, ())),
            'W' => return self.apply_w(value, level),
            'X' => drop(self.x11.set(level, ())),
            'z' => drop(self.suppress_id.set(level, ())),
            // getopt only returns letters of the option string.
            _ => return Err(String::new()),
        }
        Ok(())
    }

    /// `-W attr=value[,attr=value…]`.
    fn apply_w(&mut self, value: &str, level: Level) -> Result<(), String> {
        let value = value.trim_start();
        if value.is_empty() {
            return Err(BAD_W.into());
        }
        let pairs = split_equal_list(value).ok_or(BAD_W)?;
        for (key, v) in pairs {
            match key.as_str() {
                "depend" => drop(self.depend.set(level, v)),
                "interactive" => {
                    if v.eq_ignore_ascii_case("true") {
                        return Err(NO_INTERACTIVE.into());
                    }
                    if !v.eq_ignore_ascii_case("false") {
                        return Err(BAD_W.into());
                    }
                }
                "block" if !(v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")) => {
                    return Err(BAD_W.into());
                }
                "max_run_subjobs" => {
                    if self.max_run_subjobs.is_some() {
                        return Err("qsub: multiple max_run_subjobs values found\n".into());
                    }
                    self.max_run_subjobs = Some(v);
                }
                _ => match self.other_attributes.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, slot)) => drop(slot.set(level, v)),
                    None => {
                        let mut slot = Slot::default();
                        slot.set(level, v);
                        self.other_attributes.push((key, slot));
                    }
                },
            }
        }
        Ok(())
    }
}
