//! Snapshot checks through the real binary: create, match, mismatch (+ `.snap.new`), update, `--ci`.

use crate::common;
use common::*;

const SPEC: &str = r#"
scenarios:
  - id: "3.2"
    name: order detail keeps its shape
    steps:
      - request: { method: POST, url: /api/orders, bearer: "{{token}}", json: { items: [{ product_id: 1, quantity: 1 }] } }
        capture: { order_id: $.order.id }
      - request: { method: GET, url: "/api/orders/{{order_id}}", bearer: "{{token}}" }
        expect:
          status: 200
          snapshot:
            name: order-detail
            redact:
              $.order.id: { with: "[id]", type: integer }
              $.order.order_date: "[date]"
"#;

const SNAP: &str = "specs/__snapshots__/detail__order-detail.snap";
const NEW: &str = "specs/__snapshots__/detail__order-detail.snap.new";

fn run(p: &Project, server: &Server, extra: &[&str]) -> Output {
    let token = format!("token={TOKEN}");
    let mut args = vec!["run", "--base-url", &server.url, "--var", &token];
    args.extend_from_slice(extra);
    p.gigcheck(&args)
}

#[test]
fn snapshot_lifecycle() {
    let server = start();
    let p = Project::new();
    p.write("specs/detail.yaml", SPEC);

    // --ci: a missing snapshot fails and nothing is written.
    let out = run(&p, &server, &["--ci"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .contains("does not exist; --ci never creates snapshots"),
        "{}",
        out.stdout
    );
    assert!(!p.exists(SNAP) && !p.exists(NEW));

    // First run creates it, redacted, sorted, in insta's format.
    let out = run(&p, &server, &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains(&format!("snapshot created: {SNAP}")),
        "{}",
        out.stdout
    );
    let created = p.read(SNAP);
    insta::assert_snapshot!(created);

    // Same shape again (a new id and date, redacted away): passes, writes nothing.
    let out = run(&p, &server, &["--ci"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(p.read(SNAP), created);

    // The backend changes: mismatch, with a diff, and a .snap.new to review.
    server.shop.orders.lock().unwrap().clear();
    let spec = SPEC.replace("quantity: 1 }", "quantity: 2 }");
    p.write("specs/detail.yaml", &spec);
    let out = run(&p, &server, &[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains("-        \"quantity\": 1\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("+        \"quantity\": 2\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("snapshot to review: {NEW}")),
        "{}",
        out.stdout
    );
    assert!(p.read(NEW).contains("\"quantity\": 2"));
    assert_eq!(
        p.read(SNAP),
        created,
        "a mismatch never overwrites the accepted snapshot"
    );

    // --ci on a mismatch: fails, writes nothing new.
    std::fs::remove_file(p.path(NEW)).unwrap();
    let out = run(&p, &server, &["--ci"]);
    assert_eq!(out.code, 1);
    assert!(!p.exists(NEW));

    // --update-snapshots accepts the change.
    let out = run(&p, &server, &["--update-snapshots"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains(&format!("snapshot updated: {SNAP}")),
        "{}",
        out.stdout
    );
    assert!(p.read(SNAP).contains("\"quantity\": 2"));
    assert!(!p.exists(NEW));
    let out = run(&p, &server, &["--ci"]);
    assert_eq!(out.code, 0, "{}", out.all());
}

#[test]
fn a_redaction_type_check_fails_before_comparing() {
    let server = start();
    let p = Project::new();
    p.write(
        "specs/detail.yaml",
        &SPEC.replace("type: integer", "type: string"),
    );
    let out = run(&p, &server, &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("should be of type string but is integer"),
        "{}",
        out.stdout
    );
    assert!(!p.exists(SNAP));
}

#[test]
fn unused_snapshot_files_are_reported_by_validate() {
    let p = Project::new();
    p.write("specs/detail.yaml", SPEC);
    p.write(
        "specs/__snapshots__/detail__gone.snap",
        "---\nsource: x\n---\n{}\n",
    );
    let out = p.gigcheck(&["validate", "--var", "token=x"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stderr
            .contains("warning: snapshot file detail__gone.snap is not used by any step"),
        "{}",
        out.stderr
    );
}

#[test]
fn retries_snapshot_only_the_final_state() {
    let server = start();
    let p = Project::new();
    p.write(
        "specs/late.yaml",
        "scenarios:\n  - name: paid later\n    steps:\n      - request: { method: GET, url: /api/eventually }\n        expect:\n          body: { $.payment_status: paid }\n          snapshot: payment\n        retry: { attempts: 5, delay: 10ms }\n",
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        p.read("specs/__snapshots__/late__payment.snap")
            .contains("\"paid\"")
    );
    assert!(!p.exists("specs/__snapshots__/late__payment.snap.new"));
}
