#!/usr/bin/env python3
"""Rewrites .ci/advisories/db.json from a local copy of the RustSec advisory database.

    git clone https://github.com/rustsec/advisory-db /tmp/advisory-db
    python3 .ci/advisories/refresh.py /tmp/advisory-db

CI has no network, so the advisories it checks Cargo.lock against (tests/it/dependencies.rs)
are this snapshot: every advisory of every crate, with what the test needs (the versions that
are patched or unaffected, the kind, withdrawn or not). The snapshot's date is the date of the
database's last commit; refresh it when dependencies change, or at least every release.
"""
import json
import os
import re
import subprocess
import sys
import tomllib


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True).stdout


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    repo = sys.argv[1]
    head = git(repo, "log", "-1", "--format=%H %cs").split()
    advisories = []
    for path in git(repo, "ls-tree", "-r", "HEAD", "--name-only").split():
        if not re.match(r"crates/[^/]+/RUSTSEC-\d{4}-\d{4}\.md$", path):
            continue
        text = git(repo, "show", f"HEAD:{path}")
        front, body = text.split("```toml", 1)[1].split("```", 1)
        data = tomllib.loads(front)
        advisory = data["advisory"]
        versions = data.get("versions", {})
        advisories.append({
            "id": advisory["id"],
            "package": advisory["package"],
            "kind": advisory.get("informational", "vulnerability"),
            "withdrawn": "withdrawn" in advisory,
            "patched": versions.get("patched", []),
            "unaffected": versions.get("unaffected", []),
            "title": next((l[2:].strip() for l in body.splitlines() if l.startswith("# ")), ""),
        })
    advisories.sort(key=lambda a: (a["package"], a["id"]))
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "db.json")
    with open(target + ".tmp", "w") as f:
        # One advisory a line: small, and a refresh reads as a diff.
        f.write('{"source": "https://github.com/rustsec/advisory-db", ')
        f.write(f'"commit": "{head[0]}", "date": "{head[1]}", "advisories": [\n')
        f.write(",\n".join(json.dumps(a, sort_keys=True) for a in advisories))
        f.write("\n]}\n")
    os.replace(target + ".tmp", target)
    print(f"{len(advisories)} advisories as of {head[1]} ({head[0][:10]}) written to {target}")


if __name__ == "__main__":
    main()
