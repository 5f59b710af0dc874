//! Compile-fail tests: the mistakes users make, and the errors they get. Each
//! `tests/ui/*.rs` file has a `.stderr` next to it holding the expected
//! compiler output; regenerate with `TRYBUILD=overwrite cargo test -p
//! actor-macros --test ui` after a deliberate change, and review the diff.

#[test]
fn compile_errors_point_at_the_users_code() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
