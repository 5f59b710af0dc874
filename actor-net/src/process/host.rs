//! The child's side: a process that hosts one actor for its parent.
//!
//! [`init`] is the first call of the application's `main`. In a process
//! its parent started to host an actor (the environment marker is set), it
//! reads the hand-over from stdin, ties its life to the parent's, maps the
//! progress record, connects back, starts the actor from its arguments and
//! feeds it: batches fetched from the parent, delivered in order as fed
//! envelopes (whose handlers store their numbers in the progress record),
//! answers reported back as they come. When the feed ends it stops the
//! actor; when the actor ends it reports why and the process exits. In any
//! other process `init` returns at once.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use actor_core::remote::accepts::Accepts;
use actor_core::remote::proxy::{deliver_batch, Batch, Sealed};
use actor_core::remote::{record_progress_in, RemoteActor};
use actor_core::{spawn, ActorRef, StopReason};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::feed::{Fetch, FetchSession, Item, Report, ReportSession, BATCH};
use super::{orphan, progress, MARKER};
use crate::proto::handover::Handover;
use crate::proto::wire::WireReason;
use crate::{ClusterKey, NodeConfig};

/// An actor type a child process can host: how it starts from its
/// arguments, which travel from the parent in postcard.
pub trait Hosted: RemoteActor {
    /// What the parent gives to start one.
    type Args: Serialize + DeserializeOwned + Send + 'static;

    /// The actor, from its arguments (in the child).
    fn start(args: Self::Args) -> Self;
}

/// The exit statuses of a host, besides 0 (the actor stopped normally).
mod status {
    /// The hosted actor failed (its reason was reported to the parent).
    pub(super) const ACTOR_FAILED: i32 = 70;
    /// The hand-over was refused, or the parent could not be reached.
    pub(super) const NO_PARENT: i32 = 71;
}

type Run = fn(Handover) -> Pin<Box<dyn Future<Output = i32> + Send>>;

/// The actor types this program can host, by wire name.
#[derive(Default)]
pub struct Hosts {
    by_name: HashMap<String, Run>,
}

impl std::fmt::Debug for Hosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.by_name.keys().collect();
        names.sort();
        f.debug_struct("Hosts").field("types", &names).finish()
    }
}

impl Hosts {
    /// Lets a child of this program host actors of type `A`.
    pub fn host<A: Hosted>(&mut self) -> &mut Self {
        self.by_name
            .insert(A::wire_name().into_owned(), |handover| {
                Box::pin(run::<A>(handover))
            });
        self
    }
}

/// Makes this process the host of an actor if its parent started it to be
/// one, with the types `register` lists; otherwise returns at once. Call it
/// first in `main`: in a host it never returns (the process exits when the
/// actor ends).
pub fn init(register: impl FnOnce(&mut Hosts)) {
    if std::env::var_os(MARKER).is_none() {
        return;
    }
    let mut hosts = Hosts::default();
    register(&mut hosts);
    std::process::exit(host(&hosts));
}

fn host(hosts: &Hosts) -> i32 {
    let handover = match Handover::read(std::io::stdin().lock()) {
        Ok(handover) => handover,
        Err(e) => {
            eprintln!("actor process host: {e}");
            return status::NO_PARENT;
        }
    };
    if let Err(e) = orphan::die_with_parent(handover.parent_pid) {
        eprintln!("actor process host: {e}");
        return status::NO_PARENT;
    }
    let Some(run) = hosts.by_name.get(&handover.actor) else {
        eprintln!(
            "actor process host: this program does not host {:?}; list it in process::init",
            handover.actor
        );
        return status::NO_PARENT;
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("actor process host: no runtime: {e}");
            return status::NO_PARENT;
        }
    };
    runtime.block_on(run(handover))
}

/// Hosts an `A` until it ends; returns the exit status.
async fn run<A: Hosted>(handover: Handover) -> i32 {
    match serve::<A>(handover).await {
        Ok(status) => status,
        Err(e) => {
            eprintln!("actor process host: {e}");
            status::NO_PARENT
        }
    }
}

async fn serve<A: Hosted>(handover: Handover) -> Result<i32, String> {
    let record = progress::ProgressRecord::open(&handover.progress).map_err(|e| e.to_string())?;
    let (started, finished) = record.leak();
    if !record_progress_in(started, finished) {
        return Err("a progress record was set already in this process".into());
    }
    let args: A::Args = postcard::from_bytes(&handover.args)
        .map_err(|e| format!("the actor's arguments do not decode: {e}"))?;
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let node = NodeConfig::new(ClusterKey::new(&handover.key))
        .start(loopback)
        .await
        .map_err(|e| e.to_string())?;
    let fetches = node
        .lookup::<FetchSession>(handover.parent, "fetch")
        .await
        .map_err(|e| e.to_string())?;
    let reports = node
        .lookup::<ReportSession>(handover.parent, "report")
        .await
        .map_err(|e| e.to_string())?;
    let actor = spawn(A::start(args));
    let fed = feed(&actor, &fetches, &reports);
    let reason = tokio::select! {
        reason = actor.join() => reason,
        () = fed => actor.join().await,
    };
    let ended = Report {
        answers: Vec::new(),
        ended: Some(WireReason::from(&reason)),
    };
    let _ = reports.ask(ended).await;
    node.shutdown().await;
    Ok(if reason.is_failure() {
        status::ACTOR_FAILED
    } else {
        0
    })
}

/// Feeds the actor until the parent's feed ends (then stops it) or the
/// parent is gone (then kills it). The next batch is fetched while the
/// last one is being delivered, so that the round trip to the parent
/// overlaps the actor's work.
async fn feed<A: Hosted>(
    actor: &ActorRef<A>,
    fetches: &ActorRef<FetchSession>,
    reports: &ActorRef<ReportSession>,
) {
    let accepts = Accepts::<A>::of();
    let fetch = |after| fetches.ask(Fetch { after, max: BATCH });
    let Ok(mut fetched) = fetch(0).await else {
        actor.kill();
        return;
    };
    let mut after = 0;
    loop {
        let mut batch = Batch::default();
        for item in fetched.items {
            after = item.number;
            if let Some(sealed) = open(&accepts, item, reports) {
                batch.push(sealed);
            }
        }
        if fetched.ended {
            if deliver_batch(actor, &mut batch).await.is_ok() {
                actor.stop();
            }
            return;
        }
        let (delivered, next) = tokio::join!(deliver_batch(actor, &mut batch), fetch(after));
        if delivered.is_err() {
            return;
        }
        match next {
            Ok(next) => fetched = next,
            Err(_) => {
                actor.kill();
                return;
            }
        }
    }
}

/// Decodes a fed message for the actor; for an ask, its answer is
/// reported to the parent when it comes. `None` (reported as a failure
/// of its ask) if this build does not know the message or it does not
/// decode.
fn open<A: Hosted>(
    accepts: &Accepts<A>,
    item: Item,
    reports: &ActorRef<ReportSession>,
) -> Option<Sealed<A>> {
    let Some(decode) = accepts.inbound(&item.name) else {
        report_one(reports, item.number, unknown(&item.name));
        return None;
    };
    match decode(&item.payload, item.ask, Some(item.number)) {
        Ok(decoded) => {
            if let Some(answer) = decoded.answer {
                let reports = reports.clone();
                let number = item.number;
                tokio::spawn(async move {
                    let answer = answer.await.map_err(|e| WireReason::from(&e));
                    let _ = reports
                        .tell(Report {
                            answers: vec![(number, answer)],
                            ended: None,
                        })
                        .await;
                });
            }
            Some(decoded.sealed)
        }
        Err(e) => {
            let reason = StopReason::failed(format_args!("{} does not decode: {e}", item.name));
            report_one(reports, item.number, reason);
            None
        }
    }
}

fn unknown(name: &str) -> StopReason {
    StopReason::failed(format_args!(
        "the child process does not accept {name}: is it the same build as its parent?"
    ))
}

fn report_one(reports: &ActorRef<ReportSession>, number: u64, reason: StopReason) {
    let _ = reports.try_tell(Report {
        answers: vec![(number, Err(WireReason::from(&reason)))],
        ended: None,
    });
}
