//! What a user sees when something fails, without debug spans: a failure
//! and a supervisor giving up are logged at `error` with the actor's type,
//! id and reason in the message itself; a refused message says that the
//! actor will accept messages again only when a supervisor will restart it.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::*;
use actor_test_support::*;
use common::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Keeps the message of every `error` event; enables nothing else, spans
/// included, as a production subscriber at `error` would.
#[derive(Default, Clone)]
struct Errors(Arc<Mutex<Vec<String>>>);

struct MessageOnly(String);

impl Visit for MessageOnly {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Errors {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() == Level::ERROR && metadata.is_event()
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut message = MessageOnly(String::new());
        event.record(&mut message);
        self.0.lock().unwrap().push(message.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

impl Errors {
    fn any(&self, all: &[&str]) -> bool {
        let logged = self.0.lock().unwrap();
        logged
            .iter()
            .any(|m| all.iter().all(|part| m.contains(part)))
    }
    fn logged(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_failure_is_logged_with_the_actors_type_id_and_reason() {
    quiet_deliberate_panics();
    let errors = Errors::default();
    let _guard = tracing::subscriber::set_default(errors.clone());
    let rec = Recorder::new();
    let probe = spawn(Kit::new("p", &rec).build());
    let _ = probe.ask(Crash("the probe breaks")).await;
    let reason = soon(probe.join()).await;
    let id = probe.id().to_string();
    let parts = [
        id.as_str(),
        std::any::type_name::<Probe>(),
        "the probe breaks",
    ];
    assert!(
        errors.any(&parts),
        "{parts:?} in {:?} ({reason})",
        errors.logged()
    );
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_supervisor_that_gives_up_says_so_at_error() {
    quiet_deliberate_panics();
    let errors = Errors::default();
    let _guard = tracing::subscriber::set_default(errors.clone());
    let rec = Recorder::new();
    let sup = spawn(
        Supervisor::new(Strategy::OneForOne)
            .intensity(0, Duration::from_secs(5))
            .child(Kit::new("w", &rec).spec()),
    );
    let w = sup.child::<Probe>("w").await.unwrap();
    let _ = w.ask(Crash("the worker breaks")).await;
    assert_eq!(kind(&soon(sup.join()).await), "failed");
    let id = sup.id().to_string();
    let parts = [
        id.as_str(),
        "restart intensity exceeded",
        "\"w\"",
        "the worker breaks",
    ];
    assert!(errors.any(&parts), "{parts:?} in {:?}", errors.logged());
}

const RESTART_NOTE: &str = "(a supervised actor accepts them again once restarted)";

#[tokio::test(start_paused = true)]
async fn only_an_actor_that_will_be_restarted_says_it_will_accept_messages_again() {
    let rec = Recorder::new();
    // Unsupervised: it will never accept messages again.
    let alone = spawn(Kit::new("alone", &rec).build());
    alone.stop();
    soon(alone.join()).await;
    let refused = alone.tell(Ping(1)).await.unwrap_err().error;
    assert!(matches!(refused, Error::Stopped { .. }), "{refused:?}");
    assert!(!refused.to_string().contains(RESTART_NOTE), "{refused}");

    for restart in [Restart::Permanent, Restart::Transient, Restart::Temporary] {
        let kit = Kit::new("w", &rec);
        let sup = spawn(Supervisor::new(Strategy::OneForOne).child(kit.spec().restart(restart)));
        let w = sup.child::<Probe>("w").await.unwrap();
        // Stopped (not failed) while busy: its mailbox refuses messages
        // until its run ends and its supervisor decides.
        let busy = make_busy(&w, &rec, "w").await;
        w.stop();
        let refused = w.ask(Ping(1)).await.unwrap_err();
        let will_restart = restart == Restart::Permanent;
        assert_eq!(
            refused.to_string().contains(RESTART_NOTE),
            will_restart,
            "{restart:?}: {refused}"
        );
        assert_eq!(
            matches!(refused, Error::Restarting { .. }),
            will_restart,
            "{restart:?}: {refused:?}"
        );
        soon(busy).await.unwrap().unwrap();
        sup.stop();
        soon(sup.join()).await;
        // Ended for good with its supervisor.
        let refused = w.ask(Ping(2)).await.unwrap_err();
        assert!(!refused.to_string().contains(RESTART_NOTE), "{refused}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_killed_transient_child_will_be_restarted_and_says_so() {
    let rec = Recorder::new();
    let kit = Kit::new("w", &rec);
    let sup =
        spawn(Supervisor::new(Strategy::OneForOne).child(kit.spec().restart(Restart::Transient)));
    let w = sup.child::<Probe>("w").await.unwrap();
    w.kill();
    let refused = w.tell(Ping(1)).await.unwrap_err().error;
    assert!(matches!(refused, Error::Restarting { .. }), "{refused:?}");
    assert!(refused.to_string().contains(RESTART_NOTE), "{refused}");
    // And it was.
    rec.wait_for("started:w", 2).await;
    assert_eq!(w.ask(Ping(2)).await, Ok(vec![2]));
    sup.stop();
    soon(sup.join()).await;
}
