//! Compile-time behaviour of the macros and the typed client: every rule has
//! a case in `tests/ui/<category>/<rule>.rs` whose expected compiler output
//! is the `.stderr` beside it; `tests/ui/pass/` must compile.
//!
//! After changing a message, refresh the expectations with
//! `TRYBUILD=overwrite cargo test --test ui` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    // Every category directory but `pass/` holds failing cases, so a new
    // category needs no change here.
    let mut categories: Vec<_> = std::fs::read_dir("tests/ui")
        .expect("tests/ui exists")
        .map(|entry| entry.expect("tests/ui is readable").path())
        .filter(|path| path.is_dir() && path.file_name() != Some("pass".as_ref()))
        .collect();
    categories.sort();
    for category in categories {
        t.compile_fail(category.join("*.rs"));
    }
    t.pass("tests/ui/pass/*.rs");
}
