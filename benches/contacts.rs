//! Benchmark of the contacts area (scales named in its issue); figures go to the README.

fn main() {
    println!("contacts benchmark: not measured yet");
}
