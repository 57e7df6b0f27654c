//! Traceability: which plan cases ran and how they ended, and which of the contract's
//! route × status pairs the run exercised (from the contract file, `fixtures/contract.yaml`).

use super::model::{Outcome, RunReport, ScenarioReport};
use indexmap::IndexMap;
use std::collections::BTreeSet;

/// One plan case: its scenarios and how they ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCase {
    pub id: String,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// Plan cases in the order their first scenario appears.
pub fn plan_cases(report: &RunReport) -> Vec<PlanCase> {
    let mut tally = PlanTally::default();
    for s in report.suites.iter().flat_map(|s| &s.scenarios) {
        tally.add(s);
    }
    tally.cases()
}

/// Plan cases counted one scenario at a time, as a run goes.
#[derive(Debug, Default)]
pub struct PlanTally(IndexMap<String, PlanCase>);

impl PlanTally {
    pub fn add(&mut self, s: &ScenarioReport) {
        let Some(id) = &s.id else { return };
        let case = self.0.entry(id.clone()).or_insert_with(|| PlanCase {
            id: id.clone(),
            passed: 0,
            failed: 0,
            skipped: 0,
        });
        match s.outcome {
            Outcome::Passed => case.passed += 1,
            Outcome::Failed => case.failed += 1,
            Outcome::Skipped(_) => case.skipped += 1,
        }
    }

    pub fn cases(&self) -> Vec<PlanCase> {
        self.0.values().cloned().collect()
    }
}

/// The contract's routes and their documented statuses.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    #[serde(deserialize_with = "crate::spec::unique::map")]
    pub routes: IndexMap<String, Vec<u16>>,
}

/// What the run exercised of the contract.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractCoverage {
    /// `POST /api/orders 201`, documented and seen.
    pub exercised: Vec<String>,
    /// Documented, never seen.
    pub missing: Vec<String>,
}

impl Contract {
    pub fn load(path: &std::path::Path) -> Result<Contract, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The route pattern (`POST /api/orders/{id}/cancel`) a request matches, if any.
    fn route_of(&self, method: &str, path: &str) -> Option<&str> {
        let path = path.trim_end_matches('/');
        self.routes.keys().map(String::as_str).find(|route| {
            let Some((m, pattern)) = route.split_once(' ') else {
                return false;
            };
            if m != method {
                return false;
            }
            let want: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
            let got: Vec<&str> = path.split('/').collect();
            want.len() == got.len()
                && want
                    .iter()
                    .zip(&got)
                    .all(|(w, g)| (w.starts_with('{') && !g.is_empty()) || w == g)
        })
    }

    /// Compares the requests the run sent to `base_url` with the documented pairs.
    pub fn coverage(&self, report: &RunReport, base_url: &str) -> ContractCoverage {
        let mut tally = ContractTally::new(self.clone(), base_url);
        for s in report.suites.iter().flat_map(|s| &s.scenarios) {
            tally.add(s);
        }
        tally.coverage()
    }
}

/// The contract's route × status pairs seen, gathered one scenario at a time as a run goes.
#[derive(Debug)]
pub struct ContractTally {
    contract: Contract,
    base: Option<url::Url>,
    base_path: String,
    /// `POST /api/orders 201`: bounded by the contract, however many requests were sent.
    seen: BTreeSet<String>,
}

impl ContractTally {
    pub fn new(contract: Contract, base_url: &str) -> ContractTally {
        let base = url::Url::parse(base_url).ok();
        let base_path = base
            .as_ref()
            .map(|b| b.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        ContractTally {
            contract,
            base,
            base_path,
            seen: BTreeSet::new(),
        }
    }

    pub fn add(&mut self, s: &ScenarioReport) {
        for t in s.steps.iter().flat_map(|s| &s.traffic) {
            let (Ok(url), Some(base), Some(status)) =
                (url::Url::parse(&t.url), &self.base, t.status)
            else {
                continue;
            };
            if url.origin() != base.origin() {
                continue;
            }
            let path = url
                .path()
                .strip_prefix(&self.base_path)
                .unwrap_or(url.path());
            if let Some(route) = self.contract.route_of(&t.method, path) {
                self.seen.insert(format!("{route} {status}"));
            }
        }
    }

    pub fn coverage(&self) -> ContractCoverage {
        let mut coverage = ContractCoverage::default();
        for (route, statuses) in &self.contract.routes {
            for status in statuses {
                let pair = format!("{route} {status}");
                if self.seen.contains(&pair) {
                    coverage.exercised.push(pair);
                } else {
                    coverage.missing.push(pair);
                }
            }
        }
        coverage
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::*;

    fn report(traffic: Vec<(&str, &str, Option<u16>)>, outcomes: &[(&str, Outcome)]) -> RunReport {
        let step = StepReport {
            phase: Phase::Main,
            number: 1,
            name: "s".into(),
            loc: Default::default(),
            status: StepStatus::Passed,
            error: None,
            checks: Vec::new(),
            exchange: None,
            traffic: traffic
                .into_iter()
                .map(|(m, u, s)| Traffic {
                    method: m.into(),
                    url: u.into(),
                    status: s,
                    webhook: false,
                })
                .collect(),
            attempts: 1,
            duration: Default::default(),
        };
        let scenarios = outcomes
            .iter()
            .map(|(id, outcome)| ScenarioReport {
                id: Some(id.to_string()),
                name: "x".into(),
                tags: Vec::new(),
                loc: Default::default(),
                outcome: outcome.clone(),
                steps: vec![step.clone()],
                duration: Default::default(),
            })
            .collect();
        RunReport {
            suites: vec![SuiteReport {
                name: "s".into(),
                file: "f".into(),
                scenarios,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn plan_cases_count_outcomes_in_order() {
        let r = report(
            vec![],
            &[
                ("1.1", Outcome::Passed),
                ("1.2", Outcome::Failed),
                ("1.1", Outcome::Skipped("x".into())),
            ],
        );
        let cases = plan_cases(&r);
        assert_eq!(
            cases[0],
            PlanCase {
                id: "1.1".into(),
                passed: 1,
                failed: 0,
                skipped: 1
            }
        );
        assert_eq!(cases[1].failed, 1);
    }

    #[test]
    fn routes_match_by_pattern_and_origin() {
        let contract: Contract = serde_yaml::from_str(
            "routes:\n  GET /api/orders/stats: [200]\n  GET /api/orders/{id}: [200, 404]\n  POST /api/orders/{id}/cancel: [200, 400]\n",
        )
        .unwrap();
        let r = report(
            vec![
                ("GET", "http://h:1/v1/api/orders/7", Some(200)),
                ("GET", "http://h:1/v1/api/orders/stats", Some(200)),
                ("POST", "http://h:1/v1/api/orders/7/cancel/", Some(400)),
                ("POST", "http://other:2/v1/api/orders/7/cancel", Some(200)),
                ("GET", "http://h:1/v1/api/orders/8", None),
            ],
            &[("3.1", Outcome::Passed)],
        );
        let c = contract.coverage(&r, "http://h:1/v1");
        assert_eq!(
            c.exercised,
            [
                "GET /api/orders/stats 200",
                "GET /api/orders/{id} 200",
                "POST /api/orders/{id}/cancel 400"
            ]
        );
        assert_eq!(
            c.missing,
            [
                "GET /api/orders/{id} 404",
                "POST /api/orders/{id}/cancel 200"
            ]
        );
    }
}
