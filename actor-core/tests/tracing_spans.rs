//! Tracing: each actor runs in an `actor` span and each message in a
//! `message` span inside it, when a subscriber wants them. Without one, the
//! runtime creates neither (checked by the task-size unit test: no span is
//! carried).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actor_core::{spawn, Actor, Context, Handler, Message};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records the name of every span created and of the span entered when each
/// event was emitted.
#[derive(Default)]
struct Recorder {
    next: AtomicU64,
    spans: Mutex<Vec<(u64, String, String)>>,
    current: Mutex<Vec<u64>>,
    events: Mutex<Vec<Vec<String>>>,
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = Fields(String::new());
        span.record(&mut fields);
        self.spans
            .lock()
            .unwrap()
            .push((id, span.metadata().name().to_owned(), fields.0));
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {
        let spans = self.spans.lock().unwrap();
        let names = self
            .current
            .lock()
            .unwrap()
            .iter()
            .map(|id| {
                let (_, name, fields) = spans.iter().find(|(i, _, _)| i == id).unwrap();
                format!("{name} {fields}")
            })
            .collect();
        self.events.lock().unwrap().push(names);
    }
    fn enter(&self, id: &Id) {
        self.current.lock().unwrap().push(id.into_u64());
    }
    fn exit(&self, id: &Id) {
        let mut current = self.current.lock().unwrap();
        if let Some(i) = current.iter().rposition(|c| *c == id.into_u64()) {
            current.remove(i);
        }
    }
}

struct Echo;
impl Actor for Echo {}

struct Say(&'static str);
impl Message for Say {
    type Reply = &'static str;
}

impl Handler<Say> for Echo {
    async fn handle(&mut self, Say(text): Say, _ctx: &mut Context<Self>) -> &'static str {
        tracing::info!(text, "handling");
        text
    }
}

#[test]
fn actors_and_messages_run_in_their_spans() {
    let recorder = Arc::new(Recorder::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            let echo = spawn(Echo);
            assert_eq!(echo.ask(Say("hi")).await, Ok("hi"));
            echo.stop();
            echo.join().await;
        })
    });
    let events = recorder.events.lock().unwrap();
    let handling = events
        .iter()
        .find(|stack| stack.iter().any(|s| s.starts_with("message")))
        .expect("the handler's event was emitted inside a message span");
    assert!(handling[0].starts_with("actor actor=Echo#"), "{handling:?}");
    assert!(
        handling[1].contains("message=\"tracing_spans::Say\""),
        "{handling:?}"
    );
}
