//! Traceability: which plan cases ran and how they ended (titles and order from the plan file,
//! `fixtures/plan.yaml`), and which of the contract's route × status pairs the run exercised
//! (from the contract file, `fixtures/contract.yaml`).

use crate::contract::Contract;
use crate::outcome::{Outcome, RunReport, ScenarioReport};
use indexmap::IndexMap;
use std::collections::BTreeSet;

/// The test plan: its case ids with their titles, in the plan's order.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Case id (`4.2`) → its title, in the plan file's order; each id once.
    #[serde(deserialize_with = "crate::spec::unique::map")]
    pub cases: IndexMap<String, String>,
}

impl Plan {
    /// Reads a plan file (`fixtures/plan.yaml`); the error names the file.
    pub fn load(path: &std::path::Path) -> Result<Plan, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        crate::yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// What a run tells of one plan case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseVerdict {
    /// Tested, and every scenario that ran passed.
    Passed,
    /// A scenario's own checks found something wrong.
    Failed,
    /// A scenario could not reach its checks: the case is not (fully) tested.
    Blocked,
    /// Its scenarios were all skipped.
    Skipped,
    /// No scenario of the run covers it.
    NoScenario,
}

impl CaseVerdict {
    /// As people read it in the plan coverage list: `tested, passed`, `no scenario`, ….
    pub fn label(self) -> &'static str {
        match self {
            CaseVerdict::Passed => "tested, passed",
            CaseVerdict::Failed => "failed",
            CaseVerdict::Blocked => "blocked",
            CaseVerdict::Skipped => "skipped",
            CaseVerdict::NoScenario => "no scenario",
        }
    }

    /// The word machines read: `passed`, `failed`, `blocked`, `skipped`, `no-scenario`.
    pub fn key(self) -> &'static str {
        match self {
            CaseVerdict::Passed => "passed",
            CaseVerdict::Failed => "failed",
            CaseVerdict::Blocked => "blocked",
            CaseVerdict::Skipped => "skipped",
            CaseVerdict::NoScenario => "no-scenario",
        }
    }
}

/// One plan case: its title and how its scenarios ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCase {
    /// The plan's case id, e.g. `4.2`.
    pub id: String,
    /// The plan's title for the case, when the plan file names it.
    pub title: Option<String>,
    /// Scenarios with this case id that passed.
    pub passed: usize,
    /// Scenarios with this case id whose own checks found something wrong.
    pub failed: usize,
    /// Scenarios with this case id that never reached their checks.
    pub blocked: usize,
    /// Scenarios with this case id that did not run.
    pub skipped: usize,
}

impl PlanCase {
    fn new(id: &str, title: Option<String>) -> PlanCase {
        PlanCase {
            id: id.to_string(),
            title,
            passed: 0,
            failed: 0,
            blocked: 0,
            skipped: 0,
        }
    }

    /// How many of the run's scenarios carry this case id.
    pub fn scenarios(&self) -> usize {
        self.passed + self.failed + self.blocked + self.skipped
    }

    /// The worst that happened to the case: failed, then blocked, then passed, then skipped.
    pub fn verdict(&self) -> CaseVerdict {
        if self.failed > 0 {
            CaseVerdict::Failed
        } else if self.blocked > 0 {
            CaseVerdict::Blocked
        } else if self.passed > 0 {
            CaseVerdict::Passed
        } else if self.skipped > 0 {
            CaseVerdict::Skipped
        } else {
            CaseVerdict::NoScenario
        }
    }
}

/// What a run covered: the plan's cases and the contract's route × status pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// The plan's cases in its order, then ids the plan does not know, as they appeared.
    pub plan: Vec<PlanCase>,
    /// Which documented route × status pairs the run exercised; `None` without a contract.
    pub contract: Option<ContractCoverage>,
    /// What the run tells of each contract rule, when the contract has rules.
    pub rules: Option<super::rules::RuleCoverage>,
}

/// Plan cases counted one scenario at a time, as a run goes.
#[derive(Debug, Default)]
pub struct PlanTally(IndexMap<String, PlanCase>);

impl PlanTally {
    /// Counts every scenario of a finished report.
    pub fn of(report: &RunReport) -> PlanTally {
        let mut tally = PlanTally::default();
        for s in report.scenarios() {
            tally.add(s);
        }
        tally
    }

    /// Counts one scenario under its case id; one without an id is not counted.
    pub fn add(&mut self, s: &ScenarioReport) {
        let Some(id) = &s.id else { return };
        let case = self
            .0
            .entry(id.clone())
            .or_insert_with(|| PlanCase::new(id, None));
        match s.outcome {
            Outcome::Passed => case.passed += 1,
            Outcome::Failed => case.failed += 1,
            Outcome::Blocked => case.blocked += 1,
            Outcome::Skipped(_) => case.skipped += 1,
        }
    }

    /// The plan's cases in its order with their titles (those no scenario covered too), then
    /// the ids the plan does not know; without a plan, ids as they first appeared.
    pub fn cases(&self, plan: Option<&Plan>) -> Vec<PlanCase> {
        let mut out = Vec::new();
        if let Some(plan) = plan {
            for (id, title) in &plan.cases {
                let mut case = self
                    .0
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| PlanCase::new(id, None));
                case.title = Some(title.clone());
                out.push(case);
            }
        }
        let known = |id: &str| plan.is_some_and(|p| p.cases.contains_key(id));
        out.extend(self.0.values().filter(|c| !known(&c.id)).cloned());
        out
    }
}

/// What the run exercised of the contract.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractCoverage {
    /// `POST /api/orders 201`, documented and seen.
    pub exercised: Vec<String>,
    /// Documented, never seen.
    pub missing: Vec<String>,
}

impl ContractCoverage {
    /// Compares the requests the run sent to `base_url` with the documented pairs.
    pub fn of(contract: &Contract, report: &RunReport, base_url: &str) -> ContractCoverage {
        let mut tally = ContractTally::new(std::sync::Arc::new(contract.clone()), base_url);
        for s in report.suites.iter().flat_map(|s| &s.scenarios) {
            tally.add(s);
        }
        tally.coverage()
    }
}

/// The contract's route × status pairs seen, gathered one scenario at a time as a run goes.
#[derive(Debug)]
pub struct ContractTally {
    contract: std::sync::Arc<Contract>,
    base: Option<url::Url>,
    base_path: String,
    /// `POST /api/orders 201`: bounded by the contract, however many requests were sent.
    seen: BTreeSet<String>,
}

impl ContractTally {
    /// Counts `contract`'s pairs in requests to `base_url` (same origin, under its path).
    pub fn new(contract: std::sync::Arc<Contract>, base_url: &str) -> ContractTally {
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

    /// Counts the route × status of every answered request the scenario's steps sent to the base
    /// URL; other origins and routes the contract does not list are ignored.
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

    /// Every documented pair, exercised or missing, in the contract's order.
    pub fn coverage(&self) -> ContractCoverage {
        let mut coverage = ContractCoverage::default();
        for (route, documented) in &self.contract.routes {
            for status in documented.statuses() {
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
    use crate::outcome::*;

    fn report(traffic: Vec<(&str, &str, Option<u16>)>, outcomes: &[(&str, Outcome)]) -> RunReport {
        let step = StepReport {
            phase: Phase::Main,
            number: 1,
            name: "s".into(),
            loc: Default::default(),
            status: StepStatus::Passed,
            precondition: false,
            unevaluated: None,
            redirects: Vec::new(),
            notes: Vec::new(),
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
            verifies: Vec::new(),
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
                started_at: None,
                rules: Default::default(),
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
                ("1.3", Outcome::Blocked),
            ],
        );
        let cases = PlanTally::of(&r).cases(None);
        assert_eq!(
            cases[0],
            PlanCase {
                id: "1.1".into(),
                title: None,
                passed: 1,
                failed: 0,
                blocked: 0,
                skipped: 1
            }
        );
        assert_eq!(cases[0].verdict(), CaseVerdict::Passed);
        assert_eq!(cases[1].verdict(), CaseVerdict::Failed);
        assert_eq!(cases[2].verdict(), CaseVerdict::Blocked);
    }

    #[test]
    fn the_plan_gives_order_titles_and_cases_without_a_scenario() {
        let plan: Plan =
            crate::yaml::from_str("cases:\n  \"1.1\": One\n  \"1.2\": Two\n  \"B.1\": Safe\n")
                .unwrap();
        let r = report(
            vec![],
            &[
                ("B.1", Outcome::Passed),
                ("9.9", Outcome::Skipped("x".into())),
                ("1.1", Outcome::Blocked),
            ],
        );
        let cases = PlanTally::of(&r).cases(Some(&plan));
        let seen: Vec<(&str, Option<&str>, &str)> = cases
            .iter()
            .map(|c| (c.id.as_str(), c.title.as_deref(), c.verdict().key()))
            .collect();
        assert_eq!(
            seen,
            [
                ("1.1", Some("One"), "blocked"),
                ("1.2", Some("Two"), "no-scenario"),
                ("B.1", Some("Safe"), "passed"),
                ("9.9", None, "skipped"),
            ]
        );
    }

    #[test]
    fn routes_match_by_pattern_and_origin() {
        let contract = Contract::parse(
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
        let c = ContractCoverage::of(&contract, &r, "http://h:1/v1");
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
