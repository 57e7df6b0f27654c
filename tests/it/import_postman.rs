//! `gigcheck import postman` end to end: a GigGatek collection and environment become specs that
//! validate, keep every secret value out, and pass against the embedded sandbox; Postman's public
//! "Postman Echo" collection imports with what was not translated listed; bad input is one line
//! and exit 2; existing files are never overwritten.

use crate::common;
use common::*;

const ADMIN_PASSWORD: &str = "Adm1n!Postm4n-Env-2026";
const CUSTOMER_PASSWORD: &str = "Qa!Passw0rd-Postman-2026";

fn data(name: &str) -> String {
    format!("{}/tests/data/postman/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn import_giggatek(p: &Project) -> Output {
    p.gigcheck(&[
        "import",
        "postman",
        &data("giggatek-orders.postman_collection.json"),
        "--environment",
        &data("giggatek-local.postman_environment.json"),
    ])
}

/// Every file under `dir`, as `=== path` followed by its text, sorted by path.
fn files_under(p: &Project, dir: &str) -> Vec<(String, String)> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&p.path(dir), &p.path(dir), &mut out);
    out.sort();
    out
}

fn joined(files: &[(String, String)]) -> String {
    files
        .iter()
        .map(|(path, text)| format!("=== {path}\n{text}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_giggatek_collection_becomes_valid_specs_without_its_secrets() {
    let p = Project::new();
    let out = import_giggatek(&p);
    assert_eq!(out.code, 0, "{}", out.all());
    let files = files_under(&p, "specs/imported");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "01-auth.yaml",
            "02-orders.yaml",
            "03-payments.yaml",
            "04-admin.yaml",
            "05-cancellation.yaml",
            "_fragments/01-auth.yaml",
            "_fragments/02-orders.yaml",
        ]
    );
    let validate = p.gigcheck(&["validate", "specs/imported"]);
    assert_eq!(validate.code, 0, "{}", validate.all());
    assert!(
        validate.stdout.contains("5 spec files, 5 scenarios"),
        "{}",
        validate.all()
    );

    let everything = format!("{}{}", joined(&files), out.all());
    for secret in [ADMIN_PASSWORD, CUSTOMER_PASSWORD] {
        assert!(!everything.contains(secret), "a secret value leaked");
    }
    assert!(
        out.stdout
            .contains("customerPassword → environment variable POSTMAN_CUSTOMER_PASSWORD")
    );
    assert!(out.stdout.contains("adminPassword → {{admin_password}}"));
    // Every untranslated line is both a comment beside its step and a line of the summary.
    for line in [
        "console.log(\"Ordering product \" + pm.collectionVariables.get(\"productId\"));",
        "jsonData.orders.forEach(function (order) {",
        "pm.expect(pm.response.headers.get(\"Content-Type\")).to.include(\"application/json\");",
    ] {
        assert!(out.stdout.contains(line), "summary misses {line}");
        assert!(
            joined(&files).contains(&format!("# postman: {line}")),
            "no comment for {line}"
        );
    }
    insta::assert_snapshot!("giggatek_specs", joined(&files));
    insta::assert_snapshot!("giggatek_summary", out.stdout);
}

#[test]
fn the_imported_giggatek_specs_pass_against_the_embedded_sandbox() {
    let p = Project::new();
    assert_eq!(import_giggatek(&p).code, 0);
    let password = "Qa!Sandbox-Run-2026";
    let run = p.gigcheck_env(
        &["run", "specs/imported"],
        &[("POSTMAN_CUSTOMER_PASSWORD", password)],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("5 scenarios: 5 passed, 0 failed, 0 blocked, 0 skipped"),
        "{}",
        run.stdout
    );
    assert!(!run.all().contains(password));
    // Without the customer's password every scenario is skipped, saying what to set, and a
    // run that checked nothing is not a pass.
    let unset = p.gigcheck(&["run", "specs/imported"]);
    assert_eq!(unset.code, 1, "{}", unset.all());
    assert!(unset.stdout.contains("NOTHING RAN"), "{}", unset.stdout);
    assert!(
        unset
            .stdout
            .contains("needs environment variable POSTMAN_CUSTOMER_PASSWORD")
    );
    assert!(
        unset
            .stdout
            .contains("0 passed, 0 failed, 0 blocked, 5 skipped"),
        "{}",
        unset.stdout
    );
}

#[test]
fn the_public_postman_echo_collection_imports_and_lists_what_was_not_translated() {
    let p = Project::new();
    let out = p.gigcheck(&[
        "import",
        "postman",
        &data("postman-echo.postman_collection.json"),
        "--out",
        "specs/echo",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    let validate = p.gigcheck(&["validate", "specs/echo"]);
    assert_eq!(validate.code, 0, "{}", validate.all());
    for what in [
        "DigestAuth Success: digest auth is not translated",
        "Basic Auth: basic auth is not translated",
        "Hawk Auth: hawk auth is not translated",
        "Hawk Auth: multipart/form-data body (fields: access_token, id, server_secret, admin)",
        "GET Request: test script: tests[\"Body contains url\"] = responseBody.has(\"url\");",
        "(folder \"Utilities / Date and Time\" has no requests: no file)",
    ] {
        assert!(
            out.stdout.contains(what),
            "the summary misses {what}:\n{}",
            out.stdout
        );
    }
    let files = joined(&files_under(&p, "specs/echo"));
    assert!(files.contains("# postman: tests[\"Body contains url\"] = responseBody.has(\"url\");"));
    assert!(files.contains("        expect:\n          status: 200\n          text:\n            contains: authenticated\n"));
    insta::assert_snapshot!("postman_echo_summary", out.stdout);
}

#[test]
fn bad_input_is_one_line_naming_the_file_and_exit_2() {
    let p = Project::new();
    p.write(
        "broken.json",
        "{\n  \"info\": {\n    \"name\": \"x\",\n  }\n}\n",
    );
    p.write(
        "v20.json",
        r#"{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"}, "item": []}"#,
    );
    p.write("env.json", r#"{"name": "E", "values": []}"#);
    p.write(
        "empty.json",
        r#"{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": [{"name": "F", "item": []}]}"#,
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["broken.json"],
            "error: broken.json:4:3: not valid JSON: trailing comma",
        ),
        (
            &["v20.json"],
            "error: v20.json: this is a Postman Collection v2.0 export; gigcheck reads Collection v2.1; export it again",
        ),
        (
            &["missing.json"],
            "error: cannot read missing.json: no such file or directory; check the path",
        ),
        (
            &["env.json"],
            "error: env.json: this is a Postman environment, not a collection",
        ),
        (
            &["empty.json"],
            "error: empty.json has no requests: nothing to import",
        ),
        (
            &["empty.json", "--environment", "broken.json"],
            "error: broken.json:4:3: not valid JSON",
        ),
        (
            &["empty.json", "--environment", "empty.json"],
            "error: empty.json: this is a Postman collection, not an environment",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["import", "postman"];
        all.extend_from_slice(args);
        let out = p.gigcheck(&all);
        assert_eq!(out.code, 2, "{args:?}: {}", out.all());
        assert!(out.stderr.starts_with(expected), "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(!out.stderr.contains("panicked"));
    }
    assert!(!p.exists("specs/imported"));
}

#[test]
fn existing_files_are_never_overwritten() {
    let p = Project::new();
    assert_eq!(import_giggatek(&p).code, 0);
    p.write("specs/imported/02-orders.yaml", "# my edits\n");
    let again = import_giggatek(&p);
    assert_eq!(again.code, 2, "{}", again.all());
    assert!(
        again.stderr.contains("already exists")
            && again.stderr.contains("choose another --out")
            && again.stderr.contains("nothing was written"),
        "{}",
        again.stderr
    );
    assert_eq!(p.read("specs/imported/02-orders.yaml"), "# my edits\n");
}
