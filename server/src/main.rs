//! `appreg`: serves the registration desk, or runs one of its commands.

fn main() -> std::process::ExitCode {
    server::cli::run()
}
