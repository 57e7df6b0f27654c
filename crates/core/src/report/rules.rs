//! Rule coverage: which of the contract's rules (`fixtures/contract.yaml`) a run checked, which
//! it found broken, and which no check of the project verifies. Counted one scenario at a time
//! from what each scenario says of the rules it names ([`ScenarioReport::rule_results`]).

use crate::contract::Contract;
use crate::outcome::{RuleResult, ScenarioReport};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// How many scenarios that broke a rule are named with it.
const BROKEN_BY: usize = 3;

/// What the run tells of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleVerdict {
    /// A check that verifies it failed.
    Broken,
    /// Checked, and every check that verifies it held.
    Held,
    /// The scenarios that verify it stopped before their checks.
    Blocked,
    /// The scenarios that verify it were skipped.
    Skipped,
    /// Scenarios of this run name it, but the steps that verify it did not run (the other
    /// branch of a `when`/`unless`, or a `once` fragment another scenario ran before).
    Unreached,
    /// Only scenarios outside this run (`--tag`, a file, a shard) verify it.
    NotRun,
    /// No scenario of the project verifies it.
    Unchecked,
    /// No black-box client can observe it (the contract says why).
    Unobservable,
}

impl RuleVerdict {
    /// Every verdict, in the order reports list and count them: broken first.
    pub const ALL: [RuleVerdict; 8] = [
        RuleVerdict::Broken,
        RuleVerdict::Held,
        RuleVerdict::Blocked,
        RuleVerdict::Skipped,
        RuleVerdict::Unreached,
        RuleVerdict::NotRun,
        RuleVerdict::Unchecked,
        RuleVerdict::Unobservable,
    ];

    /// The verdicts of rules no check of the run decided, in the order reports list them.
    pub(crate) const UNDECIDED: [RuleVerdict; 6] = [
        RuleVerdict::Blocked,
        RuleVerdict::Skipped,
        RuleVerdict::Unreached,
        RuleVerdict::NotRun,
        RuleVerdict::Unchecked,
        RuleVerdict::Unobservable,
    ];

    /// The word machines read.
    pub fn key(self) -> &'static str {
        match self {
            RuleVerdict::Broken => "broken",
            RuleVerdict::Held => "held",
            RuleVerdict::Blocked => "blocked",
            RuleVerdict::Skipped => "skipped",
            RuleVerdict::Unreached => "unreached",
            RuleVerdict::NotRun => "not-run",
            RuleVerdict::Unchecked => "unchecked",
            RuleVerdict::Unobservable => "unobservable",
        }
    }

    /// As people read it in a list heading.
    pub fn label(self) -> &'static str {
        match self {
            RuleVerdict::Broken => "broken",
            RuleVerdict::Held => "held",
            RuleVerdict::Blocked => "blocked before their checks",
            RuleVerdict::Skipped => "skipped",
            RuleVerdict::Unreached => {
                "named by steps this run did not take (a `when`/`unless` branch)"
            }
            RuleVerdict::NotRun => "checked only by scenarios outside this run",
            RuleVerdict::Unchecked => "verified by no scenario",
            RuleVerdict::Unobservable => "not observable by a black-box client",
        }
    }
}

/// One rule of the contract and what the run tells of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleLine {
    /// The rule's id in the contract, e.g. `orders.create.total`.
    pub id: String,
    /// The rule's statement, as the contract writes it.
    pub text: String,
    /// What the run tells of it.
    pub verdict: RuleVerdict,
    /// Why it cannot be observed, for an unobservable rule.
    pub unobservable: Option<String>,
    /// The first scenarios (titles) that found it broken.
    pub(crate) broken_by: Vec<String>,
}

/// Every rule of the contract, in its order, with its verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCoverage {
    /// Every rule of the contract, in its order.
    pub rules: Vec<RuleLine>,
}

impl RuleCoverage {
    /// How many rules have this verdict.
    pub fn count(&self, verdict: RuleVerdict) -> usize {
        self.with(verdict).count()
    }

    /// How many rules the contract has, observable or not.
    pub fn total(&self) -> usize {
        self.rules.len()
    }

    /// Rules a black-box client can observe.
    pub fn observable(&self) -> usize {
        self.total() - self.count(RuleVerdict::Unobservable)
    }

    /// Rules a check of this run decided: held or broken.
    pub fn checked(&self) -> usize {
        self.count(RuleVerdict::Held) + self.count(RuleVerdict::Broken)
    }

    /// The rules with this verdict, in the contract's order.
    pub fn with(&self, verdict: RuleVerdict) -> impl Iterator<Item = &RuleLine> {
        self.rules.iter().filter(move |r| r.verdict == verdict)
    }

    /// The ids of the rules with this verdict, in the contract's order.
    pub fn ids(&self, verdict: RuleVerdict) -> impl Iterator<Item = &str> {
        self.with(verdict).map(|r| r.id.as_str())
    }

    /// `142/150 observable contract rules checked`: the headline every report format shows.
    pub fn headline(&self) -> String {
        format!(
            "{}/{} observable contract rules checked",
            self.checked(),
            self.observable()
        )
    }

    /// The counts by verdict as `(key, count)`, every verdict, in [`RuleVerdict::ALL`] order.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        RuleVerdict::ALL
            .iter()
            .map(|v| (v.key(), self.count(*v)))
            .collect()
    }
}

/// How often each rule held, broke, was blocked or skipped, as scenarios arrive.
#[derive(Debug, Default)]
struct Counts {
    held: usize,
    broken: usize,
    blocked: usize,
    skipped: usize,
    broken_by: Vec<String>,
}

/// Rule results gathered one scenario at a time as a run goes.
#[derive(Debug)]
pub struct RuleTally {
    contract: Arc<Contract>,
    /// Every rule some scenario of the project names, run or not.
    named: BTreeSet<String>,
    /// Every rule the scenarios of this run name, whether their steps ran or not.
    in_run: BTreeSet<String>,
    counts: HashMap<String, Counts>,
}

impl RuleTally {
    /// `named`: the rules the project's scenarios name, including those this run leaves out.
    pub fn new(contract: Arc<Contract>, named: BTreeSet<String>) -> RuleTally {
        RuleTally {
            contract,
            named,
            in_run: BTreeSet::new(),
            counts: HashMap::new(),
        }
    }

    /// Counts what one scenario says of each rule it names.
    pub fn add(&mut self, s: &ScenarioReport) {
        for id in s.rules.scenario.iter().chain(&s.rules.steps) {
            if !self.in_run.contains(id) {
                self.in_run.insert(id.clone());
            }
        }
        for (id, result) in s.rule_results() {
            let c = self.counts.entry(id.to_string()).or_default();
            match result {
                RuleResult::Held => c.held += 1,
                RuleResult::Broken => {
                    c.broken += 1;
                    let title = s.title();
                    if c.broken_by.len() < BROKEN_BY && !c.broken_by.contains(&title) {
                        c.broken_by.push(title);
                    }
                }
                RuleResult::Blocked => c.blocked += 1,
                RuleResult::Skipped => c.skipped += 1,
            }
        }
    }

    /// Each rule's verdict so far: unobservable as the contract says; else broken if any check
    /// broke it, then held, blocked, skipped, unreached, not run or unchecked, first that fits.
    pub fn coverage(&self) -> RuleCoverage {
        let rules = self
            .contract
            .rules
            .iter()
            .map(|(id, rule)| {
                let counts = self.counts.get(id);
                let verdict = if rule.unobservable.is_some() {
                    RuleVerdict::Unobservable
                } else {
                    match counts {
                        Some(c) if c.broken > 0 => RuleVerdict::Broken,
                        Some(c) if c.held > 0 => RuleVerdict::Held,
                        Some(c) if c.blocked > 0 => RuleVerdict::Blocked,
                        Some(c) if c.skipped > 0 => RuleVerdict::Skipped,
                        _ if self.in_run.contains(id) => RuleVerdict::Unreached,
                        _ if self.named.contains(id) => RuleVerdict::NotRun,
                        _ => RuleVerdict::Unchecked,
                    }
                };
                RuleLine {
                    id: id.clone(),
                    text: rule.text.clone(),
                    verdict,
                    unobservable: rule.unobservable.clone(),
                    broken_by: counts.map(|c| c.broken_by.clone()).unwrap_or_default(),
                }
            })
            .collect();
        RuleCoverage { rules }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::*;

    fn step(verifies: &[&str], status: StepStatus, check_failed: bool) -> StepReport {
        let mut s = StepReport::unsent(Phase::Main, 1, "s".into(), Default::default(), "x".into());
        s.status = status;
        s.error = None;
        s.verifies = verifies.iter().map(|v| v.to_string()).collect();
        if check_failed {
            s.checks.push(CheckReport {
                kind: CheckKind::Status,
                subject: "status".into(),
                operator: "==".into(),
                loc: Default::default(),
                passed: false,
                expected: None,
                actual: None,
                message: None,
                details: Vec::new(),
                diff: None,
            });
        }
        s
    }

    fn scenario(
        name: &str,
        outcome: Outcome,
        whole: &[&str],
        steps: Vec<StepReport>,
        named: &[&str],
    ) -> ScenarioReport {
        ScenarioReport {
            id: None,
            name: name.into(),
            tags: Vec::new(),
            loc: Default::default(),
            outcome,
            steps,
            duration: Default::default(),
            started_at: None,
            rules: RuleNames {
                scenario: whole.iter().map(|v| v.to_string()).collect(),
                steps: named.iter().map(|v| v.to_string()).collect(),
            },
        }
    }

    #[test]
    fn each_rule_gets_the_verdict_its_checks_earned() {
        let contract = Contract::parse(
            "rules:\n  a.unreached: x\n  a.held: x\n  a.broken: x\n  a.blocked: x\n  a.skipped: x\n  a.elsewhere: x\n  a.nobody: x\n  a.hidden:\n    text: x\n    unobservable: inside\n  a.whole: x\n",
        )
        .unwrap();
        let named: BTreeSet<String> = [
            "a.unreached",
            "a.held",
            "a.broken",
            "a.blocked",
            "a.skipped",
            "a.elsewhere",
            "a.whole",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut tally = RuleTally::new(Arc::new(contract), named);
        // Held in one scenario, broken in the next: broken.
        tally.add(&scenario(
            "one",
            Outcome::Passed,
            &["a.whole"],
            vec![step(&["a.held", "a.broken"], StepStatus::Passed, false)],
            &["a.held", "a.broken", "a.unreached"],
        ));
        tally.add(&scenario(
            "two",
            Outcome::Failed,
            &[],
            vec![
                step(&["a.held"], StepStatus::Passed, false),
                step(&["a.broken"], StepStatus::Failed, true),
            ],
            &["a.held", "a.broken", "a.blocked"],
        ));
        tally.add(&scenario(
            "three",
            Outcome::Skipped("x".into()),
            &[],
            vec![],
            &["a.skipped"],
        ));
        let c = tally.coverage();
        let verdict = |id: &str| c.rules.iter().find(|r| r.id == id).unwrap().verdict;
        assert_eq!(verdict("a.held"), RuleVerdict::Held);
        assert_eq!(verdict("a.unreached"), RuleVerdict::Unreached);
        assert_eq!(verdict("a.broken"), RuleVerdict::Broken);
        assert_eq!(verdict("a.blocked"), RuleVerdict::Blocked);
        assert_eq!(verdict("a.skipped"), RuleVerdict::Skipped);
        assert_eq!(verdict("a.elsewhere"), RuleVerdict::NotRun);
        assert_eq!(verdict("a.nobody"), RuleVerdict::Unchecked);
        assert_eq!(verdict("a.hidden"), RuleVerdict::Unobservable);
        assert_eq!(verdict("a.whole"), RuleVerdict::Held);
        let broken = c.rules.iter().find(|r| r.id == "a.broken").unwrap();
        assert_eq!(broken.broken_by, ["two"]);
        assert_eq!(c.observable(), 8);
        assert_eq!(c.checked(), 3);
        assert_eq!(c.headline(), "3/8 observable contract rules checked");
    }

    #[test]
    fn a_step_that_got_no_answer_blocks_its_rule_rather_than_breaking_it() {
        let s = scenario(
            "x",
            Outcome::Blocked,
            &[],
            vec![step(&["a.b"], StepStatus::Failed, false)],
            &["a.b", "a.c"],
        );
        assert_eq!(
            s.rule_results(),
            [("a.b", RuleResult::Blocked), ("a.c", RuleResult::Blocked)]
        );
        // A passing scenario says nothing of a step rule it never reached.
        let s = scenario("y", Outcome::Passed, &[], vec![], &["a.b"]);
        assert!(s.rule_results().is_empty());
    }
}
