//! Fuzzes the export side of a stream: the bytes a peer sends after the
//! cluster key handshake, cut into chunks, fed to the `Open` machine and then
//! to the serving machine. It must never panic, and never hold more than one
//! frame's worth of bytes.
//!
//! The first byte of the input picks the chunk sizes, so that the fuzzer
//! explores frames split across chunks too.

#![no_main]

use actor_net::__testing::export::{FrameBuffer, Opening, Serving};
use libfuzzer_sys::fuzz_target;

/// A small limit, so that oversized frames are easy to reach.
const MAX: usize = 512;
const PREFIX: usize = 4;

fuzz_target!(|input: &[u8]| {
    let Some((&seed, bytes)) = input.split_first() else {
        return;
    };
    let size = usize::from(seed % 64) + 1;
    let mut opening = Some(Opening::new(MAX));
    let mut serving: Option<Serving<u8>> = None;
    // Accepts "a" and "b"; anything else is an unknown type.
    let mut resolve = |name: &str| match name {
        "a" => Some(0),
        "b" => Some(1),
        _ => None,
    };
    for chunk in bytes.chunks(size) {
        let mut chunk = chunk;
        if let Some(machine) = opening.as_mut() {
            let Ok((used, open)) = machine.feed(chunk) else {
                return;
            };
            assert!(machine.buffered() <= PREFIX + MAX);
            chunk = &chunk[used..];
            let Some(open) = open else { continue };
            let Some(machine) = opening.take() else {
                return;
            };
            let mut out = FrameBuffer::default();
            // Exported under any name, as the type the peer asked for half
            // the time, so both verdicts are explored.
            let exported = if seed & 0x80 == 0 {
                open.actor_type.clone()
            } else {
                "t".to_owned()
            };
            match machine.answer(&open, Some(&exported), &mut out) {
                Ok(opened) => serving = Some(opened.serve()),
                Err(_) => return,
            }
            assert!(!out.is_empty(), "an open is always answered");
        }
        if let Some(machine) = serving.as_mut() {
            let fed = machine.feed(chunk, &mut resolve, &mut |_event| {});
            assert!(machine.buffered() <= PREFIX + MAX);
            if fed.is_err() {
                return;
            }
        }
    }
    if let Some(machine) = serving.as_ref() {
        let _ = machine.finish();
    }
});
