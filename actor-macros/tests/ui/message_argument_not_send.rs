// Arguments and fields of messages must be `Send`: the errors point at them.
use std::rc::Rc;

use actor::prelude::*;

#[derive(Actor, Default)]
struct Log {
    lines: Vec<String>,
}

#[messages]
impl Log {
    #[message]
    pub fn append(&mut self, line: Rc<str>) {
        self.lines.push(line.to_string());
    }
}

#[derive(Message)]
struct AppendLine {
    line: Rc<str>,
}

fn main() {}
