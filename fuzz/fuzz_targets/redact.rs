//! Any text through the redactor (conversation-aware and line patterns).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = smtp_doctor_engine::logparse::decode(data);
    let _ = smtp_doctor_engine::logparse::redact(&text);
    let mut out = Vec::new();
    let _ = smtp_doctor_engine::logparse::redact_reader(data, &mut out);
});
