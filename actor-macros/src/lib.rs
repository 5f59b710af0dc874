//! Macros that define actors and messages of the `actor` framework in plain
//! Rust: `#[derive(Actor)]`, `#[messages]` with `#[message]` methods, and
//! `#[derive(Message)]`. Use them through the facade crate
//! (`use actor::prelude::*;`), which re-exports them next to the traits they
//! implement.
//!
//! ```
//! use actor::prelude::*;
//!
//! #[derive(Actor, Default)]
//! struct Counter {
//!     count: u64,
//! }
//!
//! #[messages]
//! impl Counter {
//!     /// Adds `by` and returns the new count.
//!     #[message]
//!     pub fn inc(&mut self, by: u64) -> u64 {
//!         self.count += by;
//!         self.count
//!     }
//!
//!     /// The current count.
//!     #[message]
//!     pub async fn get(&self) -> u64 {
//!         self.count
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Error> {
//! let counter = spawn(Counter::default());
//! assert_eq!(counter.ask(Inc { by: 2 }).await?, 2);
//! counter.tell(Inc { by: 3 }).await?;
//! assert_eq!(counter.ask(Get).await?, 5);
//! # Ok(()) }
//! ```
//!
//! The macros generate nothing that could not be written by hand: the
//! `Actor`, `Message` and `Handler` impls of the `actor` crate, plus
//! compile-time checks whose errors point at the field, argument or type that
//! is wrong and say how to fix it. `cargo expand` shows the result.
//!
//! # `#[derive(Actor)]`
//!
//! Implements `Actor` for a struct or an enum.
//! Every field must be `Send` (an actor runs on whichever thread the runtime
//! picks); a field that is not is reported at the field. Options, all
//! optional, in `#[actor(...)]`:
//!
//! | option | meaning | default |
//! | --- | --- | --- |
//! | `name = "counter"` | `Actor::name`, shown in ids and logs | the type's name |
//! | `mailbox = 128` (or a constant) | a bounded mailbox of that capacity | 64 |
//! | `mailbox = unbounded` | an unbounded mailbox | |
//! | `started = on_start` | the `started` hook: `async fn on_start(&mut self, ctx: &mut Context<Self>) -> Result<(), E>` with `E: Into<BoxError>` | does nothing |
//! | `stopping = on_stopping` | the `stopping` hook: `async fn on_stopping(&mut self, ctx: &mut Context<Self>)` | does nothing |
//! | `stopped = on_stopped` | the `stopped` hook: `async fn on_stopped(&mut self, reason: &StopReason)` | does nothing |
//! | `restarting = on_restart` | the `restarting` hook, run on a supervised actor's new instance: `async fn on_restart(&mut self, ctx: &mut Context<Self>, previous: &StopReason)` | does nothing |
//! | `remote = "app.counter"` | the actor can be exported and looked up by other nodes: its `WireName` (stable, never to change once deployed) and an `actor::remote::RemoteActor` impl | not remote |
//! | `accepts(Add, Get)` | with `remote`: the messages it accepts from the network, each a remote message it handles | none |
//! | `crate = ::path` | where the `actor` crate is (see [Paths](#paths)) | `::actor` |
//!
//! A hook is named by a method of the actor (`on_start` means
//! `Self::on_start`) or by a path to a function taking the actor first
//! (`self::boot`, `hooks::boot`); it must be an `async fn`. The `started` hook may return any error type that
//! converts into `BoxError` (`std::io::Error`, `String`, your own error...), so
//! it can use `?` on its own errors.
//!
//! ```
//! use actor::prelude::*;
//!
//! #[derive(Actor)]
//! #[actor(name = "cache", mailbox = unbounded, started = warm_up, stopped = report)]
//! struct Cache {
//!     entries: Vec<String>,
//! }
//!
//! impl Cache {
//!     async fn warm_up(&mut self, _ctx: &mut Context<Self>) -> Result<(), std::io::Error> {
//!         self.entries.push("warm".to_owned());
//!         Ok(())
//!     }
//!
//!     async fn report(&mut self, reason: &StopReason) {
//!         println!("cache stopped ({reason}) with {} entries", self.entries.len());
//!     }
//! }
//!
//! assert_eq!(<Cache as Actor>::name(), "cache");
//! assert_eq!(<Cache as Actor>::mailbox_capacity(), MailboxCapacity::Unbounded);
//! ```
//!
//! The derive implements `Actor` in full, so a type that derives it cannot
//! also have a hand-written `impl Actor` (rustc reports the conflict): name
//! the hooks in the attribute instead. To write `impl Actor` by hand, don't
//! derive: `impl Actor for Counter {}` is the whole impl when the defaults fit,
//! and `#[messages]` works the same with it.
//!
//! # `#[messages]` and `#[message]`
//!
//! On an inherent impl block, `#[messages]` turns every method marked
//! `#[message]` into a message: a struct named after the method in
//! PascalCase (`inc` makes `Inc`, `get_balance` makes `GetBalance`), its
//! `Message` impl, and the actor's `Handler` impl that calls the method. The
//! method itself stays as written and callable.
//!
//! - The method takes `&mut self` or `&self`, is `async` or not, and may
//!   return anything that is `Send` (a `Result` too); no return type means
//!   the reply is `()`.
//! - Each other argument becomes a public-as-the-method field of the same
//!   name and type, so the caller writes `Inc { by: 2 }`. A method without
//!   arguments makes a unit struct (`Get`).
//! - An argument of type `&mut Context<..>` (or `&Context<..>`) is the actor's
//!   context, passed through from the handler; it is not a field.
//! - The struct has the method's visibility and its doc comment; a `#[cfg]`
//!   on the method applies to everything generated from it. As for any
//!   public item, the types of a `pub` method's arguments and reply must be
//!   public too (rustc reports "private type in public interface" at the
//!   type otherwise): make the method `pub(crate)` or the type `pub`.
//! - `#[message(name = Add)]` names the struct; `#[message(derive(Debug, Clone))]`
//!   derives traits on it (`Clone` is what `Context::send_interval` needs);
//!   `#[message(remote = "...")]` makes it a [remote message](#remote-messages).
//! - `Self` in an argument or the reply type means the actor.
//!
//! ```
//! use actor::prelude::*;
//!
//! #[derive(Actor, Default)]
//! struct Account {
//!     balance: u64,
//!     deposits: u32,
//! }
//!
//! #[derive(Debug, PartialEq)]
//! pub struct Insufficient;
//!
//! #[messages]
//! impl Account {
//!     /// Takes `amount` out, or fails if the balance is too low.
//!     #[message(derive(Debug, Clone))]
//!     pub fn withdraw(&mut self, amount: u64) -> Result<u64, Insufficient> {
//!         self.balance = self.balance.checked_sub(amount).ok_or(Insufficient)?;
//!         Ok(self.balance)
//!     }
//!
//!     /// Puts `amount` in; stops the account after its hundredth deposit.
//!     #[message(name = Credit)]
//!     pub async fn deposit(&mut self, amount: u64, ctx: &mut Context<Self>) -> u64 {
//!         self.balance += amount;
//!         self.deposits += 1;
//!         if self.deposits == 100 {
//!             ctx.stop();
//!         }
//!         self.balance
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Error> {
//! let account = spawn(Account::default());
//! assert_eq!(account.ask(Credit { amount: 10 }).await?, 10);
//! assert_eq!(account.ask(Withdraw { amount: 4 }).await?, Ok(6));
//! assert_eq!(account.ask(Withdraw { amount: 7 }).await?, Err(Insufficient));
//! # Ok(()) }
//! ```
//!
//! # `#[derive(Message)]`
//!
//! For a message written as its own type: `#[message(reply = T)]` names the
//! reply type (`()` when omitted, for messages that are only told). Fields
//! and reply must be `Send`. Options: `reply = T`, `remote = "..."`,
//! `crate = ::path`.
//!
//! ```
//! use actor::prelude::*;
//!
//! #[derive(Message)]
//! #[message(reply = Option<String>)]
//! pub struct Lookup {
//!     pub key: String,
//! }
//!
//! #[derive(Message)]
//! pub enum Command {
//!     Start,
//!     Stop { reason: String },
//! }
//!
//! fn reply_of<M: Message>() -> &'static str {
//!     std::any::type_name::<M::Reply>()
//! }
//! assert!(reply_of::<Lookup>().contains("Option"));
//! assert_eq!(reply_of::<Command>(), "()");
//! ```
//!
//! # Generics
//!
//! Generic actors and generic messages work. Every type parameter of a
//! derived or generated impl gets `Send + 'static`, which the traits require
//! anyway. Lifetime parameters are refused: actors and messages are
//! `'static`.
//!
//! In a generic `#[messages]` impl, the message struct takes the impl's type
//! parameters that its fields or reply mention, and all of the method's own.
//! A parameter that no field mentions (`T` in `fn pop(&mut self) -> Option<T>`)
//! is carried by a hidden marker field; such a message is made with its
//! generated `new` constructor (`Pop::new()`, also `Pop::default()` when it
//! has no fields), since it cannot be written as a struct literal.
//!
//! ```
//! use actor::prelude::*;
//!
//! #[derive(Actor)]
//! struct Stack<T> {
//!     items: Vec<T>,
//! }
//!
//! #[messages]
//! impl<T> Stack<T> {
//!     #[message]
//!     pub fn push(&mut self, item: T) -> usize {
//!         self.items.push(item);
//!         self.items.len()
//!     }
//!
//!     #[message]
//!     pub fn pop(&mut self) -> Option<T> {
//!         self.items.pop()
//!     }
//!
//!     /// A generic message: converts before pushing.
//!     #[message]
//!     pub fn push_from<U: Into<T>>(&mut self, item: U) -> usize {
//!         self.push(item.into())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Error> {
//! let stack = spawn(Stack::<u64> { items: Vec::new() });
//! stack.ask(Push { item: 1 }).await?;
//! stack.ask(PushFrom { item: 2u8 }).await?;
//! assert_eq!(stack.ask(Pop::new()).await?, Some(2));
//! # Ok(()) }
//! ```
//!
//! # Remote messages
//!
//! `#[message(remote = "bank.deposit")]`, on a `#[derive(Message)]` type or a
//! `#[message]` method, marks a message that may cross a process boundary:
//! it implements `WireName` and `RemoteMessage`. The string is the message's
//! wire name, which the application chooses once: it does not change when the
//! type is renamed or moved, so that two builds still understand each other.
//! The message and its reply must be serde types; that is checked where the
//! message is defined, and a missing `#[derive(Serialize, Deserialize)]` is
//! reported there. Wire names use ASCII letters, digits and `. _ - : /`.
//!
//! A generic remote message is known on the wire by its name followed by the
//! wire names of its type arguments (`"kv.get<u64>"`), so every instantiation
//! has its own name. Names are computed, not collected at link time: the
//! network layer registers the concrete instantiations it accepts
//! explicitly, which works for generic messages as for any other.
//!
//! ```
//! use actor::prelude::*;
//! use actor::{RemoteMessage, WireName};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Message, Serialize, Deserialize)]
//! #[message(reply = u64, remote = "bank.deposit")]
//! pub struct Deposit {
//!     pub amount: u64,
//! }
//!
//! #[derive(Message, Serialize, Deserialize)]
//! #[message(reply = Option<V>, remote = "kv.get")]
//! pub struct Get<K, V> {
//!     pub key: K,
//!     #[serde(skip)]
//!     pub value: std::marker::PhantomData<fn() -> V>,
//! }
//!
//! fn wire_name<M: RemoteMessage>() -> String {
//!     M::wire_name().into_owned()
//! }
//! assert_eq!(wire_name::<Deposit>(), "bank.deposit");
//! assert_eq!(wire_name::<Get<String, Vec<u8>>>(), "kv.get<String,Vec<u8>>");
//! ```
//!
//! On a method: `#[message(remote = "bank.deposit", derive(Serialize, Deserialize))]`.
//!
//! An actor that other nodes reach names itself and lists what it accepts
//! from the network in `#[actor(...)]`; `actor::net::Node::export` and
//! `lookup` then take it:
//!
//! ```
//! use actor::prelude::*;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Message, Serialize, Deserialize)]
//! #[message(reply = u64, remote = "bank.deposit")]
//! pub struct Deposit { pub amount: u64 }
//!
//! #[derive(Actor, Default)]
//! #[actor(remote = "bank.account", accepts(Deposit))]
//! struct Account { balance: u64 }
//!
//! impl Handler<Deposit> for Account {
//!     async fn handle(&mut self, d: Deposit, _: &mut Context<Self>) -> u64 {
//!         self.balance += d.amount;
//!         self.balance
//!     }
//! }
//!
//! fn exportable<A: actor::remote::RemoteActor>() -> String {
//!     A::wire_name().into_owned()
//! }
//! assert_eq!(exportable::<Account>(), "bank.account");
//! ```
//!
//! # Paths
//!
//! Generated code names everything by its full path (`::actor::Handler`,
//! `::core::result::Result`), so it works whatever the user imports or
//! shadows (a type named `Result` or `Context` in scope is fine). It expects
//! the facade crate under its own name, `actor`. A crate that renames the
//! dependency, or reaches the framework through a crate of its own, says where
//! it is with `crate = ...` on any of the three attributes:
//! `#[actor(crate = ::my_actor)]`, `#[message(crate = ::my_actor)]`,
//! `#[messages(crate = ::my_actor)]`.
//!
//! # What is generated
//!
//! `cargo expand` shows plain impls. For `#[message] pub fn inc(&mut self,
//! by: u64) -> u64` on `Counter`:
//!
//! ```text
//! /// (the method's doc comment)
//! pub struct Inc {
//!     /// The `by` argument of `Counter::inc`.
//!     pub by: u64,
//! }
//! #[automatically_derived]
//! impl ::actor::Message for Inc {
//!     type Reply = u64;
//! }
//! #[automatically_derived]
//! impl ::actor::Handler<Inc> for Counter {
//!     async fn handle(&mut self, message: Inc, _: &mut ::actor::Context<Self>) -> u64 {
//!         let Inc { by } = message;
//!         Self::inc(self, by)
//!     }
//! }
//! ```
//!
//! Two more things appear when a field, argument or reply is not a primitive:
//! a `const _: () = { ... };` block of compile-time checks (one call per type,
//! carrying the type's span, so that rustc reports a non-`Send` type there,
//! with the message of a `#[diagnostic::on_unimplemented]` trait), and a
//! `where for<'__a> Type: Send` predicate per such type on the impls, which
//! makes the impl conditional on the check so that rustc reports the problem
//! once, at the check, rather than a second time at the impl. (The
//! higher-ranked form is what lets a bound without generic parameters be
//! written on stable Rust.)
//!
//! # Compile errors
//!
//! The macros check what they can see (a method without `self`, a borrowed
//! argument, an unknown key with the key you probably meant) and report it at
//! the offending tokens. What only the compiler can check (whether a field or
//! reply is `Send`, whether a remote message is a serde type) is asserted in
//! the generated code with the user's span and a message that says what to
//! do, for example:
//!
//! ```text
//! error[E0277]: `Rc<u64>` cannot be sent between threads safely, so it cannot be a field of an actor
//!  --> src/main.rs:6:11
//!   |
//! 6 |     hits: Rc<u64>,
//!   |           ^^^^^^^ not `Send`
//!   |
//!   = note: an actor runs on whichever thread the runtime picks, so all its fields must be `Send`:
//!           use `Arc` instead of `Rc`, `Arc<Mutex<T>>` instead of `Rc<RefCell<T>>`, or make the type `Send`
//! ```

#![deny(unsafe_code)]
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

mod actor;
mod message;
mod messages;
mod util;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput, Item};

/// Implements `Actor` for a struct or an enum, checking that every field is
/// `Send`.
///
/// Options in `#[actor(...)]`: `name = "..."`, `mailbox = 128` (or a
/// constant) or `mailbox = unbounded`, the hooks `started = method`,
/// `stopping = method`, `stopped = method` and `restarting = method`, and
/// `crate = ::path`. See the
/// [crate documentation](crate#deriveactor).
///
/// ```
/// use actor::prelude::*;
///
/// #[derive(Actor)]
/// #[actor(name = "greeter", mailbox = 8, started = hello)]
/// struct Greeter;
///
/// impl Greeter {
///     async fn hello(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
///         println!("{} is up", ctx.id());
///         Ok(())
///     }
/// }
///
/// assert_eq!(Greeter::mailbox_capacity(), MailboxCapacity::Bounded(8));
/// ```
#[proc_macro_derive(Actor, attributes(actor))]
pub fn derive_actor(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    actor::derive(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Implements `Message` for a struct or an enum written as its own type,
/// checking that its fields and reply are `Send`.
///
/// Options in `#[message(...)]`: `reply = Type` (default `()`),
/// `remote = "wire.name"` (see the [crate documentation](crate#remote-messages)),
/// `crate = ::path`.
///
/// ```
/// use actor::prelude::*;
///
/// #[derive(Message)]
/// #[message(reply = u64)]
/// struct Deposit(u64);
///
/// #[derive(Actor)]
/// struct Bank { balance: u64 }
///
/// impl Handler<Deposit> for Bank {
///     async fn handle(&mut self, Deposit(amount): Deposit, _ctx: &mut Context<Self>) -> u64 {
///         self.balance += amount;
///         self.balance
///     }
/// }
/// ```
#[proc_macro_derive(Message, attributes(message))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    message::derive(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// On an inherent impl block: turns each method marked `#[message]` into a
/// message struct, its `Message` impl and the actor's `Handler` impl.
///
/// `#[messages(crate = ::path)]` names the `actor` crate when it is not
/// `::actor`. Options of `#[message(...)]` on a method: `name = Type`,
/// `derive(Trait, ...)`, `remote = "wire.name"`. See the
/// [crate documentation](crate#messages-and-message).
///
/// ```
/// use actor::prelude::*;
///
/// #[derive(Actor, Default)]
/// struct Greeter { greeted: u32 }
///
/// #[messages]
/// impl Greeter {
///     /// Greets `name`.
///     #[message]
///     pub fn greet(&mut self, name: String) -> String {
///         self.greeted += 1;
///         format!("hello, {name} (#{})", self.greeted)
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Error> {
/// let greeter = spawn(Greeter::default());
/// let reply = greeter.ask(Greet { name: "Ada".into() }).await?;
/// assert_eq!(reply, "hello, Ada (#1)");
/// # Ok(()) }
/// ```
#[proc_macro_attribute]
pub fn messages(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = match syn::parse::<Item>(item) {
        Ok(Item::Impl(item)) => item,
        Ok(other) => {
            return syn::Error::new_spanned(
                other,
                "`#[messages]` goes on an impl block: `#[messages] impl Counter { ... }`",
            )
            .into_compile_error()
            .into()
        }
        Err(error) => return error.into_compile_error().into(),
    };
    messages::parse_args(args.into())
        .and_then(|krate| messages::expand(krate, item))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
