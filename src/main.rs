use clap::Parser;

/// mimalloc rather than the system allocator: a run allocates and frees small values per
/// request (headers, bodies, reports), and glibc's malloc was an eighth of its CPU time
/// (bench/run.sh, README "Benchmark").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = gigcheck::cli::Cli::parse();
    let exit = gigcheck::commands::dispatch(cli);
    std::process::ExitCode::from(exit as u8)
}
