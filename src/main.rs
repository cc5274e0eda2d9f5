//! The `smtp-doctor` binary: a thin clap layer over the engine (and the probes).

mod cli;

fn main() {
    let code = cli::main_with_args(std::env::args_os());
    std::process::exit(code);
}
