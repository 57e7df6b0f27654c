//! `gigcheck list`: the scenarios, with id, name, tags and where they are written.

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
    let rows: Vec<[String; 4]> = super::select(&project, &args.select)
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
    print!("{}", table(&["ID", "NAME", "TAGS", "WHERE"], &rows));
    Exit::Passed
}

/// Left-aligned columns separated by two spaces.
fn table(header: &[&str; 4], rows: &[[String; 4]]) -> String {
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
