// A borrowed argument would make the message outlive what it borrows.
use actor::prelude::*;

#[derive(Actor, Default)]
struct Log {
    lines: Vec<String>,
}

#[messages]
impl Log {
    #[message]
    pub fn append(&mut self, line: &str) {
        self.lines.push(line.to_owned());
    }

    #[message]
    pub fn last(&self) -> &str {
        self.lines.last().map_or("", String::as_str)
    }
}

fn main() {}
