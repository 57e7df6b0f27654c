//! The bad-input catalogue: every mistake a user can make at the command line, in a spec, in an
//! environment file or in a Postman collection, with the exact message gigcheck prints and its
//! exit code. Each row is a test of its own, and README.md's table ("Bad input") is checked to
//! list exactly these rows, so the documentation cannot drift from what the tool says.

use crate::common;
use common::*;

struct Case {
    /// What is wrong, as the README's table says it.
    what: &'static str,
    files: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    exit: i32,
    /// The first line, after `error: `.
    message: &'static str,
    /// The `-->` line's place, when the message points into a file.
    place: Option<&'static str>,
    hint: Option<&'static str>,
}

const OK: &str =
    "scenarios:\n  - name: fine\n    steps:\n      - request: { method: GET, url: /x }\n";

macro_rules! spec {
    ($steps:expr) => {
        concat!("scenarios:\n  - name: s\n    steps:\n", $steps)
    };
}

const COLLECTION: &str = r#"{"info": {"name": "C", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": [{"name": "R", "request": {"method": "GET", "url": "http://h/x"}}]}"#;

const CASES: &[Case] = &[
    Case {
        what: "an unknown subcommand: `gigcheck frobnicate`",
        files: &[],
        args: &["frobnicate"],
        exit: 2,
        message: "unrecognized subcommand 'frobnicate'",
        place: None,
        hint: None,
    },
    Case {
        what: "`--jobs 0`",
        files: &[("specs/ok.yaml", OK)],
        args: &["run", "--jobs", "0"],
        exit: 2,
        message: "invalid value '0' for '--jobs <N>': 0 is not in 1..=65535",
        place: None,
        hint: None,
    },
    Case {
        what: "`--timeout soon`",
        files: &[("specs/ok.yaml", OK)],
        args: &["run", "--timeout", "soon"],
        exit: 2,
        message: "invalid value 'soon' for '--timeout <SECONDS>': `soon` is not a number of seconds between 0 and 86400",
        place: None,
        hint: None,
    },
    Case {
        what: "`--shard 5/4`",
        files: &[("specs/ok.yaml", OK)],
        args: &["run", "--shard", "5/4"],
        exit: 2,
        message: "invalid value '5/4' for '--shard <K/N>': `5/4` is not a shard: write K/N with 1 ≤ K ≤ N, e.g. 2/4 for the second of four slices",
        place: None,
        hint: None,
    },
    Case {
        what: "`--report pdf=x.pdf`",
        files: &[("specs/ok.yaml", OK)],
        args: &["run", "--report", "pdf=x.pdf"],
        exit: 2,
        message: "invalid value 'pdf=x.pdf' for '--report <KIND=PATH>': `pdf` is not a report kind: use junit, json, html or markdown",
        place: None,
        hint: None,
    },
    Case {
        what: "`--report json` without a path",
        files: &[("specs/ok.yaml", OK)],
        args: &["run", "--report", "json"],
        exit: 2,
        message: "invalid value 'json' for '--report <KIND=PATH>': `json` is not KIND=PATH, e.g. html=reports/run.html (kinds: junit, json, html, markdown)",
        place: None,
        hint: None,
    },
    Case {
        what: "`--var novalue`",
        files: &[("specs/ok.yaml", OK)],
        args: &["run", "--var", "novalue"],
        exit: 2,
        message: "invalid value 'novalue' for '--var <KEY=VALUE>': `novalue` is not KEY=VALUE",
        place: None,
        hint: None,
    },
    Case {
        what: "`--base-url localhost:5000` (no scheme)",
        files: &[("specs/ok.yaml", OK)],
        args: &["run", "--base-url", "localhost:5000"],
        exit: 2,
        message: "--base-url `localhost:5000` is not an http(s) URL: write it like http://127.0.0.1:5000",
        place: None,
        hint: None,
    },
    Case {
        what: "`--stripe-emulator` without `--base-url`",
        files: &[("specs/ok.yaml", OK)],
        args: &["run", "--stripe-emulator", "12111"],
        exit: 2,
        message: "--stripe-emulator is for an external backend: pass --base-url too (the embedded default has its own emulator)",
        place: None,
        hint: None,
    },
    Case {
        what: "a spec path that does not exist",
        files: &[],
        args: &["run", "nowhere"],
        exit: 2,
        message: "nowhere does not exist; pass spec files or folders, or --project DIR (default: specs/ here or in a folder above)",
        place: None,
        hint: None,
    },
    Case {
        what: "`--tag` that matches nothing",
        files: &[("specs/ok.yaml", OK)],
        args: &["run", "--tag", "nosuch"],
        exit: 2,
        message: "no scenario matches the --tag/--filter given; `gigcheck list` shows what there is",
        place: None,
        hint: None,
    },
    Case {
        what: "a backend that is not listening",
        files: &[("specs/ok.yaml", OK)],
        args: &["run", "--base-url", "http://127.0.0.1:9"],
        exit: 3,
        message: "cannot reach http://127.0.0.1:9/: connection refused",
        place: None,
        hint: None,
    },
    Case {
        what: "`request --json` that is not JSON",
        files: &[],
        args: &["request", "POST", "http://127.0.0.1:9/x", "--json", "{bad"],
        exit: 2,
        message: "--json:1:2: not JSON: key must be a string at line 1 column 2 (use @FILE to read a file)",
        place: None,
        hint: None,
    },
    Case {
        what: "`request -H NoColon`",
        files: &[],
        args: &["request", "GET", "http://127.0.0.1:9/x", "-H", "NoColon"],
        exit: 2,
        message: "-H `NoColon` is not NAME: VALUE, e.g. -H 'Accept: application/json'",
        place: None,
        hint: None,
    },
    Case {
        what: "`request` with a relative URL and no base URL",
        files: &[],
        args: &["request", "GET", "/api/orders"],
        exit: 2,
        message: "`/api/orders` is a relative URL and there is no base URL: pass --base-url or set base_url in the --env file",
        place: None,
        hint: None,
    },
    Case {
        what: "`report diff` of a file that does not exist",
        files: &[("new.json", "{}")],
        args: &["report", "diff", "old.json", "new.json"],
        exit: 2,
        message: "cannot read old.json: no such file or directory",
        place: None,
        hint: None,
    },
    Case {
        what: "`report merge` of an HTML file",
        files: &[("a.html", "<html></html>")],
        args: &["report", "merge", "out.xml", "a.html"],
        exit: 2,
        message: "a.html: the root element is <html>, not <testsuites> or <testsuite>; is it a JUnit report?",
        place: None,
        hint: None,
    },
    Case {
        what: "spec: broken indentation",
        files: &[(
            "specs/a.yaml",
            "scenarios:\n  - name: x\n    steps:\n     - request: { method: GET, url: / }\n    - oops\n",
        )],
        args: &["validate"],
        exit: 2,
        message: "while parsing a block mapping, did not find expected key",
        place: Some("specs/a.yaml:5:7"),
        hint: Some(
            "check the indentation and that `key: value` pairs have a space after the colon",
        ),
    },
    Case {
        what: "spec: a misspelt field (`expct`)",
        files: &[(
            "specs/a.yaml",
            spec!("      - request: { method: GET, url: / }\n        expct: { status: 200 }\n"),
        )],
        args: &["validate"],
        exit: 2,
        message: "scenarios[0].steps[0]: unknown field `expct`, expected one of `name`, `request`, `webhook`, `hook`, `concurrent`, `include`, `with`, `expect`, `capture`, `retry`, `precondition`, `redirects`, `when`, `unless`, `once`, `vars`, `verifies`",
        place: Some("specs/a.yaml:5:9"),
        hint: Some("did you mean `expect`?"),
    },
    Case {
        what: "spec: a status that is not one (`status: ok`)",
        files: &[(
            "specs/a.yaml",
            spec!("      - request: { method: GET, url: / }\n        expect: { status: ok }\n"),
        )],
        args: &["validate"],
        exit: 2,
        message: "scenarios[0].steps[0].expect.status: `ok` is not a status: write a code such as `201`, a list `[200, 201]` or a class such as `4xx`",
        place: Some("specs/a.yaml:5:27"),
        hint: None,
    },
    Case {
        what: "spec: a status class that does not exist (`6xx`)",
        files: &[(
            "specs/a.yaml",
            spec!("      - request: { method: GET, url: / }\n        expect: { status: 6xx }\n"),
        )],
        args: &["validate"],
        exit: 2,
        message: "scenarios[0].steps[0].expect.status: `6xx` is not a status: write a code such as `201`, a list `[200, 201]` or a class such as `4xx`",
        place: Some("specs/a.yaml:5:27"),
        hint: None,
    },
    Case {
        what: "spec: an HTTP method that does not exist",
        files: &[(
            "specs/a.yaml",
            spec!("      - request: { method: FETCH, url: / }\n"),
        )],
        args: &["validate"],
        exit: 2,
        message: "scenarios[0].steps[0].request.method: unknown variant `FETCH`, expected one of `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS`",
        place: Some("specs/a.yaml:4:28"),
        hint: Some("expected one of: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"),
    },
    Case {
        what: "spec: a variable used before it is defined",
        files: &[(
            "specs/a.yaml",
            spec!("      - request: { method: GET, url: \"/o/{{ordr_id}}\" }\n"),
        )],
        args: &["validate"],
        exit: 2,
        message: "variable `ordr_id` is used before it is defined",
        place: Some("specs/a.yaml:4:33"),
        hint: Some("define it in `vars`, capture it in an earlier step, or pass `--var ordr_id=…`"),
    },
    Case {
        what: "spec: a schema file that does not exist",
        files: &[(
            "specs/a.yaml",
            spec!(
                "      - request: { method: GET, url: / }\n        expect: { schema: missing.json }\n"
            ),
        )],
        args: &["validate"],
        exit: 2,
        message: "cannot read schema `missing.json` (fixtures/schemas/missing.json): no such file or directory; schemas live in fixtures/schemas (change with --schemas)",
        place: Some("specs/a.yaml:5:19"),
        hint: None,
    },
    Case {
        what: "spec: a schema file that is not JSON",
        files: &[
            ("fixtures/schemas/b.json", "{ \"type\": "),
            (
                "specs/a.yaml",
                spec!(
                    "      - request: { method: GET, url: / }\n        expect: { schema: b.json }\n"
                ),
            ),
        ],
        args: &["validate"],
        exit: 2,
        message: "schema `b.json` is not valid JSON (fixtures/schemas/b.json:1:10): EOF while parsing a value",
        place: Some("specs/a.yaml:5:19"),
        hint: None,
    },
    Case {
        what: "spec: a JSONPath that does not parse",
        files: &[(
            "specs/a.yaml",
            spec!(
                "      - request: { method: GET, url: / }\n        expect:\n          body:\n            $.order[: 1\n"
            ),
        )],
        args: &["validate"],
        exit: 2,
        message: "invalid JSONPath `$.order[`: parser error (at character 7); write it like `$.order.items[0].price` or `$.orders[*].status`",
        place: Some("specs/a.yaml:7:13"),
        hint: None,
    },
    Case {
        what: "spec: a regular expression that does not compile",
        files: &[(
            "specs/a.yaml",
            spec!(
                "      - request: { method: GET, url: / }\n        expect:\n          body:\n            $.a: { matches: \"([\" }\n"
            ),
        )],
        args: &["validate"],
        exit: 2,
        message: "scenarios[0].steps[0].expect.body.$.a.matches: `([` is not a valid regular expression: unclosed character class (Rust regex syntax)",
        place: Some("specs/a.yaml:7:29"),
        hint: None,
    },
    Case {
        what: "spec: a misspelt operator (`eqals`)",
        files: &[(
            "specs/a.yaml",
            spec!(
                "      - request: { method: GET, url: / }\n        expect:\n          body:\n            $.total: { gte: 1, eqals: 2 }\n"
            ),
        )],
        args: &["validate"],
        exit: 2,
        message: "scenarios[0].steps[0].expect.body.$.total: unknown field `eqals`, expected one of `equals`, `not_equals`, `exists`, `absent`, `type`, `matches`, `not_matches`, `contains`, `not_contains`, `length`, `gt`, `gte`, `lt`, `lte`, `one_of`",
        place: Some("specs/a.yaml:7:32"),
        hint: Some("did you mean `equals`?"),
    },
    Case {
        what: "spec: the same key twice",
        files: &[(
            "specs/a.yaml",
            spec!(
                "      - request: { method: GET, url: / }\n        expect:\n          body:\n            $.a: 1\n            $.a: 2\n"
            ),
        )],
        args: &["validate"],
        exit: 2,
        message: "scenarios[0].steps[0].expect.body: duplicate key `$.a`: write it once (several operators go in one mapping, e.g. `{ type: integer, gt: 0 }`)",
        place: Some("specs/a.yaml:8:13"),
        hint: None,
    },
    Case {
        what: "spec: a request with two bodies",
        files: &[(
            "specs/a.yaml",
            spec!("      - request: { method: POST, url: /, json: {a: 1}, form: {b: 2} }\n"),
        )],
        args: &["validate"],
        exit: 2,
        message: "a request has one body: `json`, `form` or `body`",
        place: Some("specs/a.yaml:4:9"),
        hint: Some("remove all but one of them"),
    },
    Case {
        what: "spec: a duration in an unknown unit",
        files: &[(
            "specs/a.yaml",
            spec!("      - request: { method: GET, url: /, timeout: 5 parsecs }\n"),
        )],
        args: &["validate"],
        exit: 2,
        message: "scenarios[0].steps[0].request.timeout: unknown duration unit `parsecs` in `5 parsecs`; use `ms`, `s` or `m` (or `min`)",
        place: Some("specs/a.yaml:4:50"),
        hint: None,
    },
    Case {
        what: "spec: one snapshot name used twice",
        files: &[(
            "specs/a.yaml",
            spec!(
                "      - request: { method: GET, url: / }\n        expect: { snapshot: one }\n      - request: { method: GET, url: / }\n        expect: { snapshot: one }\n"
            ),
        )],
        args: &["validate"],
        exit: 2,
        message: "snapshot `one` is already used at specs/a.yaml:5:19",
        place: Some("specs/a.yaml:7:19"),
        hint: Some("each snapshot needs its own name"),
    },
    Case {
        what: "spec: an included file that does not exist",
        files: &[(
            "specs/a.yaml",
            spec!("      - include: _fragments/nope.yaml\n"),
        )],
        args: &["validate"],
        exit: 2,
        message: "included file specs/_fragments/nope.yaml does not exist",
        place: Some("specs/a.yaml:4:9"),
        hint: Some("`include` paths are relative to the file that includes them"),
    },
    Case {
        what: "spec: an include that names a device, not a file (`/dev/zero`)",
        files: &[("specs/a.yaml", spec!("      - include: /dev/zero\n"))],
        args: &["validate"],
        exit: 2,
        message: "cannot read included file /dev/zero: not a regular file (a folder, device or pipe); specs, includes and fixtures must be plain files",
        place: Some("specs/a.yaml:4:9"),
        hint: None,
    },
    Case {
        what: "spec: a fragment that includes itself",
        files: &[
            ("specs/_f.yaml", "steps:\n  - include: _f.yaml\n"),
            ("specs/a.yaml", spec!("      - include: _f.yaml\n")),
        ],
        args: &["validate"],
        exit: 2,
        message: "specs/_f.yaml includes itself (through a chain of includes)",
        place: Some("specs/_f.yaml:2:5"),
        hint: None,
    },
    Case {
        what: "spec: a misspelt fragment parameter",
        files: &[
            (
                "specs/_f.yaml",
                "params: [email]\nsteps:\n  - request: { method: GET, url: \"/{{email}}\" }\n",
            ),
            (
                "specs/a.yaml",
                spec!("      - include: _f.yaml\n        with: { emial: x, email: y }\n"),
            ),
        ],
        args: &["validate"],
        exit: 2,
        message: "`_f.yaml` has no parameter `emial`",
        place: Some("specs/a.yaml:5:17"),
        hint: Some("did you mean `email`?"),
    },
    Case {
        what: "spec: a fixture file that does not exist",
        files: &[(
            "specs/a.yaml",
            "fixtures: [nope.yaml]\nscenarios:\n  - name: fine\n    steps:\n      - request: { method: GET, url: /x }\n",
        )],
        args: &["validate"],
        exit: 2,
        message: "fixture file fixtures/nope.yaml does not exist",
        place: Some("specs/a.yaml:1:12"),
        hint: Some("fixture names are relative to the fixtures/ folder"),
    },
    Case {
        what: "spec: an empty file",
        files: &[("specs/a.yaml", "")],
        args: &["validate"],
        exit: 2,
        message: "missing field `scenarios`",
        place: Some("specs/a.yaml:1:1"),
        hint: Some("add `scenarios:` here (README.md, \"Spec format\", shows every field)"),
    },
    Case {
        what: "environment file that does not exist",
        files: &[("specs/ok.yaml", OK)],
        args: &["run", "--env", "nope.yaml"],
        exit: 2,
        message: "cannot read environment file: no such file or directory",
        place: Some("nope.yaml"),
        hint: Some("check the path given to --env"),
    },
    Case {
        what: "environment file: a misspelt key (`secretz`)",
        files: &[
            ("specs/ok.yaml", OK),
            ("env.yaml", "base_url: http://127.0.0.1:9\nsecretz: {}\n"),
        ],
        args: &["run", "--env", "env.yaml"],
        exit: 2,
        message: "unknown field `secretz`, expected one of `base_url`, `vars`, `secrets`, `hooks`",
        place: Some("env.yaml:2:1"),
        hint: Some("did you mean `secrets`?"),
    },
    Case {
        what: "environment file: a list where a URL goes",
        files: &[("specs/ok.yaml", OK), ("env.yaml", "base_url: [a, b]\n")],
        args: &["run", "--env", "env.yaml"],
        exit: 2,
        message: "base_url: invalid type: sequence, expected a string",
        place: Some("env.yaml:1:11"),
        hint: None,
    },
    Case {
        what: "environment file: a base URL without a scheme",
        files: &[
            ("specs/ok.yaml", OK),
            ("env.yaml", "base_url: 127.0.0.1:9\n"),
        ],
        args: &["run", "--env", "env.yaml"],
        exit: 2,
        message: "the --env file's base_url `127.0.0.1:9` is not an http(s) URL: write it like http://127.0.0.1:5000",
        place: None,
        hint: None,
    },
    Case {
        what: "collection: not JSON",
        files: &[("c.json", "{ not json")],
        args: &["import", "postman", "c.json"],
        exit: 2,
        message: "c.json:1:3: not valid JSON: key must be a string; export it again from Postman: the collection's ⋯ menu › Export › Collection v2.1",
        place: None,
        hint: None,
    },
    Case {
        what: "collection: a Postman v1 export",
        files: &[("c.json", r#"{"id": "x", "name": "old", "requests": []}"#)],
        args: &["import", "postman", "c.json"],
        exit: 2,
        message: "c.json: this is a Postman Collection v1 export; gigcheck reads Collection v2.1; export it again from Postman: the collection's ⋯ menu › Export › Collection v2.1",
        place: None,
        hint: None,
    },
    Case {
        what: "collection: a file that does not exist",
        files: &[],
        args: &["import", "postman", "nope.json"],
        exit: 2,
        message: "cannot read nope.json: no such file or directory; check the path",
        place: None,
        hint: None,
    },
    Case {
        what: "collection: an import that would overwrite a spec",
        files: &[("c.json", COLLECTION), ("specs/imported/01-c.yaml", "x")],
        args: &["import", "postman", "c.json"],
        exit: 2,
        message: "specs/imported/01-c.yaml already exists; `gigcheck import` never overwrites files: choose another --out, or delete the old files and import again (nothing was written)",
        place: None,
        hint: None,
    },
    Case {
        what: "spec: a misspelt contract rule in `verifies`",
        files: &[
            (
                "fixtures/contract.yaml",
                "rules:\n  orders.create.total: The total is the sum of price × quantity.\n  orders.create.stock: Stock goes down by the quantity ordered.\n",
            ),
            (
                "specs/a.yaml",
                spec!(
                    "      - request: { method: GET, url: /x }\n        verifies: [orders.create.stock, orders.create.totl]\n"
                ),
            ),
        ],
        args: &["validate"],
        exit: 2,
        message: "`orders.create.totl` is not a rule of the contract (fixtures/contract.yaml)",
        place: Some("specs/a.yaml:5:41"),
        hint: Some("did you mean `orders.create.total`?"),
    },
    Case {
        what: "spec: an unquoted plan id (`id: 4.10`)",
        files: &[(
            "specs/a.yaml",
            "scenarios:\n  - id: 4.10\n    name: s\n    steps:\n      - request: { method: GET, url: /x }\n",
        )],
        args: &["validate"],
        exit: 2,
        message: "scenarios[0].id: an unquoted id is a number to YAML, which drops trailing zeros (4.10 becomes 4.1): quote it, as in id: \"4.10\"",
        place: Some("specs/a.yaml:2:9"),
        hint: None,
    },
    Case {
        what: "spec: a tab where YAML wants spaces",
        files: &[("specs/a.yaml", "scenarios:\n\t- name: s\n")],
        args: &["validate"],
        exit: 2,
        message: "tabs disallowed within this context (block indentation)",
        place: Some("specs/a.yaml:2:2"),
        hint: Some("YAML indents with spaces, never tabs: replace the tab with spaces"),
    },
    Case {
        what: "a report path under a file (`out` is a file)",
        files: &[("specs/ok.yaml", OK), ("out", "a file")],
        args: &["run", "--report", "html=out/x.html"],
        exit: 2,
        message: "cannot write out/x.html: out is a file, not a folder, so nothing can be written under it; nothing was sent",
        place: None,
        hint: None,
    },
    Case {
        what: "`request --data @FILE` of a file that does not exist",
        files: &[],
        args: &[
            "request",
            "POST",
            "http://127.0.0.1:9/x",
            "--data",
            "@nope.json",
        ],
        exit: 2,
        message: "--data @nope.json: cannot read it: no such file or directory",
        place: None,
        hint: None,
    },
    Case {
        what: "`--env` given a Postman environment export",
        files: &[
            ("specs/ok.yaml", OK),
            (
                "pm.json",
                r#"{"id": "x", "name": "Local", "values": [{"key": "baseUrl", "value": "http://x"}], "_postman_variable_scope": "environment"}"#,
            ),
        ],
        args: &["run", "--env", "pm.json"],
        exit: 2,
        message: "this is a Postman environment export, not a gigcheck environment file",
        place: Some("pm.json"),
        hint: Some(
            "convert it: `gigcheck import postman COLLECTION.json --environment pm.json` turns its values into spec variables (secrets into {{env.POSTMAN_…}} references)",
        ),
    },
];

fn check(index: usize) {
    let case = &CASES[index];
    let p = Project::new();
    for (path, text) in case.files {
        p.write(path, text);
    }
    let out = p.gigcheck(case.args);
    let shown = out.all();
    assert_eq!(out.code, case.exit, "{}: {shown}", case.what);
    let lines: Vec<&str> = out.stderr.lines().collect();
    let first = format!("error: {}", case.message);
    assert!(lines.contains(&first.as_str()), "{}:\n{shown}", case.what);
    if let Some(place) = case.place {
        let line = format!("  --> {place}");
        assert!(lines.contains(&line.as_str()), "{}:\n{shown}", case.what);
    }
    if let Some(hint) = case.hint {
        let line = format!("  = hint: {hint}");
        assert!(lines.contains(&line.as_str()), "{}:\n{shown}", case.what);
    }
    assert!(!shown.contains("panicked"), "{shown}");
    // Nothing that was refused may have left a report behind.
    assert!(!p.exists("reports/junit.xml"), "{}", case.what);
}

/// The README's row for a case.
fn row(n: usize, case: &Case) -> String {
    let mut said = format!("`` error: {} ``", case.message);
    if let Some(place) = case.place {
        said.push_str(&format!(" at `{place}`"));
    }
    if let Some(hint) = case.hint {
        said.push_str(&format!(" — hint: `` {hint} ``"));
    }
    format!("| {n} | {} | {said} | {} |", case.what, case.exit)
}

#[test]
fn readme_lists_exactly_these_cases() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let table: Vec<String> = CASES
        .iter()
        .enumerate()
        .map(|(i, c)| row(i + 1, c))
        .collect();
    let expected = table.join("\n");
    assert!(
        readme.contains(&expected),
        "README.md's bad-input table should read:\n\n| # | bad input | what gigcheck says | exit |\n|---:|---|---|---:|\n{expected}\n"
    );
    assert!(CASES.len() >= 30);
}

macro_rules! cases {
    ($($name:ident = $index:expr;)*) => {
        $(#[test] fn $name() { check($index); })*
        #[test]
        fn every_case_has_its_test() {
            let tested = [$($index),*];
            assert_eq!(tested.len(), CASES.len());
            for i in 0..CASES.len() {
                assert!(tested.contains(&i), "case {i} has no test");
            }
        }
    };
}

cases! {
    c01_unknown_subcommand = 0;
    c02_jobs_zero = 1;
    c03_timeout_text = 2;
    c04_shard = 3;
    c05_report_kind = 4;
    c06_report_no_path = 5;
    c07_var = 6;
    c08_base_url = 7;
    c09_emulator_without_base = 8;
    c10_no_specs = 9;
    c11_no_match = 10;
    c12_unreachable = 11;
    c13_request_json = 12;
    c14_request_header = 13;
    c15_request_relative = 14;
    c16_diff_missing = 15;
    c17_merge_html = 16;
    c18_spec_yaml = 17;
    c19_spec_typo = 18;
    c20_spec_status = 19;
    c21_spec_status_class = 20;
    c22_spec_method = 21;
    c23_spec_undefined_variable = 22;
    c24_spec_missing_schema = 23;
    c25_spec_broken_schema = 24;
    c26_spec_jsonpath = 25;
    c27_spec_regex = 26;
    c28_spec_operator = 27;
    c29_spec_duplicate_key = 28;
    c30_spec_two_bodies = 29;
    c31_spec_duration = 30;
    c32_spec_snapshot_twice = 31;
    c33_spec_include_missing = 32;
    c34_spec_include_device = 33;
    c35_spec_include_cycle = 34;
    c36_spec_include_parameter = 35;
    c37_spec_fixture_missing = 36;
    c38_spec_empty = 37;
    c39_env_missing = 38;
    c40_env_typo = 39;
    c41_env_type = 40;
    c42_env_base_url = 41;
    c43_collection_not_json = 42;
    c44_collection_v1 = 43;
    c45_collection_missing = 44;
    c46_collection_overwrite = 45;
    c47_unknown_rule = 46;
    c48_unquoted_id = 47;
    c49_tab = 48;
    c50_report_under_a_file = 49;
    c51_request_data_file = 50;
    c52_postman_environment = 51;
}
