//! The README's example specs are real: they pass `gigcheck validate`.

mod common;
use common::*;

/// The YAML code blocks of the README, in order.
fn yaml_blocks() -> Vec<String> {
    let readme = include_str!("../README.md");
    readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|block| block.split("```").next().map(str::to_string))
        .collect()
}

#[test]
fn the_readme_example_validates() {
    let blocks = yaml_blocks();
    let p = Project::new();
    // The complete example: a suite, then the fragment it includes.
    let suite = blocks
        .iter()
        .position(|b| b.contains("\nscenarios:"))
        .expect("a suite example");
    p.write("specs/orders.yaml", &blocks[suite]);
    p.write("specs/_fragments/login.yaml", &blocks[suite + 1]);
    p.write(
        "fixtures/schemas/created-order.json",
        "{\"type\": \"object\"}",
    );
    let out = p.gigcheck(&["validate"]);
    assert_eq!(out.code, 0, "{}", out.all());

    let env = blocks
        .iter()
        .find(|b| b.contains("secrets:"))
        .expect("an environment file example");
    p.write("env.yaml", env);
    let out = p.gigcheck(&["validate", "--env", "env.yaml"]);
    assert_eq!(out.code, 0, "{}", out.all());

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
