//! Any text through format detection and every parser it picks.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = smtp_doctor_engine::logparse::decode(data);
    let _ = smtp_doctor_engine::logparse::parse_log(&text, "fuzz");
});
