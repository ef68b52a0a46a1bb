//! The `tsunagi` command line, built inside the test package so the end-to-end tests can
//! run it as a real process (and kill it): the same code as the `tsunagi` binary.

use clap::Parser;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = tsunagi_server::cli::Cli::parse();
    match tsunagi_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
