//! The bench binary at a tenth of its sizes (`--quick`), as CI runs it: every
//! workload runs on both embedded engines and prints its line in the form
//! scripts read.

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/examples/bench`, which `cargo test` builds with the tests.
fn bench_binary() -> PathBuf {
    let deps = std::env::current_exe().expect("the test binary's path");
    let profile = deps.parent().and_then(|d| d.parent()).expect("target/<profile>/deps");
    profile
        .join("examples")
        .join(format!("bench{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn every_workload_prints_its_line_on_both_embedded_engines() {
    let output = Command::new(bench_binary())
        .arg("--quick")
        .output()
        .expect("the bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for engine in ["memory", "sqlite"] {
        for workload in ["A", "A16", "D", "C", "B", "X", "XL"] {
            let line = stdout
                .lines()
                .find(|l| l.starts_with(&format!("{workload} {engine} ")))
                .unwrap_or_else(|| panic!("no {workload} {engine} line in\n{stdout}"));
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 5, "{line}");
            assert!(fields[2].parse::<u64>().is_ok(), "{line}");
            assert!(
                fields[3].strip_suffix('s').is_some_and(|s| s.parse::<f64>().is_ok()),
                "{line}"
            );
            assert!(
                fields[4].strip_suffix("/s").is_some_and(|r| r.parse::<u64>().is_ok()),
                "{line}"
            );
        }
    }
    assert!(
        stdout.lines().any(|l| l.starts_with("R sqlite ") && l.ends_with("ms")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("M sqlite ") && l.ends_with("MiB")),
        "{stdout}"
    );
    let open = stdout.lines().find(|l| l.starts_with("O sqlite ")).expect(&stdout);
    let fields: Vec<&str> = open.split_whitespace().collect();
    assert_eq!(fields.len(), 5, "{open}");
    assert!(
        fields[3].strip_suffix("ms").is_some_and(|ms| ms.parse::<f64>().is_ok()),
        "{open}"
    );
    assert!(
        fields[4].strip_suffix("MiB").is_some_and(|m| m.parse::<f64>().is_ok()),
        "{open}"
    );
    for line in [
        "target A sqlite >= 5000/s: ",
        "target O sqlite <= 100ms and <= 64MiB: ",
        "A16 sqlite vs ceiling ",
        "A16 sqlite vs A16 memory ",
    ] {
        assert!(stdout.lines().any(|l| l.starts_with(line)), "no `{line}` in\n{stdout}");
    }
}
