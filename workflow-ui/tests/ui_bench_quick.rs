//! The UI bench at a tenth of its sizes (`--quick`): every page it times
//! answers with what it must show, and prints its line.

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/examples/ui_bench`, which `cargo test` builds with the tests.
fn bench_binary() -> PathBuf {
    let deps = std::env::current_exe().expect("the test binary's path");
    let profile = deps.parent().and_then(|d| d.parent()).expect("target/<profile>/deps");
    profile
        .join("examples")
        .join(format!("ui_bench{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn every_page_is_timed_and_shows_what_it_must() {
    let output = Command::new(bench_binary())
        .arg("--quick")
        .output()
        .expect("the UI bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for page in [
        "runs page, 10001 runs: ",
        "runs page, status and type filters: ",
        "runs page, a search attribute query: ",
        "run page, ",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(page))
            .unwrap_or_else(|| panic!("no `{page}` line in\n{stdout}"));
        assert!(line.contains(" ms server time, "), "{line}");
    }
}
