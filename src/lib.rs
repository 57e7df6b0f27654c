//! gigcheck's command line: [`cli`] (arguments and exit codes), [`commands`] (one module per
//! subcommand), [`import`] (other tools' collections → spec files) and [`embedded`] (the
//! sandbox and Stripe emulator wired together as the default target). The runner is
//! `gigcheck-core`, the servers `gigcheck-servers`, and what both stand on `gigcheck-base`.

#[macro_use]
extern crate gigcheck_base;

pub mod cli;
pub mod commands;
pub mod embedded;
pub mod import;
