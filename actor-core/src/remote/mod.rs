//! What a network layer builds on: messages that may cross a process boundary
//! ([`RemoteMessage`]), the stable names ([`WireName`]) by which the wire
//! knows them, the actors other processes may reach ([`RemoteActor`]) with
//! the messages each accepts ([`Accepts`]), handles that stand for their
//! object elsewhere ([`Exportable`]: the toolbox's queues and locks), and
//! [`proxy`](mod@proxy) references that stand for actors elsewhere.
//!
//! A remote message is an ordinary [`Message`] whose value and reply serde can
//! serialise, and which has a wire name: a string chosen by the application
//! (`"bank.deposit"`) that stays the same when the type is moved or renamed in
//! code, so that two builds of a program still understand each other. The
//! `#[message(remote = "...")]` attribute of the `actor` macros implements both
//! traits; writing the impls by hand is as short:
//!
//! ```
//! use std::borrow::Cow;
//! use actor_core::{Message, RemoteMessage, WireName};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Deposit { amount: u64 }
//! impl Message for Deposit { type Reply = u64; }
//! impl WireName for Deposit {
//!     fn wire_name() -> Cow<'static, str> { Cow::Borrowed("bank.deposit") }
//! }
//! impl RemoteMessage for Deposit {}
//! ```
//!
//! Generic messages are why a wire name is computed by a function rather than
//! stored in a constant: `Get<K>` named `"kv.get"` is known on the wire as
//! `"kv.get<u64>"` or `"kv.get<String>"`, built from the [`WireName`] of each
//! type parameter. The network layer registers each concrete instantiation it
//! accepts explicitly; nothing is collected at link time, so generic messages
//! work like any other.

pub mod accepts;
mod exportable;
pub mod proxy;

pub use accepts::{Accepts, RemoteActor};
pub use exportable::Exportable;
pub use proxy::{deliver, proxy, Answer, Proxy, ReplyTo, Sealed};

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicU64;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::message::Message;

/// Sets this process's progress record, once: the messages a process host
/// feeds its actor ([`Sealed::fed`]) store their sequence number in
/// `started` when their handler starts and in `finished` when it has
/// finished and its answer is sent, so that the parent process, which maps
/// the same memory, knows after a crash which message was in progress.
/// Returns `false`, changing nothing, if a record was set already (a
/// process hosts one actor).
pub fn record_progress_in(started: &'static AtomicU64, finished: &'static AtomicU64) -> bool {
    crate::runtime::envelope::fed::record_progress_in(started, finished)
}

/// A type's name on the wire: stable across renames and moves in code.
///
/// Implemented here for the standard types that serde serialises (numbers,
/// `bool`, `char`, `String`, `()`, `Option`, `Result`, `Vec`, `VecDeque`, maps,
/// sets, tuples up to four, arrays) under their Rust spelling (`"u64"`,
/// `"Vec<String>"`, `"(u8,bool)"`, `"[u8;4]"`). `Box<T>` is named as `T`,
/// as serde encodes it the same. Implement it for an application type that is
/// a type argument of a generic remote message; the name must never change
/// once programs using it are deployed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no wire name",
    label = "no `WireName`",
    note = "a type argument of a remote message needs a stable name: implement `WireName` for `{Self}` with a name that never changes"
)]
pub trait WireName {
    /// The name. Must not contain whitespace; `<`, `>` and `,` only as
    /// generic arguments, as the implementations here produce them.
    fn wire_name() -> Cow<'static, str>;
}

/// A message that can be sent to an actor in another process.
///
/// Its value and its reply are serialised with serde, and it is identified on
/// the wire by [`WireName::wire_name`]. The bound on the reply is part of the
/// trait, so code generic over `M: RemoteMessage` may serialise `M::Reply`
/// without repeating the bound.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a remote message",
    note = "give it a wire name: `#[message(remote = \"app.name\")]` on its `#[derive(Message)]` or its `#[message]` method"
)]
pub trait RemoteMessage:
    Message<Reply: Serialize + DeserializeOwned> + Serialize + DeserializeOwned + WireName
{
}

/// Support for the code that the `actor` macros generate. Not a public API:
/// it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use serde::de::DeserializeOwned;
    pub use serde::Serialize;

    /// Asserts at compile time, with a message that says how to fix it, that
    /// a remote message can be serialised.
    #[diagnostic::on_unimplemented(
        message = "remote message `{Self}` cannot be serialised with serde",
        label = "not `Serialize + DeserializeOwned`",
        note = "a remote message travels as bytes: add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}` (on a `#[message]` method: `#[message(remote = \"...\", derive(serde::Serialize, serde::Deserialize))]`)"
    )]
    pub trait RemoteMessageIsSerde {}
    // `do_not_recommend` (Rust 1.85) makes rustc report the message above
    // rather than each missing serde trait; older compilers ignore it.
    #[allow(unknown_or_malformed_diagnostic_attributes)]
    #[diagnostic::do_not_recommend]
    impl<T: Serialize + DeserializeOwned> RemoteMessageIsSerde for T {}

    /// Asserts at compile time that the reply of a remote message can be
    /// serialised.
    #[diagnostic::on_unimplemented(
        message = "the reply type `{Self}` of a remote message cannot be serialised with serde",
        label = "not `Serialize + DeserializeOwned`",
        note = "the reply travels back as bytes: use a reply type that implements `serde::Serialize` and `serde::Deserialize` (derive them on your own types)"
    )]
    pub trait RemoteReplyIsSerde {}
    // `do_not_recommend` (Rust 1.85) makes rustc report the message above
    // rather than each missing serde trait; older compilers ignore it.
    #[allow(unknown_or_malformed_diagnostic_attributes)]
    #[diagnostic::do_not_recommend]
    impl<T: Serialize + DeserializeOwned> RemoteReplyIsSerde for T {}

    /// Statically checks `T: RemoteMessageIsSerde`.
    pub const fn assert_remote_message<T: ?Sized + RemoteMessageIsSerde>() {}
    /// Statically checks `T: RemoteReplyIsSerde`.
    pub const fn assert_remote_reply<T: ?Sized + RemoteReplyIsSerde>() {}
}

macro_rules! plain_wire_names {
    ($($ty:ty),* $(,)?) => {
        $(impl WireName for $ty {
            fn wire_name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($ty))
            }
        })*
    };
}

plain_wire_names!(
    bool, char, u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, String
);

impl WireName for () {
    fn wire_name() -> Cow<'static, str> {
        Cow::Borrowed("()")
    }
}

/// `Head<A,B>` from the wire names of the arguments.
fn applied(head: &str, args: &[Cow<'static, str>]) -> Cow<'static, str> {
    Cow::Owned(format!("{head}<{}>", args.join(",")))
}

macro_rules! generic_wire_names {
    ($($head:literal => $ty:ident<$($arg:ident),*> $(where $extra:ident)?;)*) => {
        $(impl<$($arg: WireName),* $(, $extra)?> WireName for $ty<$($arg),* $(, $extra)?> {
            fn wire_name() -> Cow<'static, str> {
                applied($head, &[$($arg::wire_name()),*])
            }
        })*
    };
}

generic_wire_names! {
    "Option" => Option<T>;
    "Result" => Result<T, E>;
    "Vec" => Vec<T>;
    "VecDeque" => VecDeque<T>;
    "HashMap" => HashMap<K, V> where S;
    "BTreeMap" => BTreeMap<K, V>;
    "HashSet" => HashSet<T> where S;
    "BTreeSet" => BTreeSet<T>;
}

impl<T: WireName + ?Sized> WireName for Box<T> {
    fn wire_name() -> Cow<'static, str> {
        T::wire_name()
    }
}

impl<T: WireName, const N: usize> WireName for [T; N] {
    fn wire_name() -> Cow<'static, str> {
        Cow::Owned(format!("[{};{N}]", T::wire_name()))
    }
}

macro_rules! tuple_wire_names {
    ($(($($arg:ident),+))*) => {
        $(impl<$($arg: WireName),+> WireName for ($($arg,)+) {
            fn wire_name() -> Cow<'static, str> {
                Cow::Owned(format!("({})", [$($arg::wire_name()),+].join(",")))
            }
        })*
    };
}

tuple_wire_names! { (A, B) (A, B, C) (A, B, C, D) }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_types_have_rust_spelling() {
        assert_eq!(u64::wire_name(), "u64");
        assert_eq!(String::wire_name(), "String");
        assert_eq!(<()>::wire_name(), "()");
        assert_eq!(Option::<Vec<u8>>::wire_name(), "Option<Vec<u8>>");
        assert_eq!(Result::<u8, String>::wire_name(), "Result<u8,String>");
        assert_eq!(HashMap::<String, i32>::wire_name(), "HashMap<String,i32>");
        assert_eq!(<(u8, bool, char)>::wire_name(), "(u8,bool,char)");
        assert_eq!(<[u8; 4]>::wire_name(), "[u8;4]");
        assert_eq!(Box::<u32>::wire_name(), "u32");
    }
}
