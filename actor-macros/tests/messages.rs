//! `#[messages]`: what each kind of `#[message]` method becomes, and that the
//! actor handles the generated messages by calling the method.

use std::time::Duration;

use actor::prelude::*;

#[derive(Actor, Default)]
struct Counter {
    count: u64,
}

/// Public, as the `pub` method `checked_add` returns it: its message is a
/// `pub` struct.
#[derive(Debug, PartialEq)]
pub struct Overflow;

#[messages]
impl Counter {
    /// Adds `by`: a sync `&mut self` method with an argument.
    #[message]
    pub fn inc(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }

    /// An async `&self` method without arguments: a unit message.
    #[message]
    pub async fn get(&self) -> u64 {
        tokio::task::yield_now().await;
        self.count
    }

    /// A `Result` reply, and an argument declared `mut`.
    #[message]
    pub fn checked_add(&mut self, mut by: u64) -> Result<u64, Overflow> {
        by = self.count.checked_add(by).ok_or(Overflow)?;
        self.count = by;
        Ok(by)
    }

    /// No reply: told, not asked.
    #[message]
    pub fn reset(&mut self) {
        self.count = 0;
    }

    /// An explicit `-> ()` is the same as none.
    #[message]
    #[allow(clippy::unused_unit)]
    pub fn set(&mut self, to: u64) -> () {
        self.count = to;
    }

    /// The context, wherever it is in the arguments, is passed through.
    #[message]
    pub async fn add_then_stop(
        &mut self,
        by: u64,
        ctx: &mut Context<Self>,
        note: String,
    ) -> String {
        self.count += by;
        ctx.stop();
        format!("{note} {} at {}", ctx.id().name(), self.count)
    }

    /// Renamed, with derives on the struct.
    #[message(name = Add, derive(Debug, Clone, PartialEq))]
    pub fn add_twice(&mut self, by: u64) -> u64 {
        self.count += 2 * by;
        self.count
    }

    /// Removed by its `#[cfg]`, with everything made from it: the body does
    /// not compile, so this test compiles only if nothing refers to it.
    #[cfg(any())]
    #[message]
    pub fn gone(&mut self) -> u64 {
        does_not_exist()
    }

    /// Not a message: stays an ordinary method.
    pub fn double(&mut self) {
        self.count *= 2;
    }
}

#[tokio::test]
async fn each_method_is_a_message() {
    let counter = spawn(Counter::default());
    assert_eq!(counter.ask(Inc { by: 2 }).await.unwrap(), 2);
    counter.tell(Inc { by: 3 }).await.unwrap();
    assert_eq!(counter.ask(Get).await.unwrap(), 5);
    assert_eq!(counter.ask(CheckedAdd { by: 1 }).await.unwrap(), Ok(6));
    assert_eq!(
        counter.ask(CheckedAdd { by: u64::MAX }).await.unwrap(),
        Err(Overflow)
    );
    counter.tell(Reset).await.unwrap();
    assert_eq!(counter.ask(Get).await.unwrap(), 0);
    counter.ask(Set { to: 10 }).await.unwrap();
    let add = Add { by: 1 };
    assert_eq!(format!("{add:?}"), "Add { by: 1 }");
    assert_eq!(counter.ask(add.clone()).await.unwrap(), 12);
    assert_eq!(counter.ask(add).await.unwrap(), 14);
}

#[tokio::test]
async fn the_context_is_the_actors() {
    let counter = spawn(Counter { count: 1 });
    let reply = counter
        .ask(AddThenStop {
            by: 1,
            note: "bye from".into(),
        })
        .await
        .unwrap();
    assert_eq!(reply, "bye from Counter at 2");
    // `ctx.stop()` in the method stopped the actor.
    assert_eq!(counter.join().await, StopReason::Normal);
}

#[test]
fn the_methods_stay_callable() {
    let mut counter = Counter { count: 3 };
    assert_eq!(counter.inc(1), 4);
    counter.double();
    assert_eq!(counter.add_twice(1), 10);
    assert_eq!(counter.checked_add(u64::MAX), Err(Overflow));
}

#[tokio::test(start_paused = true)]
async fn derived_clone_serves_timers() {
    #[derive(Actor, Default)]
    struct Ticker {
        ticks: u32,
    }

    #[messages]
    impl Ticker {
        #[message(derive(Clone))]
        fn tick(&mut self) {
            self.ticks += 1;
        }

        #[message]
        fn start(&mut self, ctx: &mut Context<Self>) {
            ctx.send_interval(Tick, Duration::from_secs(1));
        }

        #[message]
        fn ticks(&self) -> u32 {
            self.ticks
        }
    }

    let ticker = spawn(Ticker::default());
    ticker.ask(Start).await.unwrap();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(ticker.ask(Ticks).await.unwrap(), 3);
}

/// Messages made in a module are used outside it with the visibility of
/// their methods.
mod bank {
    use actor::prelude::*;

    #[derive(Actor, Default)]
    pub struct Account {
        balance: u64,
    }

    #[messages]
    impl Account {
        #[message]
        pub fn deposit(&mut self, amount: u64) -> u64 {
            self.balance += amount;
            self.balance
        }

        #[message]
        pub(crate) fn balance(&self) -> u64 {
            self.balance
        }
    }
}

#[tokio::test]
async fn messages_have_the_methods_visibility() {
    let account = spawn(bank::Account::default());
    assert_eq!(account.ask(bank::Deposit { amount: 5 }).await.unwrap(), 5);
    assert_eq!(account.ask(bank::Balance).await.unwrap(), 5);
}

/// A generic actor, with messages generic over the actor's parameter and
/// over the method's own.
#[derive(Actor)]
pub struct Stack<T> {
    items: Vec<T>,
}

#[messages]
impl<T> Stack<T>
where
    T: Clone,
{
    #[message]
    pub fn push(&mut self, item: T) -> usize {
        self.items.push(item);
        self.items.len()
    }

    /// `T` only in the reply: made with `Pop::new()` or `Pop::default()`.
    #[message]
    pub fn pop(&mut self) -> Option<T> {
        self.items.pop()
    }

    /// A parameter of the method's own.
    #[message]
    pub fn push_all<I: IntoIterator<Item = T>>(&mut self, items: I) -> usize {
        self.items.extend(items);
        self.items.len()
    }

    /// `Self` means the actor.
    #[message]
    pub fn swap(&mut self, other: Self) -> Self {
        std::mem::replace(self, other)
    }

    /// A method parameter that no argument mentions.
    #[message]
    pub fn first_as<U: From<T>>(&self) -> Option<U> {
        self.items.first().cloned().map(U::from)
    }

    /// A const parameter, only in the reply.
    #[message]
    pub fn top<const N: usize>(&self) -> Vec<T> {
        self.items.iter().rev().take(N).cloned().collect()
    }

    #[message]
    pub fn size(&self) -> usize {
        self.items.len()
    }
}

#[tokio::test]
async fn generic_actors_and_messages_work() {
    let stack = spawn(Stack::<u8> { items: Vec::new() });
    assert_eq!(stack.ask(Push { item: 1 }).await.unwrap(), 1);
    assert_eq!(stack.ask(PushAll { items: vec![2, 3] }).await.unwrap(), 3);
    assert_eq!(stack.ask(PushAll { items: Some(4) }).await.unwrap(), 4);
    assert_eq!(stack.ask(Top::<u8, 2>::new()).await.unwrap(), [4, 3]);
    assert_eq!(stack.ask(FirstAs::<u64>::new()).await.unwrap(), Some(1u64));
    assert_eq!(stack.ask(Pop::new()).await.unwrap(), Some(4));
    let old = stack
        .ask(Swap {
            other: Stack { items: vec![9] },
        })
        .await
        .unwrap();
    assert_eq!(old.items, [1, 2, 3]);
    assert_eq!(stack.ask(Pop::default()).await.unwrap(), Some(9));
    assert_eq!(stack.ask(Size).await.unwrap(), 0);
}

/// Several `#[messages]` blocks for one actor.
#[messages]
impl Counter {
    #[message]
    fn halve(&mut self) -> u64 {
        self.count /= 2;
        self.count
    }
}

#[tokio::test]
async fn an_actor_can_have_several_message_blocks() {
    let counter = spawn(Counter { count: 8 });
    assert_eq!(counter.ask(Halve).await.unwrap(), 4);
    assert_eq!(counter.ask(Inc { by: 1 }).await.unwrap(), 5);
}

/// A handler that panics fails the actor as a hand-written one does.
#[derive(Actor)]
struct Fragile;

#[messages]
impl Fragile {
    #[message]
    fn explode(&mut self) -> u8 {
        panic!("boom")
    }
}

#[tokio::test]
async fn a_panicking_method_fails_the_actor() {
    let fragile = spawn(Fragile);
    let error = fragile.ask(Explode).await.unwrap_err();
    assert!(matches!(error, Error::Failed { .. }), "{error}");
    let reason = fragile.join().await;
    assert!(reason.to_string().contains("boom"), "{reason}");
}
