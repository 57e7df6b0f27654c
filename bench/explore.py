#!/usr/bin/env python3
"""gigcheck explore and Schemathesis side by side, on the sandbox: clean, then with each planted
defect of `gigcheck mutants --list`, the same time budget for both.

    bench/explore.py [--budget SECONDS] [--explore-budget SECONDS] [--gigcheck PATH] [--st PATH] [DEFECT ...]

Both get the OpenAPI document of `gigcheck openapi`. Schemathesis (`st run`, seeded, its JUnit
report) is pointed at a sandbox of its own started with `gigcheck sandbox --defect …` and the
Stripe emulator, with a customer's token. A defect counts as found by Schemathesis when it
reports a failure (operation × check) it does not report on the clean sandbox over five seeds
(--baseline-seeds), whose failures are its false alarms; by gigcheck when `gigcheck explore` exits 1 (it reports nothing on the clean
sandbox). --explore-budget gives explore less time than Schemathesis (say a fifth). Prints a
Markdown table and the totals.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ET


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not come up")


def token(base):
    body = json.dumps({"email": f"st{time.time_ns()}@example.com", "password": "Sch3math!sis",
                       "first_name": "S", "last_name": "T"}).encode()
    req = urllib.request.Request(base + "/api/auth/register", data=body,
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))["token"]


def schemathesis(args, doc, defect, work, seed=1):
    stripe_port, sandbox_port = free_port(), free_port()
    servers = [
        subprocess.Popen([args.gigcheck, "stripe", "--port", str(stripe_port)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    sandbox = [args.gigcheck, "sandbox", "--port", str(sandbox_port),
               "--stripe-api", f"http://127.0.0.1:{stripe_port}"]
    if defect:
        sandbox += ["--defect", defect]
    servers.append(subprocess.Popen(sandbox, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    base = f"http://127.0.0.1:{sandbox_port}"
    try:
        wait_up(base + "/api/products")
        junit = os.path.join(work, f"st-{defect or 'clean'}-{seed}.xml")
        started = time.time()
        run = subprocess.run([args.st, "run", doc, "--url", base, "-H", f"Authorization: Bearer {token(base)}",
                              "--seed", str(seed), "--max-time", str(int(args.budget)), "--report", "junit",
                              "--report-junit-path", junit, "--no-color"],
                             capture_output=True, text=True, timeout=args.budget * 4 + 60, cwd=work)
        if not os.path.exists(junit):
            raise SystemExit(f"Schemathesis wrote no report (exit {run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
        elapsed = time.time() - started
        found = set()
        if os.path.exists(junit):
            for case in ET.parse(junit).getroot().iter("testcase"):
                for failure in list(case.iter("failure")) + list(case.iter("error")):
                    # The message is the first check's code (ST202); the text lists each one.
                    codes = set(re.findall(r"- (ST\d{3})", failure.text or ""))
                    codes.add((failure.get("message") or "error").strip())
                    found.update((case.get("name"), code) for code in codes)
        return found, elapsed
    finally:
        for s in servers:
            s.terminate()
            s.wait()


def explore(args, defect):
    cmd = [args.gigcheck, "explore", "--seed", "7", "--max-requests", "100000000",
           "--time", str(args.explore_budget)]
    if defect:
        cmd += ["--sandbox-defect", defect]
    started = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.explore_budget * 4 + 60)
    causes = [l for l in out.stdout.splitlines() if l.startswith("  ") and not l.startswith("    ")]
    return out.returncode == 1, len(causes), time.time() - started


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--budget", type=int, default=30)
    p.add_argument("--explore-budget", type=float, default=None,
                   help="seconds for gigcheck explore (default: --budget)")
    p.add_argument("--baseline-seeds", type=int, default=5,
                   help="clean-sandbox runs of Schemathesis whose failures count as its noise")
    p.add_argument("--gigcheck", default="target/release/gigcheck")
    p.add_argument("--st", default="target/bench-tools/schemathesis-venv/bin/st")
    p.add_argument("defects", nargs="*")
    args = p.parse_args()
    # Schemathesis runs in a scratch folder: the tools' paths must not depend on this one.
    args.gigcheck, args.st = os.path.abspath(args.gigcheck), os.path.abspath(args.st)
    if args.explore_budget is None:
        args.explore_budget = args.budget
    defects = args.defects or [l.split()[0] for l in subprocess.run(
        [args.gigcheck, "mutants", "--list"], capture_output=True, text=True).stdout.splitlines() if l.strip()]
    with tempfile.TemporaryDirectory() as work:
        doc = os.path.join(work, "openapi.json")
        with open(doc, "w") as f:
            f.write(subprocess.run([args.gigcheck, "openapi"], capture_output=True, text=True, check=True).stdout)
        # Schemathesis's false alarms vary with the answers it gets: the clean sandbox's, over
        # several seeds, are the noise a defect's run is compared with.
        baseline = set()
        for seed in range(1, args.baseline_seeds + 1):
            baseline |= schemathesis(args, doc, None, work, seed)[0]
        g_clean, g_clean_causes, _ = explore(args, None)
        print(f"budget per target: Schemathesis {args.budget:g} s, gigcheck explore {args.explore_budget:g} s\n")
        print(f"clean sandbox: Schemathesis reports {len(baseline)} failures over {args.baseline_seeds} seeds (false alarms); "
              f"gigcheck explore reports {g_clean_causes} causes\n")
        print("| defect | Schemathesis | gigcheck explore |")
        print("|---|---|---|")
        st_total = g_total = both = 0
        st_time = g_time = 0.0
        st_by_defect, g_by_defect = {}, {}
        for d in defects:
            st_found, st_elapsed = schemathesis(args, doc, d, work)
            st_new = st_found - baseline
            g_found, g_causes, g_elapsed = explore(args, d)
            st_time += st_elapsed
            g_time += g_elapsed
            st_by_defect[d], g_by_defect[d] = st_new, g_found
            st_total += bool(st_new)
            g_total += g_found
            both += bool(st_new) and g_found
            print(f"| `{d}` | {'found (' + str(len(st_new)) + ')' if st_new else '-'} | "
                  f"{'found (' + str(g_causes) + ')' if g_found else '-'} |", flush=True)
            for operation, check in sorted(st_new):
                print(f"    Schemathesis, new on `{d}`: {operation} {check}", file=sys.stderr)
        print(f"\n{len(defects)} defects: Schemathesis found {st_total}, gigcheck explore {g_total}, "
              f"both {both}; gigcheck missed {st_total - both} that Schemathesis found.")
        print(f"Wall time over the defects: Schemathesis {st_time:.0f} s, gigcheck explore {g_time:.0f} s "
              f"(each from start to exit, servers included).")
        # A failure Schemathesis reports on many defects, whatever they are, is its own noise that
        # the clean baseline happened to miss (`GET /api/products` ST202, a page past 32 bits).
        counts = {}
        for found in st_by_defect.values():
            for failure in found:
                counts[failure] = counts.get(failure, 0) + 1
        limit = max(3, len(defects) // 10)
        recurring = {f for f, n in counts.items() if n >= limit}
        if recurring:
            st_real = {d: f - recurring for d, f in st_by_defect.items()}
            st_count = sum(1 for f in st_real.values() if f)
            both_real = sum(1 for d, f in st_real.items() if f and g_by_defect[d])
            print(f"\nFailures Schemathesis reports on {limit} or more defects, counted as noise:")
            for operation, check in sorted(recurring):
                print(f"- {operation} {check} ({counts[(operation, check)]} defects)")
            print(f"Without them: Schemathesis found {st_count}, gigcheck explore {g_total}, both {both_real}; "
                  f"gigcheck missed {st_count - both_real}: "
                  + (", ".join(f"`{d}`" for d, f in st_real.items() if f and not g_by_defect[d]) or "none"))


if __name__ == "__main__":
    sys.exit(main())
