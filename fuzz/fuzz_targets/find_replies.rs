//! Any text through the reply finder, in both modes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = smtp_doctor_engine::reply::find_replies(&text, true);
    let _ = smtp_doctor_engine::reply::find_replies(&text, false);
});
