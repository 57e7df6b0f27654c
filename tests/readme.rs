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
    p.write("specs/orders.yaml", &blocks[0]);
    p.write("specs/_fragments/login.yaml", &blocks[1]);
    p.write(
        "fixtures/schemas/created-order.json",
        "{\"type\": \"object\"}",
    );
    let out = p.gigcheck(&["validate"]);
    assert_eq!(out.code, 0, "{}", out.all());

    p.write("env.yaml", &blocks[2]);
    let out = p.gigcheck(&["validate", "--env", "env.yaml"]);
    assert_eq!(out.code, 0, "{}", out.all());
}
