//! The registry: actors registered under a name are found again with their
//! type; a lookup with the wrong type is [`Error::WrongType`] (not a panic); a
//! taken name is [`Error::NameTaken`]; an unknown one [`Error::NotRegistered`].
//! The registry keeps its actor alive, and the entry is gone by the time
//! `join` returns after the actor stopped, was killed or failed.
//!
//! Names are process-wide and tests run in parallel, so every test uses names
//! of its own.

use actor_core::prelude::*;
// `unregister` is not in the prelude (unlike `register` and `lookup`).
use actor_core::unregister;
use actor_test_support::{quiet_deliberate_panics, DELIBERATE};

/// A registered service that answers with its tag.
struct Service {
    tag: &'static str,
}

impl Actor for Service {}

/// Replies with the service's tag.
struct Tag;
impl Message for Tag {
    type Reply = &'static str;
}
impl Handler<Tag> for Service {
    async fn handle(&mut self, _: Tag, _ctx: &mut Context<Self>) -> &'static str {
        self.tag
    }
}

/// Panics (deliberately).
struct Crash;
impl Message for Crash {
    type Reply = ();
}
impl Handler<Crash> for Service {
    async fn handle(&mut self, _: Crash, _ctx: &mut Context<Self>) {
        panic!("{DELIBERATE}: crash");
    }
}

/// Another actor type, to look a name up with the wrong type.
struct Other;
impl Actor for Other {}

#[tokio::test]
async fn a_registered_actor_is_found_by_name_with_its_type() {
    let service = spawn(Service { tag: "found" });
    register("registry/found", &service).unwrap();

    let found: ActorRef<Service> = lookup("registry/found").unwrap();
    assert_eq!(found, service);
    assert_eq!(found.id(), service.id());
    assert_eq!(found.ask(Tag).await, Ok("found"));
}

#[tokio::test]
async fn looking_up_with_the_wrong_type_is_an_error_not_a_panic() {
    let service = spawn(Service { tag: "typed" });
    register("registry/typed", &service).unwrap();

    let wrong = lookup::<Other>("registry/typed").expect_err("the actor is a Service");
    match wrong {
        Error::WrongType {
            name,
            expected,
            found,
        } => {
            assert_eq!(name, "registry/typed");
            assert_eq!(expected, std::any::type_name::<Other>());
            assert_eq!(found, std::any::type_name::<Service>());
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
    // The entry is untouched by the failed lookup.
    assert_eq!(lookup::<Service>("registry/typed").unwrap(), service);
}

#[tokio::test]
async fn a_name_held_by_a_running_actor_is_taken() {
    let first = spawn(Service { tag: "first" });
    let second = spawn(Service { tag: "second" });
    register("registry/taken", &first).unwrap();

    assert_eq!(
        register("registry/taken", &second),
        Err(Error::NameTaken {
            name: "registry/taken".into(),
            holder: first.id()
        })
    );
    // Registering the same actor again under the same name is no different.
    assert!(matches!(
        register("registry/taken", &first),
        Err(Error::NameTaken { .. })
    ));
    let holder: ActorRef<Service> = lookup("registry/taken").unwrap();
    assert_eq!(holder.ask(Tag).await, Ok("first"));
}

#[tokio::test]
async fn an_unknown_name_is_not_registered() {
    assert_eq!(
        lookup::<Service>("registry/nobody").map(|r| r.id()),
        Err(Error::NotRegistered {
            name: "registry/nobody".into()
        })
    );
    assert!(!unregister("registry/nobody"));
}

#[tokio::test]
async fn unregister_frees_the_name() {
    let first = spawn(Service { tag: "first" });
    let second = spawn(Service { tag: "second" });
    register("registry/freed", &first).unwrap();
    assert!(unregister("registry/freed"));
    assert!(!unregister("registry/freed"));
    assert!(matches!(
        lookup::<Service>("registry/freed"),
        Err(Error::NotRegistered { .. })
    ));
    register("registry/freed", &second).unwrap();
    assert_eq!(
        lookup::<Service>("registry/freed").unwrap().ask(Tag).await,
        Ok("second")
    );
    assert!(first.is_alive(), "unregistering does not stop the actor");
}

#[tokio::test]
async fn one_actor_can_hold_several_names() {
    let service = spawn(Service { tag: "many" });
    register("registry/many-a", &service).unwrap();
    register("registry/many-b", &service).unwrap();
    assert_eq!(lookup::<Service>("registry/many-a").unwrap(), service);
    assert_eq!(lookup::<Service>("registry/many-b").unwrap(), service);

    service.stop();
    service.join().await;
    for name in ["registry/many-a", "registry/many-b"] {
        assert!(
            matches!(lookup::<Service>(name), Err(Error::NotRegistered { .. })),
            "{name} outlived its actor"
        );
    }
}

#[tokio::test]
async fn the_entry_is_gone_once_join_returns_after_a_stop() {
    let service = spawn(Service { tag: "stops" });
    register("registry/stops", &service).unwrap();
    service.stop();
    assert_eq!(service.join().await, StopReason::Normal);
    assert_eq!(
        lookup::<Service>("registry/stops").map(|r| r.id()),
        Err(Error::NotRegistered {
            name: "registry/stops".into()
        })
    );
    // The name can be used again.
    let next = spawn(Service { tag: "next" });
    register("registry/stops", &next).unwrap();
    assert_eq!(lookup::<Service>("registry/stops").unwrap(), next);
}

#[tokio::test]
async fn the_entry_is_gone_once_join_returns_after_a_kill() {
    let service = spawn(Service { tag: "killed" });
    register("registry/killed", &service).unwrap();
    service.kill();
    assert_eq!(service.join().await, StopReason::Killed);
    assert!(matches!(
        lookup::<Service>("registry/killed"),
        Err(Error::NotRegistered { .. })
    ));
}

#[tokio::test]
async fn the_entry_is_gone_once_join_returns_after_a_failure() {
    quiet_deliberate_panics();
    let service = spawn(Service { tag: "fails" });
    register("registry/fails", &service).unwrap();
    service.tell(Crash).await.unwrap();
    assert!(service.join().await.is_failure());
    assert!(matches!(
        lookup::<Service>("registry/fails"),
        Err(Error::NotRegistered { .. })
    ));
}

#[tokio::test]
async fn the_registry_keeps_its_actor_alive() {
    let service = spawn(Service { tag: "kept" });
    let weak = service.downgrade();
    register("registry/kept", &service).unwrap();
    drop(service);

    // With the caller's reference gone, the registry's entry still holds it.
    let found: ActorRef<Service> = lookup("registry/kept").unwrap();
    assert_eq!(found.ask(Tag).await, Ok("kept"));
    assert!(weak.upgrade().is_some());
    drop(found);

    // Unregistering drops the last strong reference: the actor stops.
    assert!(unregister("registry/kept"));
    assert!(weak.upgrade().is_none());
}

#[tokio::test]
async fn a_stopped_actor_cannot_be_registered() {
    let service = spawn(Service { tag: "late" });
    service.stop();
    service.join().await;
    assert_eq!(
        register("registry/late", &service),
        Err(Error::Stopped {
            actor: service.id()
        })
    );
    assert!(matches!(
        lookup::<Service>("registry/late"),
        Err(Error::NotRegistered { .. })
    ));
}
