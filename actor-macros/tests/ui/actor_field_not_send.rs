// A field that is not `Send`: the error points at the field's type.
use std::cell::RefCell;
use std::rc::Rc;

use actor::prelude::*;

#[derive(Actor)]
struct Session {
    id: u64,
    history: Rc<RefCell<Vec<String>>>,
}

fn main() {}
