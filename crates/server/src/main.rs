//! The `tsunagi` binary.

// glibc malloc was a fifth of the hub's CPU under load (docs/benchmarks.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tsunagi_server::cli::main().await
}
