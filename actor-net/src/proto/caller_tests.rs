//! The calling side's rules, one test each.

use serde::Serialize;

use super::*;
use crate::proto::frame::FrameError;

const MAX: usize = 64;

fn frame<T: Serialize + ?Sized>(value: &T, tail: &[u8]) -> Vec<u8> {
    let mut buffer = FrameBuffer::default();
    buffer
        .push(usize::MAX, |out| {
            wire::append(value, out)?;
            out.extend_from_slice(tail);
            Ok::<_, postcard::Error>(())
        })
        .expect("encodes");
    buffer.as_slice().to_vec()
}

/// The requests in `bytes`, decoded.
fn requests(bytes: &[u8]) -> Vec<String> {
    let mut frames = FrameDecoder::new(usize::MAX);
    let mut bytes = bytes;
    let mut out = Vec::new();
    while let Some(frame) = frames.next(&mut bytes).expect("well formed") {
        let (request, rest) = postcard::take_from_bytes::<Request>(frame).expect("decodes");
        out.push(format!("{request:?} {rest:?}"));
    }
    out
}

fn body(
    bytes: &'static [u8],
) -> impl FnOnce(&mut Vec<u8>) -> Result<&'static str, postcard::Error> {
    move |out| {
        out.extend_from_slice(bytes);
        Ok("made")
    }
}

#[test]
fn types_are_declared_once_before_their_first_message_and_asks_numbered_in_order() {
    let mut requests_ = Requests::new(MAX);
    let mut out = FrameBuffer::default();
    requests_.open(&mut out, "n", "t").expect("fits");
    requests_.declare(&mut out, 1, "b").expect("fits");
    assert_eq!(
        requests_.message(&mut out, 1, true, body(b"x")),
        (Some("made"), Ok(Some(0)))
    );
    requests_
        .declare(&mut out, 1, "b")
        .expect("already declared");
    assert_eq!(
        requests_.message(&mut out, 1, false, body(b"")),
        (Some("made"), Ok(None))
    );
    requests_.declare(&mut out, 0, "a").expect("fits");
    assert_eq!(
        requests_.message(&mut out, 0, true, body(b"y")),
        (Some("made"), Ok(Some(1)))
    );
    let mut bytes = out.as_slice();
    let open = FrameDecoder::new(MAX)
        .next(&mut bytes)
        .expect("a frame")
        .expect("whole")
        .to_vec();
    let open: Open = postcard::from_bytes(&open).expect("an open");
    assert_eq!(
        (open.version, open.name.as_str(), open.actor_type.as_str()),
        (VERSION, "n", "t")
    );
    assert_eq!(
        requests(bytes),
        [
            r#"Declare { ty: 1, name: "b" } []"#,
            "Ask { ty: 1, id: 0 } [120]",
            "Tell { ty: 1 } []",
            r#"Declare { ty: 0, name: "a" } []"#,
            "Ask { ty: 0, id: 1 } [121]",
        ]
    );
}

#[test]
fn a_message_over_the_limit_is_not_sent_uses_no_id_and_gives_back_what_it_made() {
    let mut requests_ = Requests::new(MAX);
    let mut out = FrameBuffer::default();
    requests_.declare(&mut out, 0, "a").expect("fits");
    let before = out.len();
    let (made, pushed) = requests_.message(&mut out, 0, true, |out| {
        out.extend_from_slice(&[0; MAX]);
        Ok::<_, postcard::Error>("reply")
    });
    assert_eq!(made, Some("reply"), "the ask, to be failed");
    assert!(matches!(pushed, Err(PushError::TooLarge { max: MAX, .. })));
    assert_eq!(out.len(), before, "nothing appended");
    let (_, pushed) = requests_.message(&mut out, 0, true, body(b""));
    assert_eq!(pushed.ok(), Some(Some(0)), "the id was not used");
    // A body that fails to encode.
    let (made, pushed) = requests_.message(&mut out, 0, true, |_| {
        Err::<(), _>(postcard::Error::SerializeBufferFull)
    });
    assert_eq!(made, None);
    assert!(matches!(pushed, Err(PushError::Body(_))));
}

/// Feeds `bytes` in chunks of `size`: the events (as text) and the outcome.
fn respond(bytes: &[u8], size: usize) -> (Vec<String>, Result<usize, Violation>) {
    let mut machine = Responses::new(MAX);
    let mut seen = Vec::new();
    let mut used = 0;
    for chunk in bytes.chunks(size.max(1)) {
        let mut chunk = chunk;
        while !chunk.is_empty() {
            match machine.feed(chunk, &mut |event| seen.push(format!("{event:?}"))) {
                Ok(0) => return (seen, Ok(used)),
                Ok(n) => {
                    used += n;
                    chunk = &chunk[n..];
                }
                Err(violation) => return (seen, Err(violation)),
            }
            assert!(machine.buffered() <= MAX + 4);
        }
    }
    (seen, machine.finish().map(|()| used))
}

fn respond_all(bytes: &[u8]) -> (Vec<String>, Result<usize, Violation>) {
    let whole = respond(bytes, bytes.len());
    for size in 1..bytes.len() {
        assert_eq!(respond(bytes, size), whole, "in chunks of {size}");
    }
    whole
}

#[test]
fn opened_then_answers_in_any_chunking() {
    let bytes = [
        frame(&Response::Opened, &[]),
        frame(&Response::Reply { id: 0 }, b"\x05"),
        frame(
            &Response::Unknown {
                ty: 2,
                name: "nope",
            },
            &[],
        ),
        frame(
            &Response::Failed {
                id: 1,
                reason: WireReason::Killed,
            },
            &[],
        ),
        frame(
            &Response::Ended {
                reason: WireReason::Normal,
            },
            &[],
        ),
        b"ignored after the end".to_vec(),
    ]
    .concat();
    let (seen, _) = respond_all(&bytes);
    assert_eq!(
        seen,
        [
            "Opened",
            "Answer { id: 0, result: Ok([5]) }",
            r#"Unknown { ty: 2, name: "nope" }"#,
            "Answer { id: 1, result: Err(Killed) }",
            "Ended(Normal)",
        ]
    );
}

#[test]
fn feeding_stops_after_the_answer_to_the_open() {
    let opened = frame(&Response::Opened, &[]);
    let bytes = [opened.clone(), frame(&Response::Reply { id: 0 }, &[])].concat();
    let mut machine = Responses::new(MAX);
    let mut seen = 0;
    assert_eq!(machine.feed(&bytes, &mut |_| seen += 1), Ok(opened.len()));
    assert_eq!(seen, 1);
}

#[test]
fn a_refusal_ends_the_stream() {
    let bytes = [
        frame(
            &Response::Refused(Refusal::WrongType {
                exported: "x".into(),
            }),
            &[],
        ),
        frame(&Response::Opened, &[]),
    ]
    .concat();
    let (seen, _) = respond_all(&bytes);
    assert_eq!(seen, [r#"Refused(WrongType { exported: "x" })"#]);
}

#[test]
fn answers_out_of_turn_or_undecodable_are_violations() {
    let opened = frame(&Response::Opened, &[]);
    let reply = frame(&Response::Reply { id: 0 }, &[]);
    let (_, end) = respond_all(&reply);
    assert!(
        matches!(end, Err(Violation::Protocol(why)) if why.starts_with("expected an answer to a lookup"))
    );
    let (_, end) = respond_all(&[0, 0, 0, 0]);
    assert!(
        matches!(end, Err(Violation::Protocol(why)) if why.contains("answer to a lookup does not decode"))
    );
    let (_, end) = respond_all(&[opened.clone(), opened.clone()].concat());
    assert_eq!(
        end,
        Err(Violation::protocol("an export answered a lookup twice"))
    );
    let (_, end) = respond_all(&[opened.clone(), vec![1, 0, 0, 0, 0xff]].concat());
    assert!(
        matches!(end, Err(Violation::Protocol(why)) if why.contains("an answer does not decode"))
    );
    let (_, end) = respond_all(&[opened.clone(), u32::MAX.to_le_bytes().to_vec()].concat());
    assert!(matches!(
        end,
        Err(Violation::Frame(FrameError::TooLarge { .. }))
    ));
    let (_, end) = respond_all(&[opened, vec![3, 0, 0]].concat());
    assert_eq!(end, Err(Violation::Frame(FrameError::Truncated)));
}

#[test]
fn answers_are_matched_to_asks_in_order() {
    let mut asks = Asks::default();
    for id in [0, 1, 2, 5] {
        asks.push(id, id * 10);
    }
    assert_eq!(
        asks.complete(0),
        Completed {
            skipped: vec![],
            answered: Some(0)
        }
    );
    // A later answer first: the asks before it will never be answered.
    assert_eq!(
        asks.complete(2),
        Completed {
            skipped: vec![10],
            answered: Some(20)
        }
    );
    // An answer to an ask that is not waiting (answered, or never asked).
    assert_eq!(
        asks.complete(1),
        Completed {
            skipped: vec![],
            answered: None
        }
    );
    assert_eq!(
        asks.complete(3),
        Completed {
            skipped: vec![],
            answered: None
        }
    );
    assert_eq!(asks.len(), 1);
    assert_eq!(asks.drain().collect::<Vec<_>>(), [50]);
    assert!(asks.is_empty());
}
