//! Command-line interface: arguments (clap derive) and exit codes. Each subcommand's work is
//! in [`crate::commands`].

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use gigcheck_core::report::{ReportKind, ReportTarget};
use gigcheck_servers::sandbox::{Defect, Variations};
use std::path::PathBuf;

/// Exit codes, as documented in `gigcheck --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// At least one scenario passed and none failed (skipped ones do not fail a run unless
    /// `--fail-on-skip` is given).
    Passed = 0,
    /// At least one check failed, or nothing ran (every scenario was skipped).
    Failed = 1,
    /// A spec or usage error: nothing was sent.
    Usage = 2,
    /// The target could not be reached at all.
    Unreachable = 3,
    /// Stopped by Ctrl-C (SIGINT) or SIGTERM; the reports hold what ran (128 + SIGINT, as shells do).
    Interrupted = 130,
}

#[derive(Debug, Parser)]
#[command(
    name = "gigcheck",
    version,
    about = "Black-box contract checks for GigGatek's order-management and payment API",
    long_about = "Black-box contract checks for GigGatek's order-management and payment API.\n\n\
        gigcheck runs YAML scenario specs against a running backend over HTTP and checks status,\n\
        headers, JSON values, JSON Schemas and snapshots; it reports in the terminal, and as\n\
        JUnit, JSON, HTML and Markdown files.",
    after_help = "Exit codes: 0 all passed · 1 a check failed · 2 spec or usage error (nothing sent) · 3 target unreachable · 130 interrupted"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Never colour the output (NO_COLOR is honoured too).
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios against a backend.
    Run(RunArgs),
    /// Check specs without sending anything: syntax, schemas, JSONPaths, variables, includes.
    Validate(ValidateArgs),
    /// List scenarios with their ids, names and tags.
    List(ListArgs),
    /// Check a target is ready to be tested (reachable, routes, accounts, admin, Stripe wiring,
    /// hooks, rate limits) and print the table, testing nothing else.
    Doctor(DoctorArgs),
    /// Serve the reference GigGatek backend on 127.0.0.1.
    Sandbox(SandboxArgs),
    /// Serve the stateful Stripe API emulator on 127.0.0.1.
    Stripe(StripeArgs),
    /// Prove the specs catch bugs: run them against the embedded sandbox, clean and then with
    /// each deliberate defect switched on, and show which scenarios caught which defect.
    Mutants(MutantsArgs),
    /// Send one request and show the answer, like Postman; `--save` keeps it as a spec step.
    #[command(
        override_usage = "gigcheck request [OPTIONS] <METHOD> <URL>\n       gigcheck request --forget",
        after_help = "Exit codes: 0 an answer came, whatever its status · 1 the answer came but a --capture found nothing in it, --as got no token, the body was over 16 MiB, or a file could not be written after all · 2 bad input (nothing sent) · 3 nothing answered (no connection, timeout)"
    )]
    Request(RequestArgs),
    /// Turn another tool's collection into gigcheck specs.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print the JSON Schema of the spec format, for editors (yaml-language-server), or with
    /// --report that of the JSON report.
    Schema(SchemaArgs),
    /// Find what no scenario asked about: walks through an order's life (order, pay, cancel,
    /// refund) with its state checked at every step, then requests drawn from the contract's
    /// schemas (valid, invalid, across identities), every answer checked against the contract.
    Explore(ExploreArgs),
    /// Print the contract (fixtures/contract.yaml and the schemas it names) as an OpenAPI 3.1
    /// document, for Swagger UI, Schemathesis, Prism and other OpenAPI tools.
    Openapi(OpenapiArgs),
    /// Work with saved reports: compare two runs, or join the slices of a sharded run.
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema of `--report json=…` files instead of spec files.
    #[arg(long)]
    pub report: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 nothing found · 1 something found, or the exploration could not be set up · 2 bad input (nothing sent) · 3 the target could not be reached"
)]
pub struct ExploreArgs {
    /// The backend to explore, e.g. http://127.0.0.1:5000 [default: base_url of the --env file,
    /// else the embedded sandbox and Stripe emulator, started for this exploration].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The gigcheck project (the folder holding fixtures/contract.yaml) [default: this folder,
    /// or the nearest one above it that has fixtures/contract.yaml].
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// An environment file: base_url, vars (admin_email…), secrets, as for `run`.
    #[arg(long, value_name = "FILE")]
    pub env: Option<PathBuf>,
    /// Set a variable (repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub vars: Vec<(String, String)>,
    /// The seed requests are drawn from; the same seed sends the same requests [default: a new
    /// one, printed].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// At most this many requests, the walks' included (they are made from 320 up).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: u64,
    /// Stop after this many seconds, whatever is left of --max-requests.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub time: Option<f64>,
    /// Requests at once [default: available parallelism].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_seconds)]
    pub timeout: f64,
    /// Switch on a planted bug in the embedded sandbox (repeatable).
    #[arg(long = "sandbox-defect", value_name = "NAME", value_parser = defect_parser(), conflicts_with = "base_url")]
    pub sandbox_defects: Vec<Defect>,
    /// Switch on a legitimate variation in the embedded sandbox (repeatable; `all`).
    #[arg(long = "sandbox-variation", value_name = "NAME", value_parser = variation_parser(), conflicts_with = "base_url")]
    pub sandbox_variations: Vec<Variations>,
    /// Write a report of the findings (repeatable): junit, json, html or markdown, e.g.
    /// `--report junit=reports/explore.xml`.
    #[arg(long = "report", value_name = "KIND=PATH", value_parser = parse_report)]
    pub reports: Vec<ReportTarget>,
    /// Write each finding as a spec to this folder (one file per cause), which `gigcheck run`
    /// fails on while the backend misbehaves; inside specs/ it uses the project's fixtures.
    #[arg(long, value_name = "DIR")]
    pub save_findings: Option<PathBuf>,
    /// Print every request as it is sent.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct OpenapiArgs {
    /// The gigcheck project (the folder holding fixtures/contract.yaml) [default: this folder,
    /// or the nearest one above it that has fixtures/contract.yaml].
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Folder of JSON Schemas [default: the project's fixtures/schemas].
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// The server the document names (`servers`), e.g. http://127.0.0.1:5000.
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub base_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Convert a Postman v2.1 collection: folders become spec files, requests become steps.
    Postman(PostmanArgs),
}

#[derive(Debug, Args)]
pub struct PostmanArgs {
    /// The exported collection (Collection v2.1 JSON).
    #[arg(value_name = "COLLECTION.json")]
    pub collection: PathBuf,
    /// A Postman environment export whose values become variables (secrets stay out of the specs).
    #[arg(long, value_name = "ENV.json")]
    pub environment: Option<PathBuf>,
    /// Folder to write the specs into.
    #[arg(long, value_name = "DIR", default_value = "specs/imported")]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Compare two JSON reports: what newly fails, what newly passes, what got slower.
    Diff(DiffArgs),
    /// Join the reports of a sharded run (`run --shard K/N`) into one: JUnit (.xml) or JSON
    /// (.json), picked by OUT's extension.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The merged report to write: a .xml (JUnit) or .json file.
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    /// The slices' reports, all of OUT's kind.
    #[arg(value_name = "IN", required = true)]
    pub inputs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier run's JSON report.
    #[arg(value_name = "OLD.json")]
    pub old: PathBuf,
    /// The later run's JSON report.
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,
    /// A scenario counts as slower when it took this many times as long, and at least
    /// --slower-by-ms more.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.5)]
    pub slower_factor: f64,
    /// Ignore slow-downs smaller than this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 50)]
    pub slower_by_ms: u64,
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// HTTP method, e.g. GET or POST.
    #[arg(
        value_name = "METHOD",
        required_unless_present = "forget",
        requires = "url"
    )]
    pub method: Option<String>,
    /// Absolute URL, or a path relative to the base URL (e.g. /api/orders).
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// A query parameter (repeatable), percent-encoded and added to any query the URL has;
    /// templates in VALUE render as in the URL.
    #[arg(long = "query", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub query: Vec<(String, String)>,
    /// A request header (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// A JSON body, inline or `@file`.
    #[arg(long, value_name = "JSON|@FILE", conflicts_with_all = ["form", "data"])]
    pub json: Option<String>,
    /// A form field (repeatable), sent as application/x-www-form-urlencoded.
    #[arg(long = "form", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub form: Vec<(String, String)>,
    /// A raw body, inline or `@file`, sent byte for byte (like curl's --data-binary: not parsed,
    /// no templates). Its Content-Type is application/x-www-form-urlencoded, as with curl's
    /// --data, unless -H gives one (e.g. -H 'Content-Type: text/plain').
    #[arg(long, value_name = "TEXT|@FILE", conflicts_with = "form")]
    pub data: Option<String>,
    /// An environment file: base_url, vars, secrets, hooks.
    #[arg(long, value_name = "FILE")]
    pub env: Option<PathBuf>,
    /// Set a variable (repeatable); wins over values stored by --capture.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub vars: Vec<(String, String)>,
    /// Base URL for relative URLs [default: the --env file's base_url].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Log in first with the environment's credentials: `admin` (GIGCHECK_ADMIN_EMAIL /
    /// GIGCHECK_ADMIN_PASSWORD) or `user` (GIGCHECK_USER_EMAIL / GIGCHECK_USER_PASSWORD).
    #[arg(long = "as", value_name = "USER", value_parser = ["admin", "user"])]
    pub login_as: Option<String>,
    /// Keep a value of the JSON answer for later requests (repeatable): `order_id=$.order.id`
    /// stores it in .gigcheck/request-vars.json (in the current folder), and every later
    /// `gigcheck request` run there can use {{order_id}}. With --save, the step captures it.
    #[arg(long = "capture", value_name = "NAME=$.PATH", value_parser = parse_key_value)]
    pub captures: Vec<(String, String)>,
    /// Forget the values --capture stored; alone, or before sending this request.
    #[arg(long)]
    pub forget: bool,
    /// Write the response body to FILE, as received, instead of printing it (the status line
    /// and headers are still printed).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Append the request as a step (with the observed status as its expectation) to this spec;
    /// the --var values become the scenario's vars and --capture the step's capture.
    #[arg(long, value_name = "SPEC_FILE")]
    pub save: Option<PathBuf>,
    /// Also print the request as a curl command.
    #[arg(long)]
    pub curl: bool,
    /// Print secrets in clear (in the terminal only).
    #[arg(long)]
    pub show_secrets: bool,
    /// Timeout in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_seconds)]
    pub timeout: f64,
    #[command(flatten)]
    pub tls: TlsArgs,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port to listen on, on 127.0.0.1 (0: any free port, printed at start).
    #[arg(long, default_value_t = 5000)]
    pub port: u16,
    /// SQLite file to keep data in across restarts [default: a temporary file].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Base URL of the Stripe API to call (the emulator, or Stripe itself).
    #[arg(
        long,
        value_name = "URL",
        env = "GIGCHECK_STRIPE_URL",
        default_value = "http://127.0.0.1:12111"
    )]
    pub stripe_api: String,
    /// Stripe secret key the sandbox uses.
    #[arg(
        long,
        value_name = "KEY",
        env = "GIGCHECK_STRIPE_SECRET_KEY",
        default_value = "sk_test_gigcheck_sandbox",
        hide_env_values = true
    )]
    pub stripe_secret_key: String,
    /// Secret that webhook signatures are checked with.
    #[arg(
        long,
        value_name = "SECRET",
        env = "GIGCHECK_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub webhook_secret: Option<String>,
    /// The admin account to create [default: admin@giggatek.test].
    #[arg(
        long,
        value_name = "EMAIL",
        env = "GIGCHECK_ADMIN_EMAIL",
        requires = "admin_password"
    )]
    pub admin_email: Option<String>,
    /// The admin account's password [default: generated and printed].
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "GIGCHECK_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,
    /// Switch on a deliberate bug (repeatable), to see whether a suite notices it.
    #[arg(long = "defect", value_name = "NAME", value_parser = defect_parser())]
    pub defects: Vec<Defect>,
    /// Switch on a legitimate variation (repeatable; `all` for every one), to see whether a
    /// suite passes on a backend that differs where the contract allows it.
    #[arg(long = "variation", value_name = "NAME", value_parser = variation_parser())]
    pub variations: Vec<Variations>,
}

#[derive(Debug, Args)]
pub struct StripeArgs {
    /// Port to listen on, on 127.0.0.1 (0: any free port, printed at start).
    #[arg(long, default_value_t = 12111)]
    pub port: u16,
    /// Where to deliver events (e.g. http://127.0.0.1:5000/api/payment/webhook).
    #[arg(long, value_name = "URL")]
    pub webhook_url: Option<String>,
    /// Secret that deliveries are signed with [default: generated and printed].
    #[arg(
        long,
        value_name = "SECRET",
        env = "GIGCHECK_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub webhook_secret: Option<String>,
}

/// Where specs are and what they may use.
/// Where the specs are when no path is given: a project's `specs/` folder.
pub const DEFAULT_SPECS: &str = "specs";
/// Where the JUnit report goes when no path is given, under the project.
pub const DEFAULT_JUNIT: &str = "reports/junit.xml";

#[derive(Debug, Args)]
pub struct SpecArgs {
    /// Spec files or folders [default: the project's specs/].
    #[arg(default_value = DEFAULT_SPECS)]
    pub paths: Vec<PathBuf>,
    /// The gigcheck project (the folder holding specs/, fixtures/ and reports/) [default: this
    /// folder, or the nearest one above it that has a specs/ folder].
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// An environment file: base_url, vars, secrets (by environment variable name), hooks.
    #[arg(long, value_name = "FILE")]
    pub env: Option<PathBuf>,
    /// Set a variable (repeatable); numbers and booleans keep their type.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub vars: Vec<(String, String)>,
    /// Folder of JSON Schemas [default: the nearest fixtures/schemas above the specs].
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
}

/// Which scenarios to take.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Only scenarios with this tag, on the scenario or its suite (repeatable: any of them).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only scenarios whose id or name contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Only slice K of N (e.g. 2/4), for spreading a run over N CI machines: the slices are
    /// disjoint, even, the same on every machine, and together cover the selection.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<gigcheck_core::selection::Shard>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub specs: SpecArgs,
    /// The backend to check [default: base_url of the --env file, else the embedded sandbox].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Also start the Stripe emulator on this port, as `run` does, for the Stripe check.
    #[arg(long, value_name = "PORT")]
    pub stripe_emulator: Option<u16>,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_seconds)]
    pub timeout: f64,
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// How HTTPS backends are trusted. The system's trusted authorities are used; `SSL_CERT_FILE`
/// or `SSL_CERT_DIR` replace them.
#[derive(Debug, Clone, Args, Default)]
pub struct TlsArgs {
    /// Also trust the certificate authorities in this PEM file (a private or company CA).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Present this client certificate (PEM; its key in the same file or in --key).
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The private key of --cert (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Do not check the backend's TLS certificate at all: anyone could be answering. Said
    /// loudly in the terminal and in every report.
    #[arg(long)]
    pub insecure: bool,
}

impl TlsArgs {
    /// The files read and checked; a usage error names the file.
    pub fn load(&self) -> Result<gigcheck_core::engine::http::Tls, String> {
        gigcheck_core::engine::http::Tls::load(
            self.cacert.as_deref(),
            self.cert.as_deref(),
            self.key.as_deref(),
            self.insecure,
        )
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub specs: SpecArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// The backend to test, e.g. http://127.0.0.1:5000 [default: base_url of the --env file,
    /// else the embedded sandbox and Stripe emulator, started for this run].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Also start the Stripe emulator on this port for an external backend (which must use it
    /// as its Stripe API base); events go to the backend's /api/payment/webhook.
    #[arg(long, value_name = "PORT")]
    pub stripe_emulator: Option<u16>,
    /// Start the embedded sandbox with this deliberate bug switched on (repeatable).
    #[arg(
        long = "sandbox-defect",
        value_name = "NAME",
        value_parser = defect_parser(),
        conflicts_with = "base_url"
    )]
    pub sandbox_defects: Vec<Defect>,
    /// Start the embedded sandbox with this legitimate variation switched on (repeatable;
    /// `all` for every one).
    #[arg(
        long = "sandbox-variation",
        value_name = "NAME",
        value_parser = variation_parser(),
        conflicts_with = "base_url"
    )]
    pub sandbox_variations: Vec<Variations>,
    /// Scenarios run at once [default: 8].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Where to write the JUnit report.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_JUNIT)]
    pub junit: PathBuf,
    /// Accept the current responses as the new snapshots.
    #[arg(long, conflicts_with = "ci")]
    pub update_snapshots: bool,
    /// CI mode: never write snapshots; a missing snapshot fails.
    #[arg(long)]
    pub ci: bool,
    /// Per-request timeout in seconds (a step's `timeout` overrides it).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_seconds)]
    pub timeout: f64,
    /// Stop starting scenarios after the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// A skipped scenario fails the run (exit 1): for CI jobs that must run everything, where
    /// a missing secret should not pass unnoticed.
    #[arg(long)]
    pub fail_on_skip: bool,
    /// Check redirect answers themselves instead of following them (by default a same-origin
    /// redirect is followed as a browser follows it; a suite's or step's `redirects:` wins).
    #[arg(long)]
    pub no_follow_redirects: bool,
    /// Show every request and response, not only failing ones.
    #[arg(long, short)]
    pub verbose: bool,
    /// Also write this report (repeatable): junit, json, html or markdown, e.g.
    /// `--report html=reports/run.html`. The JUnit report is written either way.
    #[arg(long = "report", value_name = "KIND=PATH", value_parser = parse_report)]
    pub reports: Vec<ReportTarget>,
    /// Print each request as a curl command as it is sent.
    #[arg(long)]
    pub curl: bool,
    /// Print secrets in clear in the terminal (never in report files).
    #[arg(long)]
    pub show_secrets: bool,
    #[command(flatten)]
    pub tls: TlsArgs,
}

#[derive(Debug, Args)]
pub struct MutantsArgs {
    #[command(flatten)]
    pub specs: SpecArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Only this defect (repeatable) [default: every defect]. Each defect is named after the
    /// contract rule it breaks, e.g. `orders.create.total-sum`.
    #[arg(long = "defect", value_name = "NAME", value_parser = defect_parser())]
    pub defects: Vec<Defect>,
    /// List the defects (each one's name and what it breaks) and run nothing.
    #[arg(long, conflicts_with_all = ["defects", "markdown"])]
    pub list: bool,
    /// Also write the table as Markdown to this file (README's mutants table is made so).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<std::path::PathBuf>,
    /// Run the clean sandbox and every defect run with this legitimate variation on
    /// (repeatable; `all` for every one).
    #[arg(
        long = "sandbox-variation",
        value_name = "NAME",
        value_parser = variation_parser()
    )]
    pub sandbox_variations: Vec<Variations>,
    /// Run each defect against only the scenarios that say they verify the rule it breaks
    /// (`verifies:`): a catch then also proves that claim, and the runs are several times
    /// shorter. A defect no verifying scenario catches is escaped, even if another would.
    #[arg(long, conflicts_with = "list")]
    pub verifying_only: bool,
    /// Scenarios at once over all runs; several runs go at once when this allows
    /// [default: twice the available parallelism].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Per-request timeout in seconds (a step's `timeout` overrides it).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_seconds)]
    pub timeout: f64,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub specs: SpecArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub specs: SpecArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// List the contract's rules (fixtures/contract.yaml) instead: each id, how many of the
    /// selected scenarios verify it, and its text.
    #[arg(long)]
    pub rules: bool,
}

/// A defect name (a contract rule's id); an unknown one is a usage error with the nearest name.
fn defect_parser() -> impl TypedValueParser<Value = Defect> {
    clap::builder::StringValueParser::new().try_map(|name| name.parse::<Defect>())
}

/// A variation name or `all`, as a set; an unknown one is a usage error that lists the names.
fn variation_parser() -> impl TypedValueParser<Value = Variations> {
    PossibleValuesParser::new(Variations::arg_names()).try_map(|name| name.parse::<Variations>())
}

/// An absolute http(s) URL.
fn parse_http_url(text: &str) -> Result<String, String> {
    match url::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(text.to_string()),
        _ => Err(format!(
            "`{text}` is not an http(s) URL such as http://127.0.0.1:5000"
        )),
    }
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

fn parse_report(text: &str) -> Result<ReportTarget, String> {
    let Some((kind, path)) = text.split_once('=') else {
        return Err(format!(
            "`{text}` is not KIND=PATH, e.g. html=reports/run.html (kinds: junit, json, html, markdown)"
        ));
    };
    let kind = ReportKind::parse(kind.trim()).ok_or_else(|| {
        format!("`{kind}` is not a report kind: use junit, json, html or markdown")
    })?;
    if path.trim().is_empty() {
        return Err(format!("`{text}` names no file after `=`"));
    }
    Ok(ReportTarget {
        kind,
        path: PathBuf::from(path),
    })
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(s),
        _ => Err(format!(
            "`{text}` is not a number of seconds between 0 and 86400"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// `--help` explains every flag and argument of every subcommand.
    #[test]
    fn every_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "gigcheck", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_run_options() {
        let cli = Cli::try_parse_from([
            "gigcheck",
            "run",
            "specs/a.yaml",
            "--base-url",
            "http://x",
            "--var",
            "a=1",
            "--tag",
            "orders",
            "--jobs",
            "2",
            "--timeout",
            "1.5",
            "--ci",
            "-v",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!()
        };
        assert_eq!(run.specs.vars, [("a".to_string(), "1".to_string())]);
        assert_eq!(run.jobs, Some(2));
        assert!(run.ci && run.verbose);
        assert!(Cli::try_parse_from(["gigcheck", "run", "--ci", "--update-snapshots"]).is_err());
        assert!(Cli::try_parse_from(["gigcheck", "run", "--jobs", "0"]).is_err());
        assert!(Cli::try_parse_from(["gigcheck", "run", "--var", "novalue"]).is_err());
    }

    #[test]
    fn parses_defects() {
        let cli = Cli::try_parse_from([
            "gigcheck",
            "run",
            "--sandbox-defect",
            "oversell-race",
            "--sandbox-defect",
            "no-admin-check",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!()
        };
        assert_eq!(
            run.sandbox_defects,
            [Defect::OversellRace, Defect::NoAdminCheck]
        );
        let cli = Cli::try_parse_from([
            "gigcheck",
            "run",
            "--sandbox-defect",
            "orders.create.total-sum",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!()
        };
        assert_eq!(run.sandbox_defects, [Defect::TotalIgnoresQuantity]);
        let conflict = Cli::try_parse_from([
            "gigcheck",
            "run",
            "--base-url",
            "http://x",
            "--sandbox-defect",
            "oversell-race",
        ]);
        assert!(conflict.is_err());
        let unknown = Cli::try_parse_from(["gigcheck", "sandbox", "--defect", "nope"]).unwrap_err();
        assert_eq!(unknown.exit_code(), 2);
        assert!(
            unknown.to_string().contains("gigcheck mutants --list"),
            "{unknown}"
        );
        let cli = Cli::try_parse_from([
            "gigcheck",
            "mutants",
            "--defect",
            "webhook-unverified",
            "-j",
            "3",
        ])
        .unwrap();
        let Command::Mutants(m) = cli.command else {
            panic!()
        };
        assert_eq!(m.defects, [Defect::WebhookUnverified]);
        assert_eq!(m.jobs, Some(3));
    }

    #[test]
    fn parses_variations() {
        use gigcheck_servers::sandbox::Variation;
        let cli = Cli::try_parse_from([
            "gigcheck",
            "run",
            "--sandbox-variation",
            "stock-400",
            "--sandbox-variation",
            "http-dates",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!()
        };
        let set: Variations = run.sandbox_variations.into_iter().collect();
        assert_eq!(set.to_string(), "http-dates, stock-400");
        let cli = Cli::try_parse_from(["gigcheck", "sandbox", "--variation", "all"]).unwrap();
        let Command::Sandbox(sandbox) = cli.command else {
            panic!()
        };
        let set: Variations = sandbox.variations.into_iter().collect();
        assert!(Variation::ALL.into_iter().all(|v| set.has(v)));
        let cli = Cli::try_parse_from([
            "gigcheck",
            "mutants",
            "--sandbox-variation",
            "trailing-slash",
        ])
        .unwrap();
        let Command::Mutants(m) = cli.command else {
            panic!()
        };
        assert_eq!(m.sandbox_variations, [Variation::TrailingSlash.into()]);
        let conflict = Cli::try_parse_from([
            "gigcheck",
            "run",
            "--base-url",
            "http://x",
            "--sandbox-variation",
            "all",
        ]);
        assert!(conflict.is_err());
        let unknown =
            Cli::try_parse_from(["gigcheck", "sandbox", "--variation", "nope"]).unwrap_err();
        assert_eq!(unknown.exit_code(), 2);
        let text = unknown.to_string();
        assert!(
            text.contains("trailing-slash") && text.contains("all"),
            "{text}"
        );
    }
}
