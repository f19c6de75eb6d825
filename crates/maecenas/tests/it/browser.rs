//! Browser tests: headless Chromium (Debian `chromium`) driven by npm `playwright-core`.
//!
//! Each test serves the real application ([`TestApp`]) and runs `tests/browser/accounts.mjs`
//! against it with Node.js. The script launches `/usr/bin/chromium` with its own temporary
//! profile and a unique e-mail, so runs in parallel (both backends at once) never collide.
//! Missing prerequisites fail the test with the command that installs them; nothing is skipped.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use maecenas_testkit::{TestApp, both_backends};
use tokio::{io::AsyncReadExt, process::Command};

/// The browser the script drives (the Debian package `chromium`).
const CHROMIUM: &str = "/usr/bin/chromium";
/// The scripts stop themselves after 60 s (`memberships.mjs`: 100 s); this is the backstop
/// should one hang anyway.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// `tests/browser` at the workspace root.
pub(crate) fn browser_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    dir.canonicalize().unwrap_or(dir)
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Fails the test, saying what to install, unless Node.js ≥ 20, the pinned `playwright-core`
/// and Chromium are all present.
pub(crate) async fn require_prerequisites(dir: &Path) {
    let node = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .await;
    let version = match node {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => panic!(
            "the browser tests need Node.js ≥ 20 on PATH: run `apt-get install nodejs npm`, \
             then `npm ci --prefix tests/browser`"
        ),
    };
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 20,
        "the browser tests need Node.js ≥ 20 (playwright-core requires it); found {version}"
    );

    let pinned = read_json(&dir.join("package.json"))
        .and_then(|p| {
            p["dependencies"]["playwright-core"]
                .as_str()
                .map(str::to_owned)
        })
        .expect("tests/browser/package.json names playwright-core");
    let installed = read_json(&dir.join("node_modules/playwright-core/package.json"))
        .and_then(|p| p["version"].as_str().map(str::to_owned));
    match installed {
        None => panic!(
            "playwright-core is not installed in {}: run `npm ci --prefix tests/browser` \
             (from the workspace root)",
            dir.display()
        ),
        Some(v) if v != pinned => panic!(
            "tests/browser/node_modules has playwright-core {v}, but {pinned} is pinned: run \
             `npm ci --prefix tests/browser` (from the workspace root)"
        ),
        Some(_) => {}
    }

    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run `apt-get install chromium` (as root, after `apt-get update`)"
    );
}

/// What one run of the script did.
pub(crate) struct Run {
    /// The exit code, or `None` when it was killed at [`RUN_LIMIT`].
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "exit code {code}")?,
            None => write!(f, "killed after the {RUN_LIMIT:?} limit")?,
        }
        write!(
            f,
            " after {:.1?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.took,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

/// Runs `accounts.mjs` against `app`, logging in as `existing` at the end when given.
async fn run_accounts_script(app: &TestApp, existing: Option<(&str, &str)>) -> Run {
    let mut args = Vec::new();
    if let Some((email, password)) = existing {
        args.extend([email.to_owned(), password.to_owned()]);
    }
    run_script(app, "accounts.mjs", &args).await
}

/// Runs `tests/browser/<script>` against `app` with `args` after the base URL.
pub(crate) async fn run_script(app: &TestApp, script: &str, args: &[String]) -> Run {
    let dir = browser_dir();
    require_prerequisites(&dir).await;

    let mut command = Command::new("node");
    command
        .arg(dir.join(script))
        .arg(app.url(""))
        .args(args)
        .current_dir(&dir)
        // A screenshot path set for a manual run would be written by every test at once.
        .env_remove("BROWSER_SCREENSHOT")
        .env_remove("BROWSER_TIMEOUT_MS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);

    let started = Instant::now();
    let mut child = command.spawn().expect("start node");
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let stdout = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf).await;
        buf
    });
    let stderr = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf).await;
        buf
    });
    let code = match tokio::time::timeout(RUN_LIMIT, child.wait()).await {
        Ok(status) => Some(status.expect("wait for node").code().unwrap_or(-1)),
        Err(_) => {
            let _ = child.kill().await;
            None
        }
    };
    let took = started.elapsed();
    let collect = |task: tokio::task::JoinHandle<Vec<u8>>| async move {
        match tokio::time::timeout(Duration::from_secs(5), task).await {
            Ok(Ok(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            _ => "(output not collected)".to_owned(),
        }
    };
    Run {
        code,
        stdout: collect(stdout).await,
        stderr: collect(stderr).await,
        took,
    }
}

both_backends! {
    async fn account_pages_in_chromium(db: TestDb) {
        let backend = db.backend();
        let app = TestApp::spawn(db).await;
        // The demo's own seed, as `maecenas demo` runs it: its creator must be able to log in.
        let demo = maecenas_core::demo::seed(&app.db.store, app.state.clock())
            .await
            .expect("seed the demo data");
        let creator = (demo.creator.email.as_str(), demo.creator.password.as_str());

        let run = run_accounts_script(&app, Some(creator)).await;
        assert_eq!(run.code, Some(0), "the browser run failed on {backend:?}: {run}");
        println!("browser run on {backend:?}: {run}");

        // The account the browser signed up is in this backend's database.
        let email = run
            .stdout
            .lines()
            .find_map(|line| line.split_once("PASSED ")?.1.split_once("signed up "))
            .map(|(_, email)| email.trim().to_owned())
            .unwrap_or_else(|| panic!("no PASSED line naming the new account: {run}"));
        let user = app
            .db
            .store
            .user_by_email(&email)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{email} signed up in the browser but is not stored"));
        assert_eq!(user.full_name, "Browser Tester");

        app.stop().await;
    }
}
