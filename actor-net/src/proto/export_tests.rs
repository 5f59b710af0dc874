//! The export side's rules, one test each, on bytes fed in every chunking.

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

fn open(version: u16, name: &str, actor_type: &str) -> Vec<u8> {
    frame(
        &Open {
            version,
            name: name.into(),
            actor_type: actor_type.into(),
        },
        &[],
    )
}

/// An event, owned.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Deliver(u32, Option<u64>, char, Vec<u8>),
    Unknown(u32, String),
    Rejected(u32, Option<u64>),
}

/// A serving machine whose actor accepts "a" and "b" (decoded as 'a', 'b').
fn serving() -> Serving<char> {
    serving_with(MAX)
}

/// As [`serving`], with frames of at most `max` bytes.
fn serving_with(max: usize) -> Serving<char> {
    let mut out = FrameBuffer::default();
    Opening::new(max)
        .answer(
            &Open {
                version: VERSION,
                name: "n".into(),
                actor_type: "t".into(),
            },
            Some("t"),
            &mut out,
        )
        .expect("opened")
        .serve()
}

/// Feeds `bytes` to a fresh serving machine in chunks of `size`.
fn serve(bytes: &[u8], size: usize) -> (Vec<Seen>, Result<(), Violation>) {
    let mut machine = serving();
    let mut seen = Vec::new();
    let mut resolve = |name: &str| match name {
        "a" => Some('a'),
        "b" => Some('b'),
        _ => None,
    };
    for chunk in bytes.chunks(size.max(1)) {
        let fed = machine.feed(chunk, &mut resolve, &mut |event| {
            seen.push(match event {
                Event::Deliver {
                    ty,
                    ask_id,
                    decode,
                    payload,
                } => Seen::Deliver(ty, ask_id, decode, payload.to_vec()),
                Event::Unknown { ty, name } => Seen::Unknown(ty, name.to_owned()),
                Event::Rejected { ty, ask_id } => Seen::Rejected(ty, ask_id),
            });
        });
        assert!(machine.buffered() <= MAX + 4);
        if let Err(violation) = fed {
            return (seen, Err(violation));
        }
    }
    (seen, machine.finish())
}

/// As [`serve`], checking every chunking gives the same.
fn serve_all(bytes: &[u8]) -> (Vec<Seen>, Result<(), Violation>) {
    let whole = serve(bytes, bytes.len());
    for size in 1..bytes.len() {
        assert_eq!(serve(bytes, size), whole, "in chunks of {size}");
    }
    whole
}

fn declare(ty: u32, name: &str) -> Vec<u8> {
    frame(&Request::Declare { ty, name }, &[])
}

fn tell(ty: u32, body: &[u8]) -> Vec<u8> {
    frame(&Request::Tell { ty }, body)
}

fn ask(ty: u32, id: u64, body: &[u8]) -> Vec<u8> {
    frame(&Request::Ask { ty, id }, body)
}

fn violation(reason: &str) -> Result<(), Violation> {
    Err(Violation::Protocol(reason.into()))
}

#[test]
fn declared_numbers_stand_for_their_names_in_any_order() {
    let bytes = [
        declare(7, "b"),
        declare(0, "a"),
        tell(7, b"x"),
        ask(0, 0, b"yz"),
        tell(0, b""),
    ]
    .concat();
    let (seen, end) = serve_all(&bytes);
    assert_eq!(end, Ok(()));
    assert_eq!(
        seen,
        [
            Seen::Deliver(7, None, 'b', b"x".to_vec()),
            Seen::Deliver(0, Some(0), 'a', b"yz".to_vec()),
            Seen::Deliver(0, None, 'a', vec![]),
        ]
    );
}

#[test]
fn an_undeclared_type_is_a_violation_after_what_came_before() {
    let bytes = [declare(0, "a"), tell(0, b"1"), tell(1, b"2"), tell(0, b"3")].concat();
    let (seen, end) = serve_all(&bytes);
    assert_eq!(seen, [Seen::Deliver(0, None, 'a', b"1".to_vec())]);
    assert_eq!(end, violation("message type 1 was never declared"));
    // Also a number past any declared slot.
    let (_, end) = serve_all(&tell(u32::MAX, b""));
    assert!(end.is_err());
}

#[test]
fn a_type_declared_twice_is_a_violation() {
    for second in ["a", "b", "nope"] {
        let (_, end) = serve_all(&[declare(3, "a"), declare(3, second)].concat());
        assert_eq!(end, violation("message type 3 was declared twice"));
    }
}

#[test]
fn type_numbers_are_bounded() {
    let last = u32::try_from(MAX_DECLARED_TYPES - 1).expect("small");
    let (seen, end) = serve_all(&[declare(last, "a"), tell(last, b"")].concat());
    assert_eq!((seen.len(), end), (1, Ok(())));
    let (_, end) = serve_all(&declare(last + 1, "a"));
    assert!(matches!(end, Err(Violation::Protocol(why)) if why.contains("over the limit")));
}

#[test]
fn an_unknown_type_is_reported_once_and_its_messages_rejected_and_the_stream_goes_on() {
    let bytes = [
        declare(0, "nope"),
        ask(0, 0, b"?"),
        tell(0, b"?"),
        declare(1, "a"),
        ask(1, 1, b"ok"),
    ]
    .concat();
    let (seen, end) = serve_all(&bytes);
    assert_eq!(end, Ok(()));
    assert_eq!(
        seen,
        [
            Seen::Unknown(0, "nope".into()),
            Seen::Rejected(0, Some(0)),
            Seen::Rejected(0, None),
            Seen::Deliver(1, Some(1), 'a', b"ok".to_vec()),
        ]
    );
}

#[test]
fn a_header_that_does_not_decode_is_a_violation() {
    for body in [&[0xff, 0xff][..], &[], &[1]] {
        let mut bytes = declare(0, "a");
        bytes.extend(u32::try_from(body.len()).expect("small").to_le_bytes());
        bytes.extend(body);
        let (_, end) = serve_all(&bytes);
        assert!(
            matches!(end, Err(Violation::Protocol(why)) if why.contains("header does not decode")),
            "{body:?}"
        );
    }
}

#[test]
fn an_oversized_frame_is_refused_before_its_body() {
    let mut bytes = declare(0, "a");
    bytes.extend(u32::try_from(MAX + 1).expect("small").to_le_bytes());
    let (_, end) = serve_all(&bytes);
    assert_eq!(
        end,
        Err(Violation::Frame(FrameError::TooLarge {
            len: MAX + 1,
            max: MAX
        }))
    );
    // Exactly the limit is fine.
    let mut header = Vec::new();
    wire::append(&Request::Tell { ty: 0 }, &mut header).expect("encodes");
    let body = vec![7; MAX - header.len()];
    let (seen, end) = serve_all(&[declare(0, "a"), tell(0, &body)].concat());
    assert_eq!(
        (seen, end),
        (vec![Seen::Deliver(0, None, 'a', body)], Ok(()))
    );
}

#[test]
fn a_stream_cut_inside_a_frame_is_truncated() {
    let bytes = [declare(0, "a"), tell(0, b"abc")].concat();
    for cut in 1..tell(0, b"abc").len() {
        let (seen, end) = serve_all(&bytes[..bytes.len() - cut]);
        assert!(seen.is_empty());
        assert_eq!(end, Err(Violation::Frame(FrameError::Truncated)));
    }
}

#[test]
fn after_a_violation_nothing_more_is_read() {
    let mut machine = serving();
    let mut events = 0;
    let mut resolve = |_: &str| Some('a');
    let bad = tell(9, b"");
    assert!(machine
        .feed(&bad, &mut resolve, &mut |_| events += 1)
        .is_err());
    let good = [declare(0, "a"), tell(0, b"")].concat();
    assert_eq!(
        machine.feed(&good, &mut resolve, &mut |_| events += 1),
        Ok(())
    );
    assert_eq!(events, 0);
}

/// Feeds `bytes` to an opening machine in chunks of `size`: the `Open`, and
/// how many bytes came before the requests.
fn opening(bytes: &[u8], size: usize) -> Result<Option<(Open, usize)>, Violation> {
    let mut machine = Opening::new(MAX);
    let mut used = 0;
    for chunk in bytes.chunks(size.max(1)) {
        let (n, open) = machine.feed(chunk)?;
        used += n;
        if let Some(open) = open {
            return Ok(Some((open, used)));
        }
        assert_eq!(n, chunk.len());
    }
    machine.finish().map(|()| None)
}

#[test]
fn the_open_is_cut_from_what_follows_in_any_chunking() {
    let first = open(VERSION, "counter", "app.counter");
    let bytes = [first.clone(), declare(0, "a")].concat();
    for size in 1..=bytes.len() {
        let (open, used) = opening(&bytes, size)
            .expect("well formed")
            .expect("an open");
        assert_eq!(
            (open.name.as_str(), open.actor_type.as_str()),
            ("counter", "app.counter")
        );
        assert_eq!(used, first.len(), "in chunks of {size}");
    }
    assert_eq!(opening(&[], 1), Ok(None), "a stream closed at once");
    assert_eq!(
        opening(&first[..3], 1),
        Err(Violation::Frame(FrameError::Truncated))
    );
    assert!(
        matches!(opening(&frame(&[0xffu8; 8][..], &[]), 3), Err(Violation::Protocol(why)) if why.contains("first frame does not decode"))
    );
}

fn verdict(open: &Open, exported: Option<&str>) -> (Result<(), Refusal>, Response<'static>) {
    let mut out = FrameBuffer::default();
    let answered = Opening::new(MAX).answer(open, exported, &mut out).map(drop);
    let mut frames = FrameDecoder::new(MAX);
    let mut bytes = out.as_slice();
    let body = frames
        .next(&mut bytes)
        .expect("a frame")
        .expect("whole")
        .to_vec();
    let response = match postcard::from_bytes::<Response>(&body).expect("decodes") {
        Response::Opened => Response::Opened,
        Response::Refused(refusal) => Response::Refused(refusal),
        other => panic!("{other:?}"),
    };
    (answered, response)
}

#[test]
fn an_open_is_answered_version_first_then_name_then_type() {
    let open = |version| Open {
        version,
        name: "n".into(),
        actor_type: "t".into(),
    };
    assert_eq!(
        verdict(&open(VERSION), Some("t")),
        (Ok(()), Response::Opened)
    );
    let refused = |r: Refusal| (Err(r.clone()), Response::Refused(r));
    assert_eq!(verdict(&open(VERSION), None), refused(Refusal::NotExported));
    assert_eq!(
        verdict(&open(VERSION), Some("other")),
        refused(Refusal::WrongType {
            exported: "other".into()
        })
    );
    // Another version is refused as such, whatever is exported.
    for exported in [None, Some("t"), Some("other")] {
        assert_eq!(
            verdict(&open(VERSION + 1), exported),
            refused(Refusal::Version { ours: VERSION })
        );
    }
}

#[test]
fn answers_encode_in_order_and_an_oversized_reply_becomes_an_error() {
    // Room for the error that replaces the oversized reply.
    const MAX: usize = 256;
    let answers = Answers { max_frame: MAX };
    let mut out = FrameBuffer::default();
    answers.unknown(&mut out, 3, "nope");
    answers.reply(&mut out, 0, b"\x05");
    answers.reply(&mut out, 1, &[0; MAX]);
    answers.failed(&mut out, 2, &WireReason::Killed);
    assert!(answers.ended(&mut out, &WireReason::Normal));
    let mut frames = FrameDecoder::new(MAX);
    let mut bytes = out.as_slice();
    let mut seen = Vec::new();
    while let Some(frame) = frames.next(&mut bytes).expect("well formed") {
        let (response, rest) = postcard::take_from_bytes::<Response>(frame).expect("decodes");
        seen.push(format!("{response:?} {rest:?}"));
    }
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[0], r#"Unknown { ty: 3, name: "nope" } []"#);
    assert_eq!(seen[1], "Reply { id: 0 } [5]");
    assert!(
        seen[2].starts_with("Failed { id: 1, reason: Failed(\"the reply could not be sent"),
        "{}",
        seen[2]
    );
    assert_eq!(seen[3], "Failed { id: 2, reason: Killed } []");
    assert_eq!(seen[4], "Ended { reason: Normal } []");
}

#[test]
fn names_over_the_limit_are_violations_and_logs_show_only_their_start() {
    let long = "x".repeat(crate::proto::MAX_NAME_LEN + 1);
    let mut machine = serving_with(4096);
    let fed = machine.feed(&declare(0, &long), &mut |_| Some('a'), &mut |_| {});
    assert!(
        matches!(&fed, Err(Violation::Protocol(why)) if why.contains("limit 256") && why.len() < 200),
        "{fed:?}"
    );
    let fits = "y".repeat(crate::proto::MAX_NAME_LEN);
    let mut machine = Opening::new(4096);
    assert!(machine.feed(&open(VERSION, &fits, "t")).is_ok());
    let mut machine = Opening::new(4096);
    assert!(matches!(
        machine.feed(&open(VERSION, &long, "t")),
        Err(Violation::Protocol(why)) if why.contains("an export name")
    ));
    let mut machine = Opening::new(4096);
    assert!(machine.feed(&open(VERSION, "n", &long)).is_err());

    assert_eq!(crate::proto::shown("short"), "short");
    let shown = crate::proto::shown(&long);
    assert!(
        shown.len() < 90 && shown.ends_with("(257 bytes)"),
        "{shown}"
    );
    // Cut at a character boundary.
    assert!(crate::proto::shown(&"é".repeat(100)).starts_with("éé"));
}
