//! [`RemoteActor`]: an actor type that can be exported and looked up, and the
//! table of the messages it accepts from the network ([`Accepts`]).
//!
//! This module also holds what a network layer reads off that table: how
//! each accepted message type is decoded on arrival ([`Inbound`]) and encoded
//! on the way out ([`Outbound`]). Messages and replies cross in
//! [postcard](https://docs.rs/postcard), serde's compact binary format.
//!
//! An actor handles many message types, but only some may cross the network:
//! those that serialise and have a stable wire name ([`RemoteMessage`]). An
//! actor lists them once, in [`RemoteActor::accepts`]. The same list serves
//! both ends: the exporting node decodes each accepted type by its wire name,
//! and a reference looked up on another node encodes each one by its Rust
//! type. Types not listed are refused at the boundary with an error that says
//! so, never sent as something the other side cannot read.
//!
//! ```
//! use std::borrow::Cow;
//! use actor_core::remote::{Accepts, RemoteActor};
//! use actor_core::{Actor, Context, Handler, Message, RemoteMessage, WireName};
//!
//! struct Counter(u64);
//! impl Actor for Counter {}
//! impl WireName for Counter {
//!     fn wire_name() -> Cow<'static, str> { Cow::Borrowed("app.counter") }
//! }
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Add(u64);
//! impl Message for Add { type Reply = u64; }
//! impl WireName for Add {
//!     fn wire_name() -> Cow<'static, str> { Cow::Borrowed("app.add") }
//! }
//! impl RemoteMessage for Add {}
//! impl Handler<Add> for Counter {
//!     async fn handle(&mut self, Add(n): Add, _: &mut Context<Self>) -> u64 {
//!         self.0 += n;
//!         self.0
//!     }
//! }
//!
//! impl RemoteActor for Counter {
//!     fn accepts(messages: &mut Accepts<Self>) {
//!         messages.accept::<Add>();
//!     }
//! }
//! ```

use std::any::TypeId;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use super::{RemoteMessage, WireName};
use super::{ReplyTo, Sealed};
use crate::{Actor, Handler, StopReason};

/// An actor type that other nodes can reach: it has a stable wire name (its
/// [`WireName`]), checked when a reference is looked up, and lists the
/// messages it accepts from the network.
pub trait RemoteActor: Actor + WireName {
    /// Lists the message types the actor accepts from other nodes, with
    /// [`Accepts::accept`].
    fn accepts(messages: &mut Accepts<Self>);
}

/// The messages an actor type accepts from the network: how to decode each
/// one on arrival, and how to encode it on the way out.
pub struct Accepts<A: Actor> {
    by_name: HashMap<String, Inbound<A>>,
    by_type: HashMap<TypeId, Outbound<A>>,
}

impl<A: Actor> std::fmt::Debug for Accepts<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Accepts").field("messages", &names).finish()
    }
}

impl<A: Actor> Accepts<A> {
    /// Accepts message type `M` from the network.
    pub fn accept<M: RemoteMessage>(&mut self) -> &mut Self
    where
        A: Handler<M>,
    {
        // Listing a type twice changes nothing: its number must stay the
        // index it got first.
        if self.by_type.contains_key(&TypeId::of::<M>()) {
            return self;
        }
        let name = M::wire_name().into_owned();
        let ty = u32::try_from(self.by_type.len()).unwrap_or(u32::MAX);
        self.by_name.insert(name.clone(), decode::<A, M>);
        self.by_type.insert(
            TypeId::of::<M>(),
            Outbound {
                ty,
                name,
                encode: encode::<A, M>,
            },
        );
        self
    }
}

impl<A: RemoteActor> Accepts<A> {
    /// The table of actor type `A`, as its [`RemoteActor::accepts`] lists it.
    pub fn of() -> Self {
        let mut accepts = Accepts {
            by_name: HashMap::new(),
            by_type: HashMap::new(),
        };
        A::accepts(&mut accepts);
        accepts
    }
}

impl<A: Actor> Accepts<A> {
    /// How to decode the message type named `name`; `None` if `A` does not
    /// accept it.
    pub fn inbound(&self, name: &str) -> Option<Inbound<A>> {
        self.by_name.get(name).copied()
    }

    /// How to encode a message of type `ty` (its `TypeId`); `None` if `A`
    /// does not accept it.
    pub fn outbound(&self, ty: TypeId) -> Option<&Outbound<A>> {
        self.by_type.get(&ty)
    }

    /// How many message types are accepted.
    pub fn len(&self) -> usize {
        self.by_type.len()
    }

    /// Whether no message type is accepted (the actor can be looked up and
    /// watched, but not sent to).
    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty()
    }
}

/// Decodes a message of one type into a sealed message for `A`, given its
/// postcard bytes, whether it is an ask, and the sequence number a process
/// host feeds it under ([`Sealed::fed`]; `None` for any other message);
/// for an ask, also returns the answer, encoded once the actor replies.
pub type Inbound<A> = fn(&[u8], bool, Option<u64>) -> Result<Decoded<A>, postcard::Error>;

/// A decoded message, and for an ask its pending answer.
pub struct Decoded<A: Actor> {
    /// The message, ready for [`deliver`](super::deliver).
    pub sealed: Sealed<A>,
    /// For an ask, the reply's postcard bytes once the actor answers.
    pub answer: Option<PendingAnswer>,
}

/// The answer to a remote ask, encoded: the reply's postcard bytes, or why
/// there is none.
pub type PendingAnswer = Pin<Box<dyn Future<Output = Result<Vec<u8>, StopReason>> + Send>>;

impl<A: Actor> std::fmt::Debug for Decoded<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoded")
            .field("sealed", &self.sealed)
            .field("ask", &self.answer.is_some())
            .finish()
    }
}

/// How one message type leaves the process.
#[non_exhaustive]
pub struct Outbound<A: Actor> {
    /// The number the type gets on a stream: its place in the list of
    /// [`RemoteActor::accepts`].
    pub ty: u32,
    /// Its wire name.
    pub name: String,
    /// Appends the message to a buffer; for an ask, returns what to do with
    /// the answer.
    pub encode: Encode<A>,
}

impl<A: Actor> std::fmt::Debug for Outbound<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("ty", &self.ty)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Appends a message to a buffer; for an ask, returns what to do with the
/// answer.
pub type Encode<A> = fn(Sealed<A>, &mut Vec<u8>) -> Result<Option<PendingReply>, Encoding>;

/// Completes a remote ask with the answer that came back: the reply's
/// postcard bytes, or why it failed.
pub type PendingReply = Box<dyn FnOnce(Result<&[u8], StopReason>) + Send>;

/// A message that could not be encoded, and why; an ask has been failed
/// already with the same reason.
#[derive(Debug)]
pub struct Encoding(pub String);

impl std::error::Error for Encoding {}

impl From<postcard::Error> for Encoding {
    fn from(e: postcard::Error) -> Self {
        Encoding(e.to_string())
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn decode<A: Handler<M>, M: RemoteMessage>(
    payload: &[u8],
    ask: bool,
    fed: Option<u64>,
) -> Result<Decoded<A>, postcard::Error> {
    let message: M = postcard::from_bytes(payload)?;
    let seal = |message: M, reply: Option<ReplyTo<M>>| match fed {
        Some(number) => Sealed::fed(message, reply, number),
        None => Sealed::new(message, reply),
    };
    if !ask {
        return Ok(Decoded {
            sealed: seal(message, None),
            answer: None,
        });
    }
    let (reply, answer) = ReplyTo::<M>::channel();
    let answer: PendingAnswer = Box::pin(async move {
        match answer.await {
            Some(Ok(reply)) => postcard::to_stdvec(&reply).map_err(|e| {
                StopReason::failed(format_args!(
                    "the reply to {} does not serialise: {e}",
                    M::wire_name()
                ))
            }),
            Some(Err(reason)) => Err(reason),
            None => Err(StopReason::failed(format_args!(
                "the remote actor stopped before it handled {}",
                M::wire_name()
            ))),
        }
    });
    Ok(Decoded {
        sealed: seal(message, Some(reply)),
        answer: Some(answer),
    })
}

fn encode<A: Handler<M>, M: RemoteMessage>(
    sealed: Sealed<A>,
    out: &mut Vec<u8>,
) -> Result<Option<PendingReply>, Encoding> {
    let (message, reply) = match sealed.open::<M>() {
        Ok(opened) => opened,
        // The table is keyed by type id: this is the right type.
        Err(sealed) => {
            let reason = format!(
                "{} reached the encoder of {}",
                sealed.message_name(),
                M::wire_name()
            );
            sealed.reject(StopReason::failed(&reason));
            return Err(Encoding(reason));
        }
    };
    if let Err(e) = append(&message, out) {
        let reason = format!("{} does not serialise: {e}", M::wire_name());
        if let Some(reply) = reply {
            reply.fail(StopReason::failed(&reason));
        }
        return Err(Encoding(reason));
    }
    Ok(reply.map(|reply| {
        Box::new(move |answer: Result<&[u8], StopReason>| match answer {
            Ok(bytes) => match postcard::from_bytes::<M::Reply>(bytes) {
                Ok(value) => reply.send(value),
                Err(e) => reply.fail(StopReason::failed(format_args!(
                    "the reply to {} does not decode: {e}",
                    M::wire_name()
                ))),
            },
            Err(reason) => reply.fail(reason),
        }) as PendingReply
    }))
}

/// Appends `value` in postcard to `out`: how a network layer writes a
/// message, or its own frames, into a buffer it reuses.
///
/// # Errors
/// postcard's, when `value` does not serialise (a `serde` impl that fails).
pub fn append<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), postcard::Error> {
    postcard::serialize_with_flavor(value, Append(out))
}

/// A postcard output that appends to a vector it borrows.
struct Append<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Append<'_> {
    type Output = ();

    #[inline]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use crate::{Context, Message};

    use super::*;

    struct Twice;
    impl Actor for Twice {}
    impl WireName for Twice {
        fn wire_name() -> Cow<'static, str> {
            Cow::Borrowed("test.twice")
        }
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Ping;
    impl Message for Ping {
        type Reply = ();
    }
    impl WireName for Ping {
        fn wire_name() -> Cow<'static, str> {
            Cow::Borrowed("test.ping")
        }
    }
    impl RemoteMessage for Ping {}
    impl Handler<Ping> for Twice {
        async fn handle(&mut self, _: Ping, _: &mut Context<Self>) {}
    }
    impl RemoteActor for Twice {
        fn accepts(messages: &mut Accepts<Self>) {
            messages.accept::<Ping>().accept::<Ping>();
        }
    }

    #[test]
    fn a_type_listed_twice_keeps_its_first_number() {
        let accepts = Accepts::<Twice>::of();
        assert_eq!(accepts.len(), 1);
        let outbound = accepts
            .outbound(TypeId::of::<Ping>())
            .expect("Ping is accepted");
        assert_eq!((outbound.ty, outbound.name.as_str()), (0, "test.ping"));
    }
}
