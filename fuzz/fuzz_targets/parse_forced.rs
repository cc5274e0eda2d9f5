//! Any text through each format's parser alone (`--input-format`): the first
//! byte picks the format, so every parser gets fuzzed on its own.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smtp_doctor_engine::logparse::{self, FORMATS};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let format = FORMATS[pick as usize % FORMATS.len()].0;
    let text = logparse::decode(rest);
    let _ = logparse::parse_log_as(&text, "fuzz", Some(format));
});
