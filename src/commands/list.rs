//! `gigcheck list`: the scenarios, with id, name, tags and where they are written; with
//! `--rules`, the contract's rules and how many of those scenarios verify each.

use crate::cli::{Exit, ListArgs};

pub fn list(args: ListArgs) -> Exit {
    let (_env, project) = match super::load(&args.specs) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    if project.has_errors() {
        super::print_diagnostics(&project.diagnostics);
        return Exit::Usage;
    }
    let selected = super::select(&project, &args.select);
    if args.rules {
        return rules(&project, &selected);
    }
    let rows: Vec<[String; 4]> = selected
        .into_iter()
        .map(|(si, ci)| {
            let suite = &project.suites[si];
            let s = &suite.scenarios[ci];
            let mut tags = suite.tags.clone();
            tags.extend(s.tags.iter().filter(|t| !suite.tags.contains(t)).cloned());
            [
                s.id.clone().unwrap_or_else(|| "-".into()),
                s.name.clone(),
                tags.join(","),
                s.loc.to_string(),
            ]
        })
        .collect();
    out!("{}", table(&["ID", "NAME", "TAGS", "WHERE"], &rows));
    Exit::Passed
}

/// The contract's rules: id, how many selected scenarios verify it (`-`: unobservable), text.
fn rules(project: &gigcheck_core::loader::Project, selected: &[(usize, usize)]) -> Exit {
    let Some(contract) = project.contract.as_ref().filter(|c| !c.rules.is_empty()) else {
        errln!(
            "error: this project's contract lists no rules: add them under `rules:` in {}",
            project.fixtures_dir.join("contract.yaml").display()
        );
        return Exit::Usage;
    };
    let mut verifying: std::collections::HashMap<&str, usize> = Default::default();
    for &(si, ci) in selected {
        let s = &project.suites[si].scenarios[ci];
        let named: std::collections::BTreeSet<&str> = s
            .verifies
            .iter()
            .chain(&s.step_rules)
            .map(String::as_str)
            .collect();
        for id in named {
            *verifying.entry(id).or_default() += 1;
        }
    }
    let rows: Vec<[String; 3]> = contract
        .rules
        .iter()
        .map(|(id, rule)| {
            let n = match &rule.unobservable {
                Some(_) => "-".to_string(),
                None => verifying.get(id.as_str()).copied().unwrap_or(0).to_string(),
            };
            [id.clone(), n, rule.text.clone()]
        })
        .collect();
    out!("{}", table(&["RULE", "SCENARIOS", "TEXT"], &rows));
    Exit::Passed
}

/// Left-aligned columns separated by two spaces.
fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for row in rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}
