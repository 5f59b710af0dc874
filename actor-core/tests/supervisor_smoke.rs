//! A first end-to-end check of supervision: restarts keep references and
//! queued messages, one-for-all restarts siblings, intensity escalates.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actor_core::*;

struct Worker {
    starts: Arc<AtomicU32>,
    seen: Vec<u32>,
}

impl Actor for Worker {
    async fn started(&mut self, _ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.starts.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

struct Job(u32);
impl Message for Job {
    type Reply = Vec<u32>;
}

impl Handler<Job> for Worker {
    async fn handle(&mut self, Job(n): Job, _ctx: &mut Context<Self>) -> Vec<u32> {
        if n == 0 {
            panic!("job zero");
        }
        self.seen.push(n);
        self.seen.clone()
    }
}

fn worker(starts: &Arc<AtomicU32>) -> impl Fn() -> Worker + Send + Sync + 'static {
    let starts = starts.clone();
    move || Worker {
        starts: starts.clone(),
        seen: Vec::new(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_restarted_child_keeps_its_reference_and_queued_messages() {
    let starts = Arc::new(AtomicU32::new(0));
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(5, Duration::from_secs(5))
            .child(ChildSpec::new("w", worker(&starts))),
    );
    let w = sup.child::<Worker>("w").await.unwrap();
    assert_eq!(w.ask(Job(1)).await, Ok(vec![1]));
    // The fatal job and two more are queued together.
    let fatal = tokio::spawn({
        let w = w.clone();
        async move { w.ask(Job(0)).await }
    });
    tokio::task::yield_now().await;
    let after = tokio::spawn({
        let w = w.clone();
        async move { (w.ask(Job(2)).await, w.ask(Job(3)).await) }
    });
    match fatal.await.unwrap() {
        Err(Error::Failed { reason, .. }) => assert!(reason.to_string().contains("job zero")),
        other => panic!("expected Failed, got {other:?}"),
    }
    let (two, three) = after.await.unwrap();
    assert_eq!(two, Ok(vec![2]), "the new instance starts empty");
    assert_eq!(three, Ok(vec![2, 3]));
    assert_eq!(starts.load(Ordering::SeqCst), 2);
    assert_eq!(w.restart_count(), 1);
    sup.stop();
    assert_eq!(sup.join().await, StopReason::Normal);
    assert!(!w.is_alive());
}

#[tokio::test(start_paused = true)]
async fn one_for_all_restarts_every_child_and_intensity_escalates() {
    let (a, b) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let sup = spawn(
        Supervisor::new(Strategy::OneForAll)
            .intensity(1, Duration::from_secs(10))
            .child(ChildSpec::new("a", worker(&a)))
            .child(ChildSpec::new("b", worker(&b))),
    );
    let wa = sup.child::<Worker>("a").await.unwrap();
    let wb = sup.child::<Worker>("b").await.unwrap();
    assert!(wa.ask(Job(0)).await.is_err());
    // b was restarted with a: its state is fresh.
    assert_eq!(wb.ask(Job(7)).await, Ok(vec![7]));
    assert_eq!((a.load(Ordering::SeqCst), b.load(Ordering::SeqCst)), (2, 2));
    // A second failure within the period exceeds the intensity.
    assert!(wb.ask(Job(0)).await.is_err());
    let reason = sup.join().await;
    assert!(
        reason.to_string().contains("restart intensity exceeded"),
        "{reason}"
    );
    assert!(!wa.is_alive() && !wb.is_alive());
}
