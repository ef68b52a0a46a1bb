//! The `tsunagi` command line, built inside the test package so the end-to-end tests can
//! run it as a real process (and kill it): the same code as the `tsunagi` binary.

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tsunagi_server::cli::main().await
}
