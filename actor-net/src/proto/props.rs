//! Property tests of the machines: random and mutated byte streams, cut
//! into random chunks, never panic and never make a machine hold more than
//! one frame's worth of bytes.

use proptest::prelude::*;

use super::caller::Responses;
use super::export::{Opening, Serving};
use super::frame::{FrameBuffer, FrameDecoder, PREFIX};
use super::wire::{self, Open, Request, Response, WireReason, VERSION};

const MAX: usize = 256;

/// A plausible request stream: an `Open`, declarations and messages.
fn requests(ops: &[(u8, u32, u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = FrameBuffer::default();
    let open = Open {
        version: VERSION,
        name: "n".into(),
        actor_type: "t".into(),
    };
    let _ = out.push(MAX, |o| wire::append(&open, o));
    for (kind, ty, id, body) in ops {
        let ty = ty % 8;
        let _ = out.push(MAX, |o| {
            match kind % 3 {
                0 => wire::append(
                    &Request::Declare {
                        ty,
                        name: ["a", "b", "x"][(*id % 3) as usize],
                    },
                    o,
                )?,
                1 => wire::append(&Request::Tell { ty }, o)?,
                _ => wire::append(&Request::Ask { ty, id: *id }, o)?,
            }
            o.extend_from_slice(body);
            Ok::<_, postcard::Error>(())
        });
    }
    out.as_slice().to_vec()
}

/// A plausible response stream.
fn responses(ops: &[(u8, u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = FrameBuffer::default();
    let _ = out.push(MAX, |o| wire::append(&Response::Opened, o));
    for (kind, id, body) in ops {
        let _ = out.push(MAX, |o| {
            match kind % 4 {
                0 => wire::append(&Response::Reply { id: *id }, o)?,
                1 => wire::append(
                    &Response::Failed {
                        id: *id,
                        reason: WireReason::Killed,
                    },
                    o,
                )?,
                2 => wire::append(&Response::Unknown { ty: 1, name: "x" }, o)?,
                _ => wire::append(
                    &Response::Ended {
                        reason: WireReason::Normal,
                    },
                    o,
                )?,
            }
            o.extend_from_slice(body);
            Ok::<_, postcard::Error>(())
        });
    }
    out.as_slice().to_vec()
}

/// `bytes` with some bytes replaced.
fn mutate(mut bytes: Vec<u8>, flips: &[(usize, u8)]) -> Vec<u8> {
    if !bytes.is_empty() {
        for (at, value) in flips {
            let len = bytes.len();
            bytes[at % len] = *value;
        }
    }
    bytes
}

/// `bytes` cut at the given sizes (cycled).
fn chunks<'a>(bytes: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let size = sizes
            .get(i % sizes.len().max(1))
            .copied()
            .unwrap_or(rest.len())
            .clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(size);
        out.push(chunk);
        rest = tail;
        i += 1;
    }
    out
}

/// Runs the export side over `chunks`, checking the bound after each.
fn run_export(chunks: &[&[u8]]) {
    let bound = PREFIX + MAX;
    let mut opening = Some(Opening::new(MAX));
    let mut serving: Option<Serving<u8>> = None;
    for chunk in chunks {
        let mut chunk = *chunk;
        if let Some(machine) = opening.as_mut() {
            let Ok((used, open)) = machine.feed(chunk) else {
                return;
            };
            assert!(machine.buffered() <= bound);
            chunk = &chunk[used..];
            let Some(open) = open else { continue };
            let mut out = FrameBuffer::default();
            let Some(machine) = opening.take() else {
                return;
            };
            match machine.answer(&open, Some("t"), &mut out) {
                Ok(opened) => serving = Some(opened.serve()),
                Err(_) => return,
            }
        }
        if let Some(machine) = serving.as_mut() {
            let mut resolve = |name: &str| (name != "x").then_some(1);
            let fed = machine.feed(chunk, &mut resolve, &mut |_| {});
            assert!(machine.buffered() <= bound);
            assert!(machine.capacity() <= bound.max(64));
            if fed.is_err() {
                return;
            }
        }
    }
}

fn run_caller(chunks: &[&[u8]]) {
    let mut machine = Responses::new(MAX);
    for chunk in chunks {
        let mut chunk = *chunk;
        while !chunk.is_empty() {
            match machine.feed(chunk, &mut |_| {}) {
                Ok(0) | Err(_) => return,
                Ok(used) => chunk = &chunk[used..],
            }
            assert!(machine.buffered() <= PREFIX + MAX);
            assert!(machine.capacity() <= (PREFIX + MAX).max(64));
        }
    }
    let _ = machine.finish();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), sizes in proptest::collection::vec(1usize..300, 1..8)) {
        let chunks = chunks(&bytes, &sizes);
        run_export(&chunks);
        run_caller(&chunks);
        let mut decoder = FrameDecoder::new(MAX);
        for chunk in &chunks {
            let mut chunk = *chunk;
            while let Ok(Some(frame)) = decoder.next(&mut chunk) {
                prop_assert!(frame.len() <= MAX);
            }
            prop_assert!(decoder.buffered() <= PREFIX + MAX);
        }
    }

    #[test]
    fn mutated_request_streams_never_panic(
        ops in proptest::collection::vec((any::<u8>(), any::<u32>(), any::<u64>(), proptest::collection::vec(any::<u8>(), 0..300)), 0..40),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        sizes in proptest::collection::vec(1usize..400, 1..8),
    ) {
        let bytes = mutate(requests(&ops), &flips);
        run_export(&chunks(&bytes, &sizes));
    }

    #[test]
    fn mutated_response_streams_never_panic(
        ops in proptest::collection::vec((any::<u8>(), any::<u64>(), proptest::collection::vec(any::<u8>(), 0..300)), 0..40),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        sizes in proptest::collection::vec(1usize..400, 1..8),
    ) {
        let bytes = mutate(responses(&ops), &flips);
        run_caller(&chunks(&bytes, &sizes));
    }

    #[test]
    fn any_chunking_cuts_the_same_frames(
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..MAX), 0..20),
        sizes in proptest::collection::vec(1usize..600, 1..8),
    ) {
        let mut buffer = FrameBuffer::default();
        for body in &bodies {
            buffer.push::<()>(MAX, |o| { o.extend_from_slice(body); Ok(()) }).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        }
        let mut decoder = FrameDecoder::new(MAX);
        let mut seen = Vec::new();
        for chunk in chunks(buffer.as_slice(), &sizes) {
            let mut chunk = chunk;
            while let Some(frame) = decoder.next(&mut chunk).map_err(|e| TestCaseError::fail(e.to_string()))? {
                seen.push(frame.to_vec());
            }
        }
        prop_assert_eq!(seen, bodies);
        prop_assert_eq!(decoder.finish(), Ok(()));
    }
}
