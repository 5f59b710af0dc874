//! A large message is held once by the future that sends it: `tell`, `ask`
//! and `ask_timeout` futures (of references and of recipients) are about
//! the message's size, not several times it (nested `async fn`s held a copy
//! in each, so a 256 KiB message overflowed a 2 MiB stack in release).

use std::time::Duration;

use actor_core::prelude::*;

struct Inline([u8; 16 * 1024]);

struct Sink;
impl Actor for Sink {}

impl Message for Inline {
    type Reply = u8;
}
impl Handler<Inline> for Sink {
    async fn handle(&mut self, Inline(bytes): Inline, _: &mut Context<Self>) -> u8 {
        bytes[bytes.len() - 1]
    }
}

#[tokio::test]
async fn a_send_future_holds_its_message_once() {
    let sink = spawn(Sink);
    let size = std::mem::size_of::<Inline>();
    // Room for the message once, and the future's own few words; two
    // copies would not fit.
    let bound = size + 256;
    let tell = sink.tell(Inline([1; 16 * 1024]));
    assert!(
        std::mem::size_of_val(&tell) <= bound,
        "tell: {} bytes",
        std::mem::size_of_val(&tell)
    );
    tell.await.expect("told");
    let ask = sink.ask(Inline([2; 16 * 1024]));
    assert!(
        std::mem::size_of_val(&ask) <= bound,
        "ask: {} bytes",
        std::mem::size_of_val(&ask)
    );
    assert_eq!(ask.await, Ok(2));
    let ask = sink.ask_timeout(Inline([3; 16 * 1024]), Duration::from_secs(10));
    assert!(
        std::mem::size_of_val(&ask) <= bound,
        "ask_timeout: {} bytes",
        std::mem::size_of_val(&ask)
    );
    assert_eq!(ask.await, Ok(3));
    let recipient = sink.recipient::<Inline>();
    let ask = recipient.ask(Inline([4; 16 * 1024]));
    assert!(
        std::mem::size_of_val(&ask) <= bound,
        "a recipient's ask: {} bytes",
        std::mem::size_of_val(&ask)
    );
    assert_eq!(ask.await, Ok(4));
}
