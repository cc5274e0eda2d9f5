//! Parsing speed: generates a large mixed log (every fixture under
//! `tests/fixtures/logs`, repeated with changing timestamps, queue ids and
//! free-text noise between them) and parses it with `parse_reader` on one core.
//!
//! `cargo run --release -p smtp-doctor-engine --example bench_parse -- [MB] [FILE]`
//! (default 300 MB, file in the temp dir; kept when named, so `rg` can read it
//! too: scripts/bench-parse.sh does that). Prints MB/s and the peak memory.
//!
//! `... --example bench_parse -- --parse FILE` times an existing file instead.
//! `... --example bench_parse -- --dump FILE OUT` parses an existing FILE in
//! blocks of lines and writes everything each block gave to OUT: run it before
//! and after a speed change and compare, so a faster parser that finds less
//! shows up (the whole-file facts are bounded, so most of the file would not).

use smtp_doctor_engine::logparse;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn fixtures(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            fixtures(&p, out);
        } else if !p.to_string_lossy().ends_with(".expect.yaml")
            && std::env::var("BENCH_ONLY").map_or(true, |f| p.to_string_lossy().contains(&f))
        {
            if let Ok(b) = std::fs::read(&p) {
                // UTF-16 fixtures stay in their own file; the mix is UTF-8.
                if !b.starts_with(&[0xFF, 0xFE]) {
                    out.push(b);
                }
            }
        }
    }
}

/// Free text between transcripts, as in tickets and application logs.
const NOISE: [&str; 4] = [
    "2026-01-07 00:40:31,120 INFO  [worker-3] job 81722 finished in 812 ms, 14 pages, queue depth 3\n",
    "Jan  7 00:40:31 relay kernel: [123456.789] eth0: link up, 1000 Mbps, full duplex\n",
    "[2026-01-07 00:40:31] production.INFO: User 1182 opened the scan settings page {\"ip\":\"192.0.2.1\"}\n",
    "    at com.example.scan.Worker.run(Worker.java:212)\n",
];

fn generate(path: &Path, mb: u64) -> std::io::Result<u64> {
    let mut blocks = Vec::new();
    fixtures(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/logs"), &mut blocks);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let target = mb * 1_000_000;
    let mut written = 0u64;
    let mut i = 0usize;
    while written < target {
        let block = &blocks[i % blocks.len()];
        let noise = NOISE[i % NOISE.len()];
        let noise_lines = if std::env::var_os("BENCH_NO_NOISE").is_some() { 0 } else { i % 7 };
        for _ in 0..noise_lines {
            w.write_all(noise.as_bytes())?;
            written += noise.len() as u64;
        }
        w.write_all(block)?;
        w.write_all(format!("--- run {} at {}s\n", i, i * 7).as_bytes())?;
        written += block.len() as u64 + 24;
        i += 1;
    }
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Blocks of this many lines are parsed on their own, so each block's facts
/// fit under the facts' bounds.
const DUMP_BLOCK: usize = 2000;

fn dump(file: &Path, out: &Path) -> std::io::Result<()> {
    let text = std::fs::read(file)?;
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    for (k, block) in text
        .split_inclusive(|&b| b == b'\n')
        .collect::<Vec<_>>()
        .chunks(DUMP_BLOCK)
        .enumerate()
    {
        let bytes: Vec<u8> = block.concat();
        let p = logparse::parse_reader(&bytes[..], "dump")?;
        writeln!(w, "== block {}\n{:#?}", k, p)?;
    }
    let p = logparse::parse_reader(BufReader::new(std::fs::File::open(file)?), "dump")?;
    writeln!(w, "== whole file\n{:#?}", p)?;
    w.flush()
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, named, size) = match args.first().map(String::as_str) {
        Some("--dump") => {
            let [_, file, out] = &args[..] else {
                eprintln!("usage: bench_parse --dump FILE OUT");
                std::process::exit(2);
            };
            return dump(Path::new(file), Path::new(out));
        }
        // An existing file, as is: the same bytes before and after a change.
        Some("--parse") => {
            let Some(file) = args.get(1) else {
                eprintln!("usage: bench_parse --parse FILE");
                std::process::exit(2);
            };
            let path = PathBuf::from(file);
            let size = std::fs::metadata(&path)?.len();
            (path, true, size)
        }
        _ => {
            let mb: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(300);
            let named = args.get(1).map(PathBuf::from);
            let path = named.clone().unwrap_or_else(|| std::env::temp_dir().join("smtp-doctor-bench.log"));
            let t = Instant::now();
            let size = generate(&path, mb)?;
            eprintln!(
                "generated {} ({:.0} MB) in {:.1}s",
                path.display(),
                size as f64 / 1e6,
                t.elapsed().as_secs_f64()
            );
            (path, named.is_some(), size)
        }
    };
    let rss_before = peak_rss_kb().unwrap_or(0);
    let mut best = f64::MAX;
    let mut parsed = None;
    for _ in 0..3 {
        let f = std::fs::File::open(&path)?;
        let t = Instant::now();
        // The buffer `smtp-doctor parse` reads files with (src/cli/common.rs).
        let p = logparse::parse_reader(BufReader::with_capacity(1 << 16, f), "bench")?;
        best = best.min(t.elapsed().as_secs_f64());
        parsed = Some(p);
    }
    let p = parsed.expect("parsed");
    println!("bytes         {}", size);
    println!("lines         {}", p.lines);
    println!("formats       {}", p.formats.join(","));
    println!("replies kept  {} (dropped {})", p.facts.replies.len(), p.facts.dropped_replies);
    println!("best time     {:.3} s", best);
    println!("throughput    {:.0} MB/s (one core)", size as f64 / 1e6 / best);
    if let Some(peak) = peak_rss_kb() {
        println!("peak RSS      {} MB (before parsing: {} MB)", peak / 1024, rss_before / 1024);
    }
    if !named {
        let _ = std::fs::remove_file(&path);
    }
    Ok(())
}
