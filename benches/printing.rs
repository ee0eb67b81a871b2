//! Benchmark of the printing area (scales named in its issue); figures go to the README.

fn main() {
    println!("printing benchmark: not measured yet");
}
