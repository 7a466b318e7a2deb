//! The command line: parse arguments into a [`Config`], run, print diagnostics, pick the exit
//! code. All work happens in the library.

use std::fs::File;
use std::io::{self, BufRead, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use regex::Regex;

use claude_logscan::catalog::{Catalog, CLUSTERS};
use claude_logscan::input::ScanOptions;
use claude_logscan::report::DIMENSIONS;
use claude_logscan::{check, discover, time, Config, FailOn, Filters, Format, StatusFilter};

/// Exit codes (README.md, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// The run completed.
    Ok = 0,
    /// A `--fail-on` condition held, or `patterns check` found a miss.
    Condition = 1,
    /// Usage error, nothing could be read, or a catalog that does not load.
    Usage = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Find every failed Claude API call in a folder of logs, classify it by status, error type,
/// model and root cause, and say what to do about it.
#[derive(Debug, Parser)]
#[command(
    name = "claude-logscan",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan logs (the default when no subcommand is given).
    Scan(Box<ScanArgs>),
    /// List or check the signature catalog.
    Patterns {
        #[command(subcommand)]
        action: PatternsAction,
    },
    /// Show a signature by id, or classify a pasted error message or log excerpt.
    Explain {
        /// A signature id (`rate_limit.output_tokens`), an error message or log excerpt, or
        /// `-` to read the excerpt from stdin.
        query: Vec<String>,
        /// Extra signature directories (same as for scanning).
        #[arg(long = "patterns", value_name = "DIR")]
        patterns: Vec<PathBuf>,
    },
    /// Make the report of one run over the inputs of partial reports (`--format partial`).
    ///
    /// Filters, --by and --fail-on apply here, as in a run.
    #[command(mut_arg("paths", |a| a
        .value_name("PART")
        .help("Partial reports to merge (written with --format partial)")
        .long_help(None::<&str>)
        .default_value(None::<&str>)
        .required(true)))]
    Merge(Box<ScanArgs>),
    /// Print each line's signature as a failure message, a tab, and its template.
    ///
    /// One output line per input line, in order. The signature is a catalog id or
    /// `unknown.<hash>`; templates are grouped over all the lines, as a scan groups its
    /// unknown failures.
    Templates {
        /// Files or directories to read line by line (`-` reads stdin, the default).
        #[arg(value_name = "PATH", default_value = "-")]
        paths: Vec<String>,
        /// Extra signature directories (same as for scanning).
        #[arg(long = "patterns", value_name = "DIR")]
        patterns: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum PatternsAction {
    /// List every signature: id, cluster, priority, retryable, title.
    List {
        #[arg(long = "patterns", value_name = "DIR")]
        patterns: Vec<PathBuf>,
    },
    /// Run every example and counterexample through the production path; exit 1 on a miss.
    Check {
        /// Check only the signatures in this directory instead of the built-in catalog.
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// Summary and tables for a terminal.
    Table,
    /// A document for an incident review.
    Markdown,
    /// One self-contained page with charts (no request leaves it).
    Html,
    /// Aggregated rows (or events with --events), RFC 4180.
    Csv,
    /// The whole report as one JSON object.
    Json,
    /// One JSON object per failure (with --events).
    Ndjson,
    /// Events with real types, for DuckDB, Spark, pandas (with --events and -o FILE).
    Parquet,
    /// A partial report for `claude-logscan merge` (with -o FILE; no filters or --by).
    Partial,
}

#[derive(Debug, Clone, Args)]
struct ScanArgs {
    /// Files or directories to scan (`-` reads stdin). Directories are read recursively;
    /// `.gz` files are decompressed.
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<String>,

    /// Output format (default: from the -o FILE extension, .html .md .csv .json .parquet, else
    /// table)
    #[arg(long, short = 'f', value_enum, help_heading = "Output")]
    format: Option<FormatArg>,
    /// Write one row per failure instead of the report (`--format ndjson`, `csv` or `parquet`).
    #[arg(long, help_heading = "Output")]
    events: bool,
    /// Also write the events to FILE in the same pass: ndjson, or csv or parquet when FILE
    /// ends in .csv or .parquet.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    events_out: Option<PathBuf>,
    /// Write the main output to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE", help_heading = "Output")]
    output: Option<PathBuf>,
    /// Group the aggregated rows by these dimensions (comma-separated): status, http_status,
    /// error_type, cluster, signature, model, provider, endpoint, source_kind, file, minute,
    /// hour, day.
    #[arg(
        long,
        value_name = "DIMS",
        default_value = "cluster,signature",
        help_heading = "Output"
    )]
    by: String,
    /// Table output: every row and every fix, instead of the top rows of each table.
    #[arg(long, help_heading = "Output")]
    full: bool,
    /// Do not print per-file warnings on stderr.
    #[arg(long, short = 'q', help_heading = "Output")]
    quiet: bool,

    /// Only failures at or after this time: RFC 3339, a date (2025-10-02), or relative (2h, 7d).
    #[arg(long, value_name = "WHEN", help_heading = "Filters")]
    since: Option<String>,
    /// Only failures before this time (same forms as --since).
    #[arg(long, value_name = "WHEN", help_heading = "Filters")]
    until: Option<String>,
    /// Only failures of these models (comma-separated; matches normalised ids and substrings).
    #[arg(long, value_name = "MODELS", help_heading = "Filters")]
    model: Option<String>,
    /// Only failures of these clusters (comma-separated).
    #[arg(long, value_name = "CLUSTERS", help_heading = "Filters")]
    cluster: Option<String>,
    /// Only failures with these statuses (comma-separated: 429, 5xx, none).
    #[arg(long, value_name = "STATUSES", help_heading = "Filters")]
    status: Option<String>,

    /// Exit with 1 when any condition holds (comma-separated): any, a status (429, 5xx, none),
    /// a cluster, an error type, a signature id, or rate>0.05 / rate>5%.
    #[arg(long, value_name = "CONDITIONS", help_heading = "Behaviour")]
    fail_on: Option<String>,
    /// Extra signature directory (TOML files, same schema as patterns/); repeatable.
    #[arg(long = "patterns", value_name = "DIR", help_heading = "Behaviour")]
    patterns: Vec<PathBuf>,
    /// Extra URL path (regex) that counts as a Claude API call in access logs; repeatable.
    #[arg(long, value_name = "REGEX", help_heading = "Behaviour")]
    api_path: Vec<String>,
    /// Time zone for time stamps that have none: UTC (default) or an offset such as +02:00.
    #[arg(
        long,
        value_name = "ZONE",
        default_value = "UTC",
        help_heading = "Behaviour"
    )]
    tz: String,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N", help_heading = "Behaviour")]
    threads: Option<usize>,
    /// Longest line kept whole, in bytes; longer lines are cut (with a warning).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20, help_heading = "Behaviour")]
    max_line_bytes: usize,
    /// Pin "now" for relative --since/--until (tests).
    #[arg(long, hide = true)]
    now: Option<String>,
    /// Split plain-text files of at least twice this size into chunks scanned in parallel
    /// (0: never); tests use small chunks to check that chunking changes nothing.
    #[arg(long, hide = true, default_value_t = ScanOptions::default().chunk_bytes)]
    chunk_bytes: u64,
    /// How far before its chunk a chunk's scan starts.
    #[arg(long, hide = true, default_value_t = ScanOptions::default().warmup_bytes)]
    warmup_bytes: u64,
    /// Hand final failure records to classification once this many are held; tests use 1
    /// to check that settling early changes nothing.
    #[arg(long, hide = true, default_value_t = ScanOptions::default().settle_batch)]
    settle_batch: usize,
    /// Keep at most this many failure records that wait for the end of the run (those with
    /// a request id) in memory, the rest in a temporary file; tests use 0.
    #[arg(long, hide = true, default_value_t = ScanOptions::default().held_in_memory)]
    held_in_memory: usize,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code.into();
        }
    };
    let result = match cli.command {
        None => scan(cli.scan),
        Some(Command::Scan(args)) => scan(*args),
        Some(Command::Merge(args)) => merge(*args),
        Some(Command::Patterns { action }) => patterns(action),
        Some(Command::Explain { query, patterns }) => explain(query, patterns),
        Some(Command::Templates { paths, patterns }) => templates(paths, patterns),
    };
    report_peak_memory();
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            if is_broken_pipe(&e) {
                return Exit::Ok.into();
            }
            eprintln!("claude-logscan: {e:#}");
            Exit::Usage.into()
        }
    }
}

/// With `CLAUDE_LOGSCAN_PEAK_RSS=1`, the process's own peak resident memory on stderr (Linux:
/// `VmHWM` of `/proc/self/status`). For the benchmark and the hostile-input tests: `getrusage`
/// seen from a parent counts the memory of the process it was forked from.
fn report_peak_memory() {
    if std::env::var_os("CLAUDE_LOGSCAN_PEAK_RSS").is_none_or(|v| v != "1") {
        return;
    }
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return;
    };
    if let Some(kb) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        eprintln!("claude-logscan: peak resident memory {kb} KiB");
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// A usage error: print it the way clap would and exit 2.
fn usage(msg: impl std::fmt::Display) -> anyhow::Result<Exit> {
    eprintln!("claude-logscan: {msg}");
    Ok(Exit::Usage)
}

fn split(list: &Option<String>) -> Vec<String> {
    list.as_deref()
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The format a `-o FILE` name asks for when `--format` is not given (`.json` holds NDJSON
/// events with `--events`).
fn format_of_path(path: Option<&std::path::Path>, events: bool) -> FormatArg {
    let ext = path
        .and_then(|p| p.extension())
        .and_then(|x| x.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => FormatArg::Html,
        Some("md" | "markdown") => FormatArg::Markdown,
        Some("csv") => FormatArg::Csv,
        Some("json") if !events => FormatArg::Json,
        Some("json" | "ndjson" | "jsonl") => FormatArg::Ndjson,
        Some("parquet") => FormatArg::Parquet,
        _ => FormatArg::Table,
    }
}

fn load_catalog(dirs: &[PathBuf]) -> Result<Catalog, String> {
    Catalog::load(dirs).map_err(|e| format!("signature catalog: {e}"))
}

fn scan(args: ScanArgs) -> anyhow::Result<Exit> {
    run(args, false)
}

fn merge(args: ScanArgs) -> anyhow::Result<Exit> {
    if args.events || args.events_out.is_some() {
        return usage("merge writes the report; events are written by the runs that make the partials (--events-out)");
    }
    run(args, true)
}

/// A scan (`merge`: a merge of partial reports).
fn run(args: ScanArgs, merging: bool) -> anyhow::Result<Exit> {
    let partial = args.format == Some(FormatArg::Partial)
        || (args.format.is_none()
            && args
                .output
                .as_deref()
                .and_then(|p| p.extension())
                .is_some_and(|x| x.eq_ignore_ascii_case("clsp")));
    if partial {
        if merging {
            return usage("merge writes a report, not a partial: pick another --format");
        }
        if args.events {
            return usage("--format partial writes a partial report, not events");
        }
        if args.output.is_none() && io::stdout().is_terminal() {
            return usage("a partial report is binary: write it to a file with -o FILE");
        }
        let filtered = [
            &args.since,
            &args.until,
            &args.model,
            &args.cluster,
            &args.status,
            &args.fail_on,
        ]
        .iter()
        .any(|o| o.is_some());
        if filtered || args.by != "cluster,signature" {
            return usage(
                "--format partial keeps every failure: give filters, --by and --fail-on to `merge`",
            );
        }
    }
    let format = match (
        args.format
            .unwrap_or_else(|| format_of_path(args.output.as_deref(), args.events)),
        args.events,
    ) {
        (FormatArg::Table, true) => Format::Ndjson,
        (FormatArg::Markdown | FormatArg::Html | FormatArg::Json, true) => {
            return usage("--events writes `ndjson`, `csv` or `parquet`, not this --format");
        }
        (FormatArg::Ndjson, false) => {
            return usage("--format ndjson is for --events; use --format json for the report");
        }
        (FormatArg::Parquet, false) => {
            return usage(
                "--format parquet is for --events (or --events-out FILE.parquet with a report)",
            );
        }
        (FormatArg::Parquet, true) if args.output.is_none() && io::stdout().is_terminal() => {
            return usage("Parquet is binary: write it to a file with -o FILE");
        }
        (f, _) => match f {
            FormatArg::Table | FormatArg::Partial => Format::Table,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Html => Format::Html,
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Parquet => Format::Parquet,
        },
    };
    let Some(tz) = time::parse_offset(&args.tz) else {
        return usage(format!(
            "--tz `{}`: expected UTC or an offset such as +02:00",
            args.tz
        ));
    };
    let by = split(&Some(args.by.clone()));
    if by.is_empty() {
        return usage("--by needs at least one dimension");
    }
    if let Some(bad) = by.iter().find(|d| !DIMENSIONS.contains(&d.as_str())) {
        return usage(format!(
            "--by `{bad}`: expected one of {}",
            DIMENSIONS.join(", ")
        ));
    }
    let now = match &args.now {
        Some(n) => match time::parse_when(n, chrono::Utc::now(), tz) {
            Some(t) => t,
            None => return usage(format!("--now `{n}`: expected an RFC 3339 time")),
        },
        None => chrono::Utc::now(),
    };
    let mut filters = Filters::default();
    for (flag, value, slot) in [
        ("--since", &args.since, &mut filters.since),
        ("--until", &args.until, &mut filters.until),
    ] {
        if let Some(v) = value {
            match time::parse_when(v, now, tz) {
                Some(t) => *slot = Some(t),
                None => {
                    return usage(format!(
                        "{flag} `{v}`: expected RFC 3339, a date (2025-10-02) or a relative time (30m, 2h, 7d)"
                    ))
                }
            }
        }
    }
    filters.models = split(&args.model);
    filters.clusters = split(&args.cluster);
    if let Some(bad) = filters
        .clusters
        .iter()
        .find(|c| !CLUSTERS.contains(&c.as_str()))
    {
        return usage(format!(
            "--cluster `{bad}`: expected one of {}",
            CLUSTERS.join(", ")
        ));
    }
    for s in split(&args.status) {
        match StatusFilter::parse(&s) {
            Some(f) => filters.statuses.push(f),
            None => return usage(format!("--status `{s}`: expected 429, 5xx or none")),
        }
    }
    let mut fail_on = Vec::new();
    for c in split(&args.fail_on) {
        match FailOn::parse(&c) {
            Ok(f) => fail_on.push(f),
            Err(e) => return usage(format!("--fail-on {e}")),
        }
    }
    let mut api_paths = Vec::new();
    for p in &args.api_path {
        match Regex::new(p) {
            Ok(r) => api_paths.push(r),
            Err(e) => return usage(format!("--api-path `{p}`: {e}")),
        }
    }
    if args.threads == Some(0) {
        return usage("--threads must be at least 1");
    }
    let catalog = match load_catalog(&args.patterns) {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let width = to_terminal
        .then(|| terminal_width().unwrap_or(render_width_default()))
        .map(|w| w.max(60));
    let cfg = Config {
        paths: args.paths.clone(),
        format,
        events: args.events,
        threads: args.threads,
        tz,
        catalog,
        scan: ScanOptions {
            max_line_bytes: args.max_line_bytes.max(1024),
            api_paths,
            chunk_bytes: args.chunk_bytes,
            warmup_bytes: args.warmup_bytes,
            progress: None,
            settle_batch: args.settle_batch,
            held_in_memory: args.held_in_memory,
        },
        by,
        filters,
        fail_on,
        width,
        full: args.full,
        progress: !args.quiet && io::stderr().is_terminal(),
    };

    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let mut events_file = match &args.events_out {
        Some(p) => Some((
            BufWriter::new(File::create(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?),
            match p
                .extension()
                .and_then(|x| x.to_str())
                .map(str::to_ascii_lowercase)
            {
                Some(x) if x == "csv" => Format::Csv,
                Some(x) if x == "parquet" => Format::Parquet,
                _ => Format::Ndjson,
            },
        )),
        None => None,
    };
    let outcome = if merging {
        match claude_logscan::partial::merge(&cfg, &mut out) {
            Ok(o) => o,
            // A partial that cannot be merged is bad input: named, with the reason, exit 2.
            Err(e)
                if e.downcast_ref::<claude_logscan::partial::BadPartial>()
                    .is_some() =>
            {
                return usage(e);
            }
            Err(e) => return Err(e),
        }
    } else if partial {
        claude_logscan::partial::write_partial(
            &cfg,
            &mut out,
            events_file.as_mut().map(|(w, f)| (w as &mut dyn Write, *f)),
        )?
    } else {
        claude_logscan::run(
            &cfg,
            &mut out,
            events_file.as_mut().map(|(w, f)| (w as &mut dyn Write, *f)),
        )?
    };
    out.flush()?;
    if let Some((mut w, _)) = events_file {
        w.flush()?;
    }
    if !args.quiet {
        let stderr = io::stderr();
        let mut err = stderr.lock();
        for d in &outcome.diagnostics {
            let _ = writeln!(err, "claude-logscan: {d}");
        }
    }
    if outcome.nothing_read {
        eprintln!("claude-logscan: nothing could be read from the given paths");
        return Ok(Exit::Usage);
    }
    Ok(if outcome.fail_on_held {
        Exit::Condition
    } else {
        Exit::Ok
    })
}

fn render_width_default() -> u16 {
    claude_logscan::render::PIPE_WIDTH
}

fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS").ok()?.trim().parse().ok()
}

fn patterns(action: PatternsAction) -> anyhow::Result<Exit> {
    match action {
        PatternsAction::List { patterns } => {
            let catalog = match load_catalog(&patterns) {
                Ok(c) => c,
                Err(e) => return usage(e),
            };
            let mut out = BufWriter::new(io::stdout().lock());
            for s in catalog.signatures() {
                writeln!(
                    out,
                    "{}\t{}\tpriority {}\t{}\t{}",
                    s.id,
                    s.cluster,
                    s.priority,
                    if s.retryable {
                        "retryable"
                    } else {
                        "not retryable"
                    },
                    s.title
                )?;
            }
            out.flush()?;
            Ok(Exit::Ok)
        }
        PatternsAction::Check { dir } => {
            let catalog = match &dir {
                Some(d) => Catalog::load_dir_only(d),
                None => Catalog::load(&[] as &[PathBuf]),
            };
            let catalog = match catalog {
                Ok(c) => c,
                Err(e) => return usage(format!("signature catalog: {e}")),
            };
            let result = check::run(&catalog);
            let mut out = BufWriter::new(io::stdout().lock());
            for miss in &result.misses {
                writeln!(out, "MISS {miss}")?;
            }
            writeln!(
                out,
                "{} signatures, {} examples, {} counterexamples: {} passed, {} failed",
                result.signatures,
                result.examples,
                result.counterexamples,
                result.examples + result.counterexamples - result.misses.len(),
                result.misses.len()
            )?;
            out.flush()?;
            Ok(if result.misses.is_empty() {
                Exit::Ok
            } else {
                Exit::Condition
            })
        }
    }
}

fn explain(query: Vec<String>, patterns: Vec<PathBuf>) -> anyhow::Result<Exit> {
    let catalog = match load_catalog(&patterns) {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let text = if query.len() == 1 && query[0] == "-" {
        let mut s = String::new();
        io::stdin().read_to_string(&mut s)?;
        s
    } else {
        query.join(" ")
    };
    if text.trim().is_empty() {
        return usage("explain needs a signature id, an error message, or `-` for stdin");
    }
    let mut out = BufWriter::new(io::stdout().lock());
    match check::explain(&catalog, text.trim()) {
        check::Explanation::Unknown => {
            drop(out);
            return usage(format!(
                "`{}` is not a signature id, and no failure could be read from it",
                claude_logscan::redact::redact(text.trim())
            ));
        }
        e => write!(out, "{}", e.render())?,
    }
    out.flush()?;
    Ok(Exit::Ok)
}

/// The lines of the inputs, one input after the other, read as they are asked for; a
/// problem with an input is printed and ends that input.
struct InputLines {
    inputs: std::vec::IntoIter<discover::Input>,
    current: Option<(String, Box<dyn BufRead + Send>)>,
    /// Inputs that could be opened.
    opened: usize,
    buf: Vec<u8>,
}

impl Iterator for InputLines {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        loop {
            if let Some((name, reader)) = &mut self.current {
                self.buf.clear();
                match reader.read_until(b'\n', &mut self.buf) {
                    Ok(0) => {}
                    Ok(_) => return Some(String::from_utf8_lossy(&self.buf).into_owned()),
                    Err(e) => eprintln!("claude-logscan: {name}: {}", discover::io_reason(&e)),
                }
                self.current = None;
            }
            let input = self.inputs.next()?;
            match discover::open(&input) {
                Ok(reader) => {
                    self.opened += 1;
                    self.current = Some((input.display().to_string(), reader));
                }
                Err(e) => eprintln!(
                    "claude-logscan: {}: {}",
                    input.display(),
                    discover::io_reason(&e)
                ),
            }
        }
    }
}

/// `templates`: the lines of every input, in order, each with its signature and template.
fn templates(paths: Vec<String>, patterns: Vec<PathBuf>) -> anyhow::Result<Exit> {
    let catalog = match load_catalog(&patterns) {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let (inputs, problems) = discover::discover(&paths);
    for p in &problems {
        eprintln!("claude-logscan: {}: {}", p.file, p.reason);
    }
    let mut lines = InputLines {
        inputs: inputs.into_iter(),
        current: None,
        opened: 0,
        buf: Vec::new(),
    };
    let found = check::templates(&catalog, &mut lines);
    if lines.opened == 0 {
        eprintln!("claude-logscan: nothing could be read from the given paths");
        return Ok(Exit::Usage);
    }
    let mut out = BufWriter::new(io::stdout().lock());
    for (signature, template) in found.lines() {
        writeln!(out, "{signature}\t{template}")?;
    }
    out.flush()?;
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn exit_codes_are_the_documented_numbers() {
        assert_eq!(Exit::Ok as u8, 0);
        assert_eq!(Exit::Condition as u8, 1);
        assert_eq!(Exit::Usage as u8, 2);
    }

    #[test]
    fn the_output_file_name_picks_the_format() {
        use std::path::Path;
        let f = |p: &str, events| format_of_path(Some(Path::new(p)), events);
        assert_eq!(f("report.html", false), FormatArg::Html);
        assert_eq!(f("REPORT.MD", false), FormatArg::Markdown);
        assert_eq!(f("report.json", false), FormatArg::Json);
        assert_eq!(f("events.json", true), FormatArg::Ndjson);
        assert_eq!(f("events.parquet", true), FormatArg::Parquet);
        assert_eq!(f("report.txt", false), FormatArg::Table);
        assert_eq!(format_of_path(None, false), FormatArg::Table);
    }

    #[test]
    fn subcommands_win_over_paths_but_dot_slash_scans() {
        let c = Cli::try_parse_from(["claude-logscan", "patterns", "list"]).unwrap();
        assert!(matches!(c.command, Some(Command::Patterns { .. })));
        let c = Cli::try_parse_from(["claude-logscan", "./patterns"]).unwrap();
        assert!(c.command.is_none());
        assert_eq!(c.scan.paths, vec!["./patterns"]);
    }
}
