//! Seed scenario 6: shared state owned by an actor. 100 actors each decrement
//! a shared count of 100 once, concurrently, without a lock: the count ends
//! at exactly 0 and every decrement saw a different value. A read followed by
//! a separate write still loses updates (shown deterministically), which is
//! why `update` exists. Lists and values, panics inside an update, and keys
//! such as `&'static str` used from spawned tasks.

use std::collections::HashMap;
use std::sync::Arc;

use actor::prelude::*;
use actor::shared::{SharedList, SharedMap, SharedValue};
use actor_test_support::{quiet_deliberate_panics, DELIBERATE};
use tokio::sync::Barrier;

/// One of the seed's 100 processes: it decrements the shared count once.
struct Decrementer {
    dic: SharedMap<&'static str, i64>,
}

impl Actor for Decrementer {}

/// Decrement the count; the reply is the value it had before.
struct Decrement;
impl Message for Decrement {
    type Reply = Result<Option<i64>, SharedError>;
}
impl Handler<Decrement> for Decrementer {
    async fn handle(
        &mut self,
        _: Decrement,
        _ctx: &mut Context<Self>,
    ) -> Result<Option<i64>, SharedError> {
        // The seed's `with lock: dic['count'] -= 1`, as one message to the
        // map's owner.
        self.dic
            .update("count", |count| {
                *count -= 1;
                *count + 1
            })
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_actors_decrement_a_count_of_a_hundred_to_exactly_zero() -> Result<(), SharedError>
{
    let dic = SharedMap::from_map(HashMap::from([("count", 100)]));
    let actors: Vec<_> = (0..100)
        .map(|_| spawn(Decrementer { dic: dic.clone() }))
        .collect();
    // All hundred asks are in flight at once.
    let asks: Vec<_> = actors
        .iter()
        .map(|actor| {
            let actor = actor.clone();
            tokio::spawn(async move { actor.ask(Decrement).await })
        })
        .collect();
    let mut seen = Vec::new();
    for ask in asks {
        seen.push(ask.await.expect("no panic")??.expect("count is there"));
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=100).collect::<Vec<_>>(),
        "each decrement saw a value no other one saw: none was lost"
    );
    assert_eq!(dic.get("count").await?, Some(0));
    assert_eq!(dic.snapshot().await?, HashMap::from([("count", 0)]));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_then_a_separate_write_loses_updates_update_does_not() -> Result<(), SharedError> {
    const TASKS: usize = 10;
    let racy = SharedValue::new(TASKS as i64);
    let atomic = SharedValue::new(TASKS as i64);
    // Every task reads before any task writes: the interleaving that loses
    // updates, forced so that the outcome is certain.
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (racy, atomic, barrier) = (racy.clone(), atomic.clone(), barrier.clone());
            tokio::spawn(async move {
                let read = racy.get().await?;
                barrier.wait().await;
                racy.set(read - 1).await?;
                atomic.update(|v| *v -= 1).await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("no panic")?;
    }
    assert_eq!(
        racy.get().await?,
        TASKS as i64 - 1,
        "nine updates were lost"
    );
    assert_eq!(atomic.get().await?, 0);
    Ok(())
}

#[tokio::test]
async fn lists_and_maps_answer_like_their_local_counterparts() -> Result<(), SharedError> {
    // The seed's `manager.list(range(5))`, appended to by ten workers.
    let l = SharedList::from_vec((0..5).collect());
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let l = l.clone();
            tokio::spawn(async move { l.push(1).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("no panic")?;
    }
    assert_eq!(l.len().await?, 15);
    assert_eq!(l.get(4).await?, Some(4));
    assert_eq!(l.get(15).await?, None);
    assert_eq!(l.remove(0).await?, Some(0));
    assert_eq!(l.remove(100).await?, None);
    l.extend([7, 8]).await?;
    assert_eq!(l.pop().await?, Some(8));
    let ones = l.update(|v| v.iter().filter(|&&x| x == 1).count()).await?;
    assert_eq!(ones, 11);
    l.clear().await?;
    assert!(l.is_empty().await?);

    let d = SharedMap::new();
    assert_eq!(d.insert(1, "1").await?, None);
    assert_eq!(d.insert(1, "one").await?, Some("1"));
    assert!(d.contains_key(1).await?);
    assert_eq!(d.update(2, |v| *v = "two").await?, None, "no key 2 yet");
    assert_eq!(d.update_or_insert(2, "", |v| *v = "two").await?, ());
    assert_eq!(d.len().await?, 2);
    let moved = d
        .update_all(|m| {
            let one = m.remove(&1);
            m.insert(3, one.unwrap_or_default());
            m.len()
        })
        .await?;
    assert_eq!(moved, 2);
    assert_eq!(d.snapshot().await?, HashMap::from([(2, "two"), (3, "one")]));
    assert_eq!(d.remove(2).await?, Some("two"));
    d.clear().await?;
    assert!(d.is_empty().await?);

    let v = SharedValue::new(String::from("a"));
    assert_eq!(v.set("b".into()).await?, "a");
    assert_eq!(v.update(|s| s.push('c')).await?, ());
    assert_eq!(v.get().await?, "bc");
    Ok(())
}

#[tokio::test]
async fn a_panicking_update_fails_that_call_only() -> Result<(), SharedError> {
    quiet_deliberate_panics();
    let count = SharedValue::new(10);
    let other = count.clone();
    let failed = count
        .update(|v| {
            *v -= 1;
            panic!("{DELIBERATE}: halfway");
        })
        .await;
    let Err(SharedError::Panicked { owner, reason }) = failed else {
        panic!("expected SharedStatePanicked, got {failed:?}");
    };
    assert_eq!(owner, count.id());
    assert!(reason.to_string().contains("halfway"), "{reason}");
    // The owner goes on serving every handle; the change made before the
    // panic stays, as documented.
    assert_eq!(other.update(|v| *v -= 1).await?, ());
    assert_eq!(count.get().await?, 8);
    Ok(())
}
