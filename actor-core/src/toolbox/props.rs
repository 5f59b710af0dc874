//! Property tests of [`Queue`] and [`WorkQueue`](crate::work_queue::WorkQueue)
//! against a model: any interleaving of puts, gets, acknowledgements,
//! failures, cancelled waits and a close keeps every item exactly once (work
//! queues: delivered at least once, acknowledged exactly once, never lost).
//!
//! Every operation is issued from one task, so the queue sees them in the
//! order generated; after each one a `status` round trip guarantees the queue
//! has handled it, and every waiting call is polled once and compared with
//! what the model says it must have returned by now.

use std::collections::{HashMap, VecDeque};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use proptest::prelude::*;

use super::queue::Queue;
use super::queue::QueueError;
use crate::work_queue::{WorkItem, WorkQueue};
use crate::SendError;

async fn poll_once<F: Future + ?Sized>(mut future: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

// ------------------------------------------------------------------ Queue

#[derive(Clone, Debug)]
enum Op {
    TryPut,
    Put,
    TryGet,
    Get,
    /// Drop the n-th waiting call (modulo how many wait).
    DropWaiter(usize),
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::TryPut),
        4 => Just(Op::Put),
        3 => Just(Op::TryGet),
        4 => Just(Op::Get),
        2 => any::<usize>().prop_map(Op::DropWaiter),
        1 => Just(Op::Close),
    ]
}

/// What a waiting call must have returned.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Put(Result<(), u32>),
    Got(Result<u32, ()>),
}

/// The specification: a FIFO with a capacity, FIFO lines of waiting getters
/// and putters, and a close.
#[derive(Default)]
struct Model {
    capacity: usize,
    items: VecDeque<u32>,
    getters: VecDeque<usize>,
    putters: VecDeque<(usize, u32)>,
    closed: bool,
    /// Outcomes decided since the last check, by waiter key.
    decided: HashMap<usize, Outcome>,
}

impl Model {
    fn serve(&mut self) {
        loop {
            while self.items.len() < self.capacity {
                let Some((key, item)) = self.putters.pop_front() else {
                    break;
                };
                self.items.push_back(item);
                self.decided.insert(key, Outcome::Put(Ok(())));
            }
            let mut moved = false;
            while !self.items.is_empty() {
                let Some(key) = self.getters.pop_front() else {
                    break;
                };
                let item = self.items.pop_front().expect("not empty");
                self.decided.insert(key, Outcome::Got(Ok(item)));
                moved = true;
            }
            if !moved || self.putters.is_empty() {
                break;
            }
        }
        if self.closed && self.items.is_empty() {
            for key in self.getters.drain(..) {
                self.decided.insert(key, Outcome::Got(Err(())));
            }
        }
    }
}

type PutFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError<u32, QueueError>>> + 'a>>;
type GetFuture<'a> = Pin<Box<dyn Future<Output = Result<u32, QueueError>> + 'a>>;

enum Waiting<'a> {
    Put(PutFuture<'a>),
    Get(GetFuture<'a>),
}

async fn check_queue(capacity: Option<usize>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let queue = match capacity {
        Some(c) => Queue::bounded(c),
        None => Queue::unbounded(),
    };
    let mut model = Model {
        capacity: capacity.unwrap_or(usize::MAX),
        ..Model::default()
    };
    let mut waiting: Vec<(usize, Waiting<'_>)> = Vec::new();
    let mut next_item = 0u32;
    // The item of each waiting put, by waiter key.
    let mut put_items: HashMap<usize, u32> = HashMap::new();
    let mut admitted = Vec::new();
    let mut received = Vec::new();

    for (key, op) in ops.into_iter().enumerate() {
        match op {
            Op::TryPut => {
                next_item += 1;
                let expected = if model.closed {
                    Err(QueueError::Closed { queue: queue.id() })
                } else if !model.putters.is_empty() || model.items.len() >= model.capacity {
                    Err(QueueError::Full {
                        queue: queue.id(),
                        capacity: model.capacity,
                    })
                } else {
                    model.items.push_back(next_item);
                    model.serve();
                    Ok(())
                };
                let got = queue.try_put(next_item).await;
                match (&got, &expected) {
                    (Ok(()), Ok(())) => admitted.push(next_item),
                    (Err(refused), Err(error)) => {
                        prop_assert_eq!(&refused.error, error);
                        prop_assert_eq!(refused.message, next_item);
                    }
                    _ => prop_assert!(false, "try_put: got {:?}, expected {:?}", got, expected),
                }
            }
            Op::Put => {
                next_item += 1;
                if model.closed {
                    model.decided.insert(key, Outcome::Put(Err(next_item)));
                } else {
                    model.putters.push_back((key, next_item));
                    model.serve();
                }
                put_items.insert(key, next_item);
                let mut put: PutFuture<'_> = Box::pin(queue.put(next_item));
                // The first poll sends the request; the queue has not seen
                // it yet, so the call cannot have finished.
                prop_assert!(poll_once(put.as_mut()).await.is_pending());
                waiting.push((key, Waiting::Put(put)));
            }
            Op::TryGet => {
                let expected = match model.items.pop_front() {
                    Some(item) => {
                        model.serve();
                        Ok(item)
                    }
                    None if model.closed => Err(QueueError::Closed { queue: queue.id() }),
                    None => Err(QueueError::Empty { queue: queue.id() }),
                };
                let got = queue.try_get().await;
                prop_assert_eq!(&got, &expected);
                if let Ok(item) = got {
                    received.push(item);
                }
            }
            Op::Get => {
                model.getters.push_back(key);
                model.serve();
                let mut get: GetFuture<'_> = Box::pin(queue.get());
                prop_assert!(poll_once(get.as_mut()).await.is_pending());
                waiting.push((key, Waiting::Get(get)));
            }
            Op::DropWaiter(n) => {
                if !waiting.is_empty() {
                    let (gone, _) = waiting.remove(n % waiting.len());
                    model.getters.retain(|k| *k != gone);
                    model.putters.retain(|(k, _)| *k != gone);
                    // Every step ends with no outcome pending, so the
                    // dropped call was still waiting: its item (if a put)
                    // is withdrawn, and nothing else changes.
                    prop_assert!(!model.decided.contains_key(&gone));
                    model.serve();
                }
            }
            Op::Close => {
                model.closed = true;
                for (key, item) in model.putters.drain(..) {
                    model.decided.insert(key, Outcome::Put(Err(item)));
                }
                model.serve();
                queue.close().await;
            }
        }

        // Let the queue handle everything sent so far, then compare.
        let status = queue.status().await.expect("alive");
        prop_assert_eq!(status.len, model.items.len());
        prop_assert_eq!(status.waiting_getters, model.getters.len());
        prop_assert_eq!(status.waiting_putters, model.putters.len());
        prop_assert_eq!(status.closed, model.closed);
        let mut still = Vec::new();
        for (key, mut call) in waiting.drain(..) {
            let outcome = match &mut call {
                Waiting::Put(put) => match poll_once(put.as_mut()).await {
                    Poll::Ready(Ok(())) => Some(Outcome::Put(Ok(()))),
                    Poll::Ready(Err(refused)) => {
                        prop_assert_eq!(refused.error, QueueError::Closed { queue: queue.id() });
                        Some(Outcome::Put(Err(refused.message)))
                    }
                    Poll::Pending => None,
                },
                Waiting::Get(get) => match poll_once(get.as_mut()).await {
                    Poll::Ready(Ok(item)) => Some(Outcome::Got(Ok(item))),
                    Poll::Ready(Err(error)) => {
                        prop_assert_eq!(error, QueueError::Closed { queue: queue.id() });
                        Some(Outcome::Got(Err(())))
                    }
                    Poll::Pending => None,
                },
            };
            let expected = model.decided.remove(&key);
            prop_assert_eq!(&outcome, &expected, "waiter {}", key);
            match outcome {
                Some(Outcome::Got(Ok(item))) => received.push(item),
                Some(Outcome::Put(Ok(()))) => admitted.extend(put_items.get(&key)),
                Some(_) => {}
                None => still.push((key, call)),
            }
        }
        waiting = still;
        prop_assert!(
            model.decided.is_empty(),
            "decided but not seen: {:?}",
            model.decided
        );
    }

    // Close and drain: everything admitted comes out exactly once.
    drop(waiting);
    queue.close().await;
    while let Ok(item) = queue.try_get().await {
        received.push(item);
    }
    admitted.sort_unstable();
    received.sort_unstable();
    prop_assert_eq!(
        received,
        admitted,
        "every item admitted is taken exactly once"
    );
    Ok(())
}

// -------------------------------------------------------------- WorkQueue

#[derive(Clone, Debug)]
enum WorkOp {
    Put,
    TryGet,
    /// Acknowledge the n-th held lease with `done`.
    Ack(usize),
    /// Acknowledge the n-th held lease by id, then try `done` on it too.
    AckById(usize),
    /// Drop the n-th held lease: its consumer failed.
    Fail(usize),
    Close,
}

fn work_op() -> impl Strategy<Value = WorkOp> {
    prop_oneof![
        4 => Just(WorkOp::Put),
        4 => Just(WorkOp::TryGet),
        3 => any::<usize>().prop_map(WorkOp::Ack),
        1 => any::<usize>().prop_map(WorkOp::AckById),
        3 => any::<usize>().prop_map(WorkOp::Fail),
        1 => Just(WorkOp::Close),
    ]
}

async fn check_work_queue(ops: Vec<WorkOp>) -> Result<(), TestCaseError> {
    let queue = WorkQueue::unbounded();
    // The model: items in order, how often each was delivered, what was
    // acknowledged.
    let mut items: VecDeque<u32> = VecDeque::new();
    let mut deliveries: HashMap<u32, u32> = HashMap::new();
    let mut acknowledged: Vec<u32> = Vec::new();
    let mut put: Vec<u32> = Vec::new();
    let mut closed = false;
    let mut held: Vec<WorkItem<u32>> = Vec::new();
    let mut next_item = 0;

    async fn ack(
        queue: &WorkQueue<u32>,
        lease: WorkItem<u32>,
        by_id: bool,
    ) -> Result<u32, TestCaseError> {
        let value = *lease;
        if by_id {
            let id = lease.id();
            prop_assert_eq!(queue.task_done(id).await, Ok(()));
            prop_assert_eq!(
                lease.done().await,
                Err(QueueError::NotTaken {
                    queue: queue.id(),
                    item: id
                })
            );
            prop_assert!(queue.task_done(id).await.is_err(), "acknowledged twice");
        } else {
            prop_assert_eq!(lease.done().await, Ok(()));
        }
        Ok(value)
    }

    for op in ops {
        match op {
            WorkOp::Put => {
                next_item += 1;
                let result = queue.put(next_item).await;
                if closed {
                    prop_assert_eq!(result.map_err(|e| e.message), Err(next_item));
                } else {
                    prop_assert!(result.is_ok());
                    items.push_back(next_item);
                    put.push(next_item);
                }
            }
            WorkOp::TryGet => {
                let got = queue.try_get().await;
                match items.pop_front() {
                    Some(expected) => {
                        let lease = got.map_err(|e| TestCaseError::fail(e.to_string()))?;
                        let delivered = deliveries.entry(expected).or_insert(0);
                        *delivered += 1;
                        prop_assert_eq!((*lease, lease.deliveries()), (expected, *delivered));
                        held.push(lease);
                    }
                    None if closed && held.is_empty() => {
                        prop_assert_eq!(got.err(), Some(QueueError::Closed { queue: queue.id() }));
                    }
                    None => {
                        prop_assert_eq!(got.err(), Some(QueueError::Empty { queue: queue.id() }));
                    }
                }
            }
            WorkOp::Ack(n) | WorkOp::AckById(n) if !held.is_empty() => {
                let by_id = matches!(op, WorkOp::AckById(_));
                let lease = held.remove(n % held.len());
                let value = ack(&queue, lease, by_id).await?;
                prop_assert!(
                    !acknowledged.contains(&value),
                    "{} acknowledged twice",
                    value
                );
                acknowledged.push(value);
            }
            WorkOp::Fail(n) if !held.is_empty() => {
                let lease = held.remove(n % held.len());
                items.push_front(*lease);
                drop(lease);
            }
            WorkOp::Ack(_) | WorkOp::AckById(_) | WorkOp::Fail(_) => {}
            WorkOp::Close => {
                closed = true;
                queue.close().await;
            }
        }
        let status = queue.status().await.expect("alive");
        prop_assert_eq!((status.len, status.held), (items.len(), held.len()));
    }

    // Finish the work: acknowledge what is held and what is left. Nothing
    // may be missing, and `join` must then resolve at once.
    for lease in held.drain(..) {
        acknowledged.push(ack(&queue, lease, false).await?);
    }
    while let Ok(lease) = queue.try_get().await {
        prop_assert!(lease.deliveries() >= 1);
        acknowledged.push(ack(&queue, lease, false).await?);
    }
    let mut join = Box::pin(queue.join());
    prop_assert!(
        poll_once(join.as_mut()).await.is_pending(),
        "answered before the queue saw it"
    );
    queue.status().await.expect("alive");
    prop_assert_eq!(poll_once(join.as_mut()).await, Poll::Ready(Ok(())));
    acknowledged.sort_unstable();
    prop_assert_eq!(
        acknowledged,
        put,
        "every item put acknowledged exactly once"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_interleaving_keeps_every_queue_item_exactly_once(
        capacity in prop::option::of(1usize..4),
        ops in prop::collection::vec(op(), 1..60),
    ) {
        runtime().block_on(check_queue(capacity, ops))?;
    }

    #[test]
    fn any_interleaving_acknowledges_every_work_item_exactly_once(
        ops in prop::collection::vec(work_op(), 1..60),
    ) {
        runtime().block_on(check_work_queue(ops))?;
    }
}
