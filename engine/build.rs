//! Embeds the KB (`../kb`) and the JSON Schemas (`../schemas`) into the library, so
//! the installed binary works anywhere without its source tree.
use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, base, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/");
            out.push((rel, p.canonicalize().unwrap()));
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let mut code = String::new();
    for (name, dir) in [("KB_FILES", root.join("kb")), ("SCHEMA_FILES", root.join("schemas"))] {
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        collect(&dir, &dir, &mut files);
        for (_, p) in &files {
            println!("cargo:rerun-if-changed={}", p.display());
        }
        code.push_str(&format!("pub static {}: &[(&str, &str)] = &[\n", name));
        for (rel, p) in files {
            code.push_str(&format!("    ({:?}, include_str!({:?})),\n", rel, p.display().to_string()));
        }
        code.push_str("];\n");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    fs::write(out, code).unwrap();
}
