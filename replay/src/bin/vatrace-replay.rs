//! `vatrace-replay`: the replay command on its own (`vatrace replay` dispatches to the same
//! [`replay::cli::main_with`]).

use clap::Parser;

fn main() -> std::process::ExitCode {
    replay::cli::main_with(&replay::Args::parse())
}
