//! Gates: a handler awaits [`Gate::pass`] to say that it is running and then
//! waits there until the test opens the gate with its [`GateKey`]. While the
//! actor is held, the test can fill its mailbox, stop it or kill it, knowing
//! exactly what is in progress and what is queued.

use tokio::sync::oneshot;

/// The actor's side of a gate: a handler awaits [`Gate::pass`] to announce
/// that it is running and then wait until the test opens the gate.
#[derive(Debug)]
pub struct Gate {
    entered: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// The test's side of a gate.
#[derive(Debug)]
pub struct GateKey {
    entered: oneshot::Receiver<()>,
    release: oneshot::Sender<()>,
}

/// A closed gate and its key.
pub fn gate() -> (Gate, GateKey) {
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel();
    (
        Gate {
            entered: entered_tx,
            release: release_rx,
        },
        GateKey {
            entered: entered_rx,
            release: release_tx,
        },
    )
}

impl Gate {
    /// Announces that the handler is inside, then waits until the key opens
    /// the gate (or is dropped).
    pub async fn pass(self) {
        let _ = self.entered.send(());
        let _ = self.release.await;
    }
}

impl GateKey {
    /// Waits until a handler is held at the gate.
    ///
    /// # Panics
    /// If the gate was dropped without being reached (the handler never ran).
    pub async fn entered(&mut self) {
        (&mut self.entered)
            .await
            .expect("the gate was dropped before a handler reached it");
    }

    /// Lets the held handler continue.
    pub fn open(self) {
        let _ = self.release.send(());
    }
}
