use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = gigcheck::cli::Cli::parse();
    let exit = gigcheck::commands::dispatch(cli);
    std::process::ExitCode::from(exit as u8)
}
