#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    backroom::cli::main()
}
