//! Benchmark of the sync area (scales named in its issue); figures go to the README.

fn main() {
    println!("sync benchmark: not measured yet");
}
