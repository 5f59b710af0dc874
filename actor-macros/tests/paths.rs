//! Generated code names everything by its full path: it compiles next to
//! user items that shadow the names it uses, without any import, and with
//! the crate reached under another name.

// The facade under another name, as a crate that renames its dependency
// would see it.
extern crate actor as renamed;

/// Every name the macros could use unqualified is something else here, and
/// nothing is imported from `actor`.
mod shadowed {
    #![allow(dead_code, non_camel_case_types)]

    pub type Result = ();
    pub type Option = ();
    pub struct Context;
    pub struct Message;
    pub struct Handler;
    pub struct Send;
    pub struct Sized;
    pub struct String;
    pub struct Cow;
    pub struct PhantomData;
    pub struct MailboxCapacity;
    pub struct StopReason;
    pub struct BoxError;
    pub struct Default;
    pub trait Into {}
    pub trait Actor {}
    pub trait Serialize {}
    mod std {}
    mod serde {}
    mod actor {}

    #[derive(::actor::Actor)]
    #[actor(name = "shadow", mailbox = 4, started = begin, stopped = end)]
    pub struct Shadow {
        pub seen: u32,
    }

    impl Shadow {
        async fn begin(
            &mut self,
            _ctx: &mut ::actor::Context<Self>,
        ) -> ::core::result::Result<(), ::std::io::Error> {
            self.seen += 1;
            Ok(())
        }

        async fn end(&mut self, _reason: &::actor::StopReason) {}
    }

    #[::actor::messages]
    impl Shadow {
        /// A generic message with a marker and a remote name.
        #[message(
            remote = "shadow.echo",
            derive(::serde::Serialize, ::serde::Deserialize)
        )]
        pub fn echo<T: Clone + ::serde::Serialize + ::serde::de::DeserializeOwned>(
            &mut self,
            value: T,
            ctx: &mut ::actor::Context<Self>,
        ) -> (T, u32) {
            let _ = ctx.id();
            (value, self.seen)
        }

        #[message]
        pub fn nothing<T: ::core::default::Default>(&self) -> T {
            T::default()
        }
    }

    #[derive(::actor::Message, ::serde::Serialize, ::serde::Deserialize)]
    #[message(reply = ::core::option::Option<u8>, remote = "shadow.ping")]
    pub struct Ping<T> {
        pub value: T,
    }
}

#[tokio::test]
async fn shadowed_names_do_not_matter() {
    use actor::{Actor, WireName};

    assert_eq!(<shadowed::Shadow as Actor>::name(), "shadow");
    let shadow = actor::spawn(shadowed::Shadow { seen: 0 });
    let reply = shadow.ask(shadowed::Echo { value: 'x' }).await.unwrap();
    assert_eq!(reply, ('x', 1));
    let zero: u16 = shadow.ask(shadowed::Nothing::new()).await.unwrap();
    assert_eq!(zero, 0);
    assert_eq!(shadowed::Echo::<u8>::wire_name(), "shadow.echo<u8>");
    assert_eq!(shadowed::Ping::<u8>::wire_name(), "shadow.ping<u8>");
}

/// The crate named by `crate = ...`, in each of its spellings.
mod elsewhere {
    #[derive(renamed::Actor, Default)]
    #[actor(crate = ::renamed)]
    pub struct Renamed {
        pub count: u32,
    }

    #[renamed::messages(crate = renamed)]
    impl Renamed {
        #[message]
        pub fn bump(&mut self) -> u32 {
            self.count += 1;
            self.count
        }
    }

    #[derive(renamed::Message)]
    #[message(reply = u32, crate = "::renamed")]
    pub struct Peek;

    impl renamed::Handler<Peek> for Renamed {
        async fn handle(&mut self, _: Peek, _: &mut renamed::Context<Self>) -> u32 {
            self.count
        }
    }
}

#[tokio::test]
async fn the_crate_can_be_named() {
    let counter = renamed::spawn(elsewhere::Renamed::default());
    assert_eq!(counter.ask(elsewhere::Bump).await.unwrap(), 1);
    assert_eq!(counter.ask(elsewhere::Peek).await.unwrap(), 1);
}

/// Argument names that the generated handler also uses, and a method named
/// like the trait's.
mod names {
    use actor::prelude::*;

    #[derive(Actor, Default)]
    pub struct Journal {
        pub lines: Vec<String>,
    }

    #[messages]
    impl Journal {
        #[message]
        pub fn write(&mut self, message: String, ctx: u32, context: &mut Context<Self>) -> String {
            let line = format!("{message} {ctx} {}", context.id().name());
            self.lines.push(line.clone());
            line
        }

        /// `Self::handle` in the generated `Handler::handle` is this method.
        #[message]
        pub async fn handle(&mut self, msg: u8) -> usize {
            self.lines.push(msg.to_string());
            self.lines.len()
        }
    }
}

#[tokio::test]
async fn argument_names_do_not_clash_with_the_handlers() {
    let journal = actor::spawn(names::Journal::default());
    let line = journal
        .ask(names::Write {
            message: "hi".into(),
            ctx: 7,
        })
        .await
        .unwrap();
    assert_eq!(line, "hi 7 Journal");
    assert_eq!(journal.ask(names::Handle { msg: 3 }).await.unwrap(), 2);
}

/// A generic actor whose bounds are in a where clause, and a generic
/// message whose field names an associated type of its parameter.
mod bounds {
    use actor::prelude::*;

    #[derive(Actor)]
    pub struct Summer<T>
    where
        T: Copy + std::iter::Sum<T>,
    {
        pub total: T,
    }

    #[messages]
    impl<T> Summer<T>
    where
        T: Copy + std::iter::Sum<T>,
    {
        #[message]
        pub fn add_all<I>(&mut self, items: I::IntoIter) -> T
        where
            I: IntoIterator<Item = T>,
            I::IntoIter: Send,
        {
            self.total = std::iter::once(self.total).chain(items).sum();
            self.total
        }
    }
}

#[tokio::test]
async fn bounds_in_where_clauses_are_kept() {
    let summer = actor::spawn(bounds::Summer { total: 1u32 });
    let items = vec![2, 3];
    // `T` is only in the reply: the message is made with `new`.
    let message = bounds::AddAll::<u32, Vec<u32>>::new(items.into_iter());
    let total = summer.ask(message).await.unwrap();
    assert_eq!(total, 6);
}
