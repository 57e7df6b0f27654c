//! Runs `hook` steps: a shell command of the environment, or a built-in call to the embedded
//! sandbox. A hook named `X_down` is undone by `X_up` at the end of the scenario if the
//! scenario did not do it itself.

use crate::environment::Hook;
use std::time::Duration;
use tokio::process::Command;

/// Runs a hook; `Err` says why it failed, in one line.
pub(super) async fn run(
    hook: &Hook,
    client: &super::http::Http,
    timeout: Duration,
) -> Result<(), String> {
    match hook {
        Hook::Shell(command) => {
            let child = Command::new("sh")
                .arg("-c")
                .arg(command)
                .stdin(std::process::Stdio::null())
                .kill_on_drop(true)
                .output();
            let output = tokio::time::timeout(timeout, child)
                .await
                .map_err(|_| format!("`{command}` did not finish within {} s", timeout.as_secs()))?
                .map_err(|e| format!("cannot run `{command}`: {e}"))?;
            if output.status.success() {
                Ok(())
            } else {
                let stderr = String::from_utf8_lossy(&output.stderr);
                let last = stderr
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                Err(format!("`{command}` failed ({}): {last}", output.status))
            }
        }
        Hook::Post { url, body } => client.post_json(url, body, timeout).await,
    }
}

/// The hook that undoes `name`, if it is a `_down` hook.
pub(crate) fn undo_of(name: &str) -> Option<String> {
    name.strip_suffix("_down").map(|base| format!("{base}_up"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shell_hooks_report_failures_in_one_line() {
        let http = super::super::http::Http::new().unwrap();
        let t = Duration::from_secs(5);
        assert_eq!(run(&Hook::Shell("true".into()), &http, t).await, Ok(()));
        let err = run(&Hook::Shell("echo nope >&2; exit 3".into()), &http, t)
            .await
            .unwrap_err();
        assert!(
            err.contains("exit status: 3") && err.ends_with(": nope"),
            "{err}"
        );
        let err = run(
            &Hook::Shell("sleep 5".into()),
            &http,
            Duration::from_millis(100),
        )
        .await
        .unwrap_err();
        assert!(err.contains("did not finish"), "{err}");
    }

    #[test]
    fn down_hooks_are_undone_by_up_hooks() {
        assert_eq!(undo_of("db_down").as_deref(), Some("db_up"));
        assert_eq!(undo_of("reset"), None);
    }
}
