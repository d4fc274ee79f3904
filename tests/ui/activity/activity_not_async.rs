#[workflow::activity]
fn greet(name: String) -> String {
    format!("Hello, {name}!")
}

fn main() {}
