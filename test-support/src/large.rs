//! A large message and its larger reply, both inline arrays, for the tests
//! and the benchmark (`benches/stack.rs`) that check what stack they need.

use actor_core::prelude::*;

/// The message's size: half a mebibyte.
pub const MESSAGE: usize = 512 * 1024;
/// The reply's size: a mebibyte, the message twice.
pub const REPLY: usize = 2 * MESSAGE;

/// A message of [`MESSAGE`] bytes, inline.
#[derive(Debug)]
pub struct Request(pub [u8; MESSAGE]);

/// The reply to a [`Request`]: [`REPLY`] bytes, inline.
#[derive(Debug)]
pub struct Answer(pub [u8; REPLY]);

impl Message for Request {
    type Reply = Answer;
}

/// An actor that answers a [`Request`] with its bytes twice.
#[derive(Debug)]
pub struct Echo;

impl Actor for Echo {}

impl Handler<Request> for Echo {
    async fn handle(&mut self, Request(bytes): Request, _: &mut Context<Self>) -> Answer {
        answer(&bytes)
    }
}

/// The reply to `bytes`, built as any handler builds a value: on its own
/// stack.
pub fn answer(bytes: &[u8; MESSAGE]) -> Answer {
    let mut answer = Answer([0; REPLY]);
    answer.0[..MESSAGE].copy_from_slice(bytes);
    answer.0[MESSAGE..].copy_from_slice(bytes);
    answer
}

/// Asks `echo` with a request of `round`s and checks every byte of the
/// answer. Keeps nothing large across an await: the ask's future holds the
/// message boxed.
pub async fn ask_and_check(echo: &ActorRef<Echo>, round: u8) -> bool {
    let Answer(bytes) = echo.ask(Request([round; MESSAGE])).await.expect("answered");
    bytes.iter().all(|&b| b == round)
}
