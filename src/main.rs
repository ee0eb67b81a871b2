#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    backroom::memory::keep_freed_pages();
    backroom::cli::main()
}
