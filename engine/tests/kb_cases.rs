//! The shipped KB loads without errors and every example case in `kb/cases/`
//! passes. Each case is data; this test walks them all and names the failures.

use smtp_doctor_engine::cases::run_all;
use smtp_doctor_engine::{load_kb, KbSource};

#[test]
fn shipped_kb_loads_and_its_cases_pass() {
    let (kb, _warnings) = load_kb(KbSource::Embedded).unwrap_or_else(|d| panic!("KB errors: {:#?}", d.0));
    assert!(!kb.cases.is_empty(), "the KB has no example cases");
    let results = run_all(&kb, None);
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.passed())
        .map(|r| {
            format!(
                "{} ({}:{}):\n    {}\n    got: {:?}",
                r.id,
                r.file,
                r.line,
                r.failures.join("\n    "),
                r.got
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        results.len(),
        failed.join("\n")
    );
}
