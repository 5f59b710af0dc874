//! Batch delivery: many messages into a mailbox under one lock.
//!
//! A network reader decodes many messages from one chunk of a stream.
//! Pushed one by one, each would take the mailbox's lock and might wake the
//! actor; pushed as a batch, they take the lock once per step and wake the
//! actor at most once. The rules are those of a single push: a batch waits
//! in the same line as other senders while the mailbox is full, its messages
//! go in in order, and a closed mailbox takes none of what is left.

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use super::{wake_all, Mailbox};

impl<T> Mailbox<T> {
    /// Queues messages from the front of `items`, in order, as many as
    /// there is room for, and leaves the rest in `items`; the caller is put
    /// in line (as with [`Mailbox::poll_push`]) until the rest fits too.
    /// Ready once `items` is empty; `Err` if the mailbox is closed, with
    /// what was not queued still in `items` for the caller to drop (outside
    /// the lock: dropping a message may run user code).
    ///
    /// `ticket` is the caller's place in line, as for `poll_push`.
    pub(crate) fn poll_push_batch(
        &self,
        cx: &mut Context<'_>,
        items: &mut VecDeque<T>,
        ticket: &mut Option<u64>,
    ) -> Poll<Result<(), ()>> {
        let mut state = self.lock();
        let place = state.place_in_line(*ticket);
        if state.closed || items.is_empty() {
            if let Some(p) = place {
                state.leave_line_at(p);
            }
            *ticket = None;
            return Poll::Ready(if state.closed { Err(()) } else { Ok(()) });
        }
        // Those ahead in line get one message's room each before this batch.
        let ahead = place.unwrap_or(state.line_len());
        let room = state.room();
        let mut receiver: Option<Waker> = None;
        if ahead < room {
            let fits = (room - ahead).min(items.len());
            for item in items.drain(..fits) {
                // Only the first push can find the actor parked.
                receiver = receiver.or(state.push(item));
            }
        }
        if items.is_empty() {
            if let Some(p) = place {
                state.leave_line_at(p);
            }
            *ticket = None;
            drop(state);
            wake_all(receiver);
            return Poll::Ready(Ok(()));
        }
        state.wait_in_line(place, cx, ticket);
        drop(state);
        wake_all(receiver);
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    use crate::runtime::mailbox::{Delivery, Mailbox};
    use crate::stop::StopReason;

    /// Counts its wake-ups.
    #[derive(Default)]
    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter::default());
        (counter.clone(), Waker::from(counter))
    }

    /// Everything the actor finds queued, in order, or `None` if it would park.
    fn take_all(mailbox: &Mailbox<u32>, waker: &Waker) -> Option<Vec<u32>> {
        let mut batch = VecDeque::new();
        match mailbox.poll_take(&mut Context::from_waker(waker), &mut batch) {
            Poll::Ready(Delivery::Next(first)) => {
                Some(std::iter::once(first).chain(batch).collect())
            }
            Poll::Ready(_) => panic!("the mailbox ended"),
            Poll::Pending => None,
        }
    }

    #[test]
    fn a_batch_that_fits_goes_in_at_once_in_order_with_one_wake_up() {
        let mailbox = Mailbox::<u32>::new(8);
        let (actor, actor_waker) = counting();
        assert_eq!(take_all(&mailbox, &actor_waker), None, "the actor parks");
        let (_, sender) = counting();
        let mut items: VecDeque<u32> = (0..5).collect();
        let mut ticket = None;
        let polled =
            mailbox.poll_push_batch(&mut Context::from_waker(&sender), &mut items, &mut ticket);
        assert!(matches!(polled, Poll::Ready(Ok(()))));
        assert!(items.is_empty() && ticket.is_none());
        assert_eq!(
            actor.0.load(Ordering::SeqCst),
            1,
            "woken once for the batch"
        );
        assert_eq!(take_all(&mailbox, &actor_waker), Some(vec![0, 1, 2, 3, 4]));
    }

    #[test]
    fn a_batch_respects_capacity_and_waits_in_line_for_the_rest() {
        let mailbox = Mailbox::<u32>::new(3);
        let (_, actor_waker) = counting();
        let (sender, sender_waker) = counting();
        let mut cx = Context::from_waker(&sender_waker);
        let mut items: VecDeque<u32> = (0..7).collect();
        let mut ticket = None;
        assert!(mailbox
            .poll_push_batch(&mut cx, &mut items, &mut ticket)
            .is_pending());
        assert_eq!(items, [3, 4, 5, 6], "only what fits went in");
        assert!(ticket.is_some(), "in line for the rest");
        // A later sender queues behind the batch: no room, and it is not first.
        let mut later = Some(100);
        let mut later_ticket = None;
        assert!(mailbox
            .poll_push(&mut cx, &mut later, &mut later_ticket)
            .is_pending());

        assert_eq!(take_all(&mailbox, &actor_waker), Some(vec![0, 1, 2]));
        assert!(
            sender.0.load(Ordering::SeqCst) >= 1,
            "the batch was woken for room"
        );
        assert!(mailbox
            .poll_push_batch(&mut cx, &mut items, &mut ticket)
            .is_pending());
        assert_eq!(items, [6], "first in line, the batch takes all the room");
        assert!(mailbox
            .poll_push(&mut cx, &mut later, &mut later_ticket)
            .is_pending());
        assert_eq!(take_all(&mailbox, &actor_waker), Some(vec![3, 4, 5]));
        assert!(matches!(
            mailbox.poll_push_batch(&mut cx, &mut items, &mut ticket),
            Poll::Ready(Ok(()))
        ));
        assert!(ticket.is_none());
        assert!(mailbox
            .poll_push(&mut cx, &mut later, &mut later_ticket)
            .is_ready());
        assert_eq!(take_all(&mailbox, &actor_waker), Some(vec![6, 100]));
    }

    #[test]
    fn a_batch_waits_behind_senders_already_in_line() {
        let mailbox = Mailbox::<u32>::new(2);
        let (_, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        for i in 0..2 {
            assert!(mailbox.try_push(i).is_ok());
        }
        let mut first = Some(10);
        let mut first_ticket = None;
        assert!(mailbox
            .poll_push(&mut cx, &mut first, &mut first_ticket)
            .is_pending());
        let mut items: VecDeque<u32> = (20..23).collect();
        let mut ticket = None;
        assert!(mailbox
            .poll_push_batch(&mut cx, &mut items, &mut ticket)
            .is_pending());
        assert_eq!(take_all(&mailbox, &waker), Some(vec![0, 1]));
        // The batch polls first, but leaves the first sender its slot.
        assert!(mailbox
            .poll_push_batch(&mut cx, &mut items, &mut ticket)
            .is_pending());
        assert!(mailbox
            .poll_push(&mut cx, &mut first, &mut first_ticket)
            .is_ready());
        assert_eq!(take_all(&mailbox, &waker), Some(vec![20, 10]));
        assert_eq!(items, [21, 22]);
    }

    #[test]
    fn a_closed_mailbox_takes_nothing_and_hands_the_batch_back() {
        let mailbox = Mailbox::<u32>::new(2);
        let (_, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        let mut items: VecDeque<u32> = (0..5).collect();
        let mut ticket = None;
        assert!(mailbox
            .poll_push_batch(&mut cx, &mut items, &mut ticket)
            .is_pending());
        assert_eq!(items, [2, 3, 4]);
        mailbox.close(StopReason::Normal);
        assert!(matches!(
            mailbox.poll_push_batch(&mut cx, &mut items, &mut ticket),
            Poll::Ready(Err(()))
        ));
        assert_eq!(items, [2, 3, 4], "what was not queued is handed back");
        assert!(ticket.is_none(), "out of line");
        let mut fresh: VecDeque<u32> = (7..9).collect();
        let mut fresh_ticket = None;
        assert!(matches!(
            mailbox.poll_push_batch(&mut cx, &mut fresh, &mut fresh_ticket),
            Poll::Ready(Err(()))
        ));
        assert_eq!(fresh, [7, 8]);
        // What was queued before the close is still the actor's to handle.
        assert_eq!(take_all(&mailbox, &waker), Some(vec![0, 1]));
    }

    #[test]
    fn an_unbounded_mailbox_takes_any_batch() {
        let mailbox = Mailbox::<u32>::new(usize::MAX);
        let (_, waker) = counting();
        let mut items: VecDeque<u32> = (0..1000).collect();
        let mut ticket = None;
        assert!(matches!(
            mailbox.poll_push_batch(&mut Context::from_waker(&waker), &mut items, &mut ticket),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(take_all(&mailbox, &waker), Some((0..1000).collect()));
    }
}
