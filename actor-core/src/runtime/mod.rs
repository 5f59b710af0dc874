//! The runtime: how an actor's messages reach it and how its task runs them.
//! Private to the crate; the public kernel types (`ActorRef`, `Recipient`,
//! `Context`, links, the registry, `spawn`) are thin faces over it.
//!
//! # The tell path, in words
//!
//! 1. A reference (`ActorRef<A>`, `Recipient<M>`) points at the actor's
//!    [`Cell`]: its id and its [`Mailbox`](mailbox::Mailbox). `tell` wraps the
//!    message in a [`Parcel`](envelope::Parcel) and seals it into an
//!    [`Envelope<A>`](envelope::Envelope): a pointer to a static table of
//!    operations for that message type plus three words of inline storage, so
//!    a small message is not boxed ([`send`]). A large one is boxed once, when
//!    the send starts ([`compact`]), and an ask's reply travels the same way
//!    ([`reply`]), so no stack holds a large message or reply more than once.
//! 2. The mailbox takes the envelope under one short lock: into its inline
//!    head slot when empty, else onto its queue; a full bounded mailbox parks
//!    the sender in a first-come first-served line. The actor's waker is taken
//!    under the lock and woken after it is released.
//! 3. The actor's task ([`task`]) runs the [`MessageLoop`](message_loop::MessageLoop):
//!    it takes every queued envelope under one lock acquisition, checks the
//!    interrupt flag (an atomic load) before each, and opens each envelope
//!    into the [`HandlerSlot`](handler_slot::HandlerSlot): the handler's
//!    future is built in the actor's one reusable buffer, polled there, and
//!    dropped there. Each message spends a unit of tokio's cooperative budget.
//! 4. A panic in a handler is caught by the handler's own guard
//!    ([`panic_guard`]) while its reply sender is still in hand, so an asker
//!    is told `Failed` with the reason; the run then ends. What the runtime
//!    drops of the user's (the actor after its run, messages it will never
//!    handle) is dropped inside a catch too, one value at a time: a `Drop`
//!    that panics fails the run (the actor's own) or is logged (a message's),
//!    and the hooks, links and monitors still run.
//! 5. When a run ends, its links and monitors fire ([`watchers`]); a
//!    supervised actor's task then waits for its supervisor's decision and
//!    runs the next instance on the same mailbox ([`supervised`]).
//!
//! # What the `unsafe` here relies on
//!
//! - **Handler slot** (`handler_slot.rs`): the future in the slot borrows the
//!   actor and its context through raw pointers taken once per run. The
//!   message loop touches neither while the slot is occupied, never moves
//!   them during the run, and empties the slot (dropping the future in place)
//!   before the actor or context is dropped or moved.
//! - **Compact values** (`compact.rs`): a value's words hold either the
//!   value or its box, as the value's size and alignment decide at compile
//!   time; the words are read back only as the type that wrote them.
//! - **Envelope** (`envelope/`): the inline storage holds exactly the value
//!   its operations table was built for; the table's functions are the only
//!   code that reads it, and each envelope is opened, rejected, discarded or
//!   unsealed exactly once. Unsealing (taking the typed parcel back) is safe:
//!   it compares the table's `TypeId` with the one asked for.
//! - **Message loop** (`message_loop.rs`): holds the actor and its context as
//!   raw pointers for the handler slot (above), and so implements `Send` by
//!   hand.
//! - **Panic guard** (`panic_guard.rs`): structural pinning of the wrapped
//!   future; it is never moved out of its pin.
//!
//! These five modules are the only ones allowed `unsafe` (`#[allow(unsafe_code)]`
//! on their `mod` items; the crate denies it). Every `unsafe` block says what
//! it relies on in a `// SAFETY:` comment.

pub(crate) mod actor_cell;
#[allow(unsafe_code)]
pub(crate) mod compact;
#[allow(unsafe_code)]
pub(crate) mod envelope;
#[allow(unsafe_code)]
pub(crate) mod handler_slot;
pub(crate) mod handling;
pub(crate) mod mailbox;
#[allow(unsafe_code)]
pub(crate) mod message_loop;
#[allow(unsafe_code)]
pub(crate) mod panic_guard;
pub(crate) mod reply;
pub(crate) mod send;
pub(crate) mod supervised;
pub(crate) mod task;
pub(crate) mod watchers;

pub(crate) use actor_cell::{join, Cell, Control};
pub(crate) use send::MessageSink;
