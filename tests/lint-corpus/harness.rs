//! Shared by the lint tests: building a KB from the corpus (the clean `_base`
//! plus one case's overlay) in a temporary directory, and running the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint-corpus")
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// A temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        // Tests run in parallel threads of one process: a counter keeps their dirs apart.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("smtp-doctor-{}-{}-{}", name, std::process::id(), n));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The base KB with case `name`'s overlay (`<name>/kb/**` replaces or adds files;
/// `remove:` in its expect.yaml deletes base files). Returns the dir and the KB path.
pub fn overlay(name: &str, remove: &[String]) -> (TempDir, PathBuf) {
    let tmp = TempDir::new(&format!("lint-{}", name));
    let kb = tmp.0.join("kb");
    copy_dir(&corpus().join("_base/kb"), &kb);
    let over = corpus().join(name).join("kb");
    if over.is_dir() {
        copy_dir(&over, &kb);
    }
    for f in remove {
        std::fs::remove_file(kb.join(f)).unwrap_or_else(|e| panic!("{}: remove {}: {}", name, f, e));
    }
    (tmp, kb)
}

pub fn smtp_doctor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smtp-doctor"))
        .args(args)
        .env_remove("SMTP_DOCTOR_KB")
        .env("NO_COLOR", "1")
        .env("LANG", "C")
        .output()
        .expect("runs the binary")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
