//! Any bytes through the streaming reader (encodings, line ends, long lines).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = smtp_doctor_engine::logparse::parse_reader(data, "fuzz");
});
