//! The README's examples are real: its YAML blocks validate against the project's own fixtures,
//! its complete example passes against the embedded default (twice: a second run must not trip
//! over what the first recorded), and its command lines are ones gigcheck's CLI accepts.

use crate::common;
use clap::Parser;
use common::*;

/// The YAML code blocks of the README, in order.
fn yaml_blocks() -> Vec<String> {
    let readme = include_str!("../../README.md");
    readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|block| block.split("```").next().map(str::to_string))
        .collect()
}

/// The complete example: the suite block and the fragment block after it.
fn complete_example(blocks: &[String]) -> (&str, &str) {
    let suite = blocks
        .iter()
        .position(|b| b.contains("\nscenarios:"))
        .expect("a suite example");
    (&blocks[suite], &blocks[suite + 1])
}

#[test]
fn the_complete_example_passes_against_the_embedded_default_twice() {
    let blocks = yaml_blocks();
    let (suite, fragment) = complete_example(&blocks);
    let p = Project::new();
    copy_project_fixtures(&p);
    p.write("specs/orders.yaml", suite);
    p.write("specs/_fragments/login.yaml", fragment);
    for run in ["first", "second"] {
        if run == "second" {
            // Timestamps have whole seconds: the second run must not fall in the first one's
            // second, or a time the example forgot to redact would match by chance.
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        let out = p.gigcheck(&["run"]);
        assert_eq!(out.code, 0, "{run} run:\n{}", out.all());
        assert!(
            out.stdout
                .contains("PASSED 1 scenario: 1 passed, 0 failed, 0 blocked, 0 skipped"),
            "{run} run:\n{}",
            out.stdout
        );
    }
    assert!(p.exists("specs/__snapshots__/orders__cancelled-order.snap"));
}

/// Every `gigcheck …` line of README's shell blocks (continuations joined, comments dropped),
/// and the `gigcheck …` commands of its CI examples (their CI variables given example values).
fn command_lines() -> Vec<String> {
    let readme = include_str!("../../README.md");
    let mut lines = Vec::new();
    for block in yaml_blocks() {
        for line in block.lines() {
            let line = line
                .trim_start()
                .trim_start_matches("- ")
                .trim_start_matches("run: ");
            if line.starts_with("gigcheck ") {
                lines.push(
                    line.replace("${{ matrix.shard }}", "2")
                        .replace("$CI_NODE_INDEX", "2")
                        .replace("$CI_NODE_TOTAL", "4")
                        .replace("$GITHUB_STEP_SUMMARY", "summary.md"),
                );
            }
        }
    }
    for block in readme.split("```sh\n").skip(1) {
        let block = block.split("```").next().unwrap_or_default();
        let joined = block.replace("\\\n", " ");
        for line in joined.lines() {
            let line = match line.find("  #") {
                Some(at) => &line[..at],
                None => line,
            };
            // The shell's redirection of the output is not gigcheck's to parse.
            let line = line.split(" > ").next().unwrap_or(line);
            let line = line.trim();
            if !line.is_empty() && !line.starts_with('#') {
                lines.push(line.to_string());
            }
        }
    }
    lines
}

#[test]
fn the_readme_command_lines_are_ones_the_cli_accepts() {
    use clap::CommandFactory;
    let lines = command_lines();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for line in &lines {
        let words = shlex::split(line).unwrap_or_else(|| panic!("cannot split: {line}"));
        let args: Vec<String> = match words.iter().position(|w| w == "--") {
            // `cargo run --release -- run`: what follows `--` goes to gigcheck.
            Some(at) if words[0] == "cargo" && words[1] == "run" => {
                std::iter::once("gigcheck".to_string())
                    .chain(words[at + 1..].iter().cloned())
                    .collect()
            }
            _ if words[0] == "gigcheck" => words.clone(),
            _ => {
                // Scripts the README runs must exist; other tools' lines are theirs.
                if words[0].ends_with(".sh") {
                    assert!(root.join(&words[0]).is_file(), "{line}: no such script");
                }
                continue;
            }
        };
        checked += 1;
        if line.contains(" [") {
            // A synopsis (`gigcheck stripe [--port N]`): every flag it shows exists.
            let cli = gigcheck::cli::Cli::command();
            let sub = cli
                .find_subcommand(&args[1])
                .unwrap_or_else(|| panic!("{line}: no subcommand {}", args[1]));
            for flag in line
                .split(|c: char| c.is_whitespace() || c == '[' || c == ']')
                .filter_map(|w| w.strip_prefix("--"))
            {
                assert!(
                    sub.get_arguments().any(|a| a.get_long() == Some(flag)),
                    "{line}: `gigcheck {}` has no --{flag}",
                    args[1]
                );
            }
            continue;
        }
        if let Err(e) = gigcheck::cli::Cli::try_parse_from(&args) {
            panic!("README: `{line}` is refused by the CLI:\n{e}");
        }
    }
    assert!(checked >= 10, "only {checked} command lines found");
}

#[test]
fn the_readme_example_validates() {
    let blocks = yaml_blocks();
    let p = Project::new();
    // The complete example: a suite, then the fragment it includes.
    let (suite, fragment) = complete_example(&blocks);
    p.write("specs/orders.yaml", suite);
    p.write("specs/_fragments/login.yaml", fragment);
    copy_project_fixtures(&p);
    let out = p.gigcheck(&["validate"]);
    assert_eq!(out.code, 0, "{}", out.all());

    let env = blocks
        .iter()
        .find(|b| b.contains("secrets:"))
        .expect("an environment file example");
    p.write("env.yaml", env);
    let out = p.gigcheck(&["validate", "--env", "env.yaml"]);
    assert_eq!(out.code, 0, "{}", out.all());

    // Every other suite in README is valid too (with the variables a run would provide).
    for block in blocks
        .iter()
        .filter(|b| b.contains("\nscenarios:") && b.as_str() != suite)
    {
        p.write("specs/other.yaml", block);
        let out = p.gigcheck(&["validate", "specs/other.yaml", "--var", "admin_token=t"]);
        assert_eq!(out.code, 0, "{block}\n{}", out.all());
    }

    // The step examples (webhook, concurrent) are valid steps too.
    for block in blocks.iter().filter(|b| b.starts_with("- ")) {
        let indented: String = block.lines().map(|l| format!("      {l}\n")).collect();
        let spec = format!(
            "vars: {{ intent_id: pi_1, order_id: 1, token: t, user_email: \"\", user_password: \"\", customer_password: x }}\nscenarios:\n  - name: example\n    steps:\n{indented}"
        );
        p.write("specs/orders.yaml", &spec);
        let out = p.gigcheck(&[
            "validate",
            "specs/orders.yaml",
            "--var",
            "webhook_secret=whsec_x",
        ]);
        assert_eq!(out.code, 0, "{spec}\n{}", out.all());
    }
}
