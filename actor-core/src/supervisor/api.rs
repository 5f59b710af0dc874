//! A supervisor's face to its clients: the messages behind
//! [`ActorRef::start_child`], [`ActorRef::terminate_child`],
//! [`ActorRef::child`] and [`ActorRef::children`].

use std::any::Any;
use std::marker::PhantomData;

use super::{Child, ChildInfo, ChildSpec, Supervisor};
use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::context::Context;
use crate::error::Error;
use crate::id::ActorId;
use crate::message::{Handler, Message};
use crate::runtime::mailbox::Interrupt;

struct StartChild<A: Actor>(ChildSpec<A>);

impl<A: Actor> Message for StartChild<A> {
    type Reply = Result<ActorRef<A>, Error>;
}

impl<A: Actor> Handler<StartChild<A>> for Supervisor {
    async fn handle(
        &mut self,
        StartChild(spec): StartChild<A>,
        ctx: &mut Context<Self>,
    ) -> Result<ActorRef<A>, Error> {
        let i = self.start(spec.into(), ctx).await?;
        typed_ref(&self.children[i], ctx.id())
    }
}

struct GetChild<A>(String, PhantomData<fn() -> A>);

impl<A: Actor> Message for GetChild<A> {
    type Reply = Result<ActorRef<A>, Error>;
}

impl<A: Actor> Handler<GetChild<A>> for Supervisor {
    async fn handle(
        &mut self,
        GetChild(id, _): GetChild<A>,
        ctx: &mut Context<Self>,
    ) -> Result<ActorRef<A>, Error> {
        let i = self.position(&id).ok_or_else(|| Error::ChildNotFound {
            supervisor: ctx.id(),
            child: id.clone(),
        })?;
        typed_ref(&self.children[i], ctx.id())
    }
}

fn typed_ref<A: Actor>(child: &Child, supervisor: ActorId) -> Result<ActorRef<A>, Error> {
    let started = child.started.as_ref().ok_or_else(|| Error::ChildNotFound {
        supervisor,
        child: child.spec.id.clone(),
    })?;
    let any: &dyn Any = &*started.actor_ref;
    any.downcast_ref::<ActorRef<A>>()
        .cloned()
        .ok_or_else(|| Error::WrongType {
            name: child.spec.id.clone(),
            expected: std::any::type_name::<A>(),
            found: started.type_name,
        })
}

struct TerminateChild(String);

impl Message for TerminateChild {
    type Reply = Result<(), Error>;
}

impl Handler<TerminateChild> for Supervisor {
    async fn handle(
        &mut self,
        TerminateChild(id): TerminateChild,
        ctx: &mut Context<Self>,
    ) -> Result<(), Error> {
        let i = self.position(&id).ok_or(Error::ChildNotFound {
            supervisor: ctx.id(),
            child: id,
        })?;
        self.shut_down(i, Interrupt::AfterHandler).await;
        self.children.remove(i);
        Ok(())
    }
}

struct WhichChildren;

impl Message for WhichChildren {
    type Reply = Vec<ChildInfo>;
}

impl Handler<WhichChildren> for Supervisor {
    async fn handle(&mut self, _: WhichChildren, _ctx: &mut Context<Self>) -> Vec<ChildInfo> {
        self.children
            .iter()
            .map(|c| ChildInfo {
                id: c.spec.id.clone(),
                actor: c.actor,
                running: c.started.as_ref().is_some_and(|s| s.control.is_alive()),
                restarts: c.gate.count(),
            })
            .collect()
    }
}

impl ActorRef<Supervisor> {
    /// Starts a new child (after the existing ones) and returns its reference
    /// once its `started` hook has finished.
    ///
    /// # Errors
    /// [`Error::DuplicateChild`] if the id is taken; [`Error::StartFailed`] if
    /// its `started` hook failed (the child is then not added); errors of
    /// [`ask`](ActorRef::ask) if the supervisor is gone.
    pub async fn start_child<A: Actor>(&self, spec: ChildSpec<A>) -> Result<ActorRef<A>, Error> {
        self.ask(StartChild(spec)).await?
    }

    /// Stops the child `id` for good, within its shutdown time, and removes
    /// it (OTP's `terminate_child` followed by `delete_child`).
    ///
    /// # Errors
    /// [`Error::ChildNotFound`]; errors of [`ask`](ActorRef::ask).
    pub async fn terminate_child(&self, id: &str) -> Result<(), Error> {
        self.ask(TerminateChild(id.to_owned())).await?
    }

    /// The reference to child `id`, which stays valid across its restarts.
    ///
    /// # Errors
    /// [`Error::ChildNotFound`] (also once it ended for good);
    /// [`Error::WrongType`] if it is not an `A`; errors of
    /// [`ask`](ActorRef::ask).
    pub async fn child<A: Actor>(&self, id: &str) -> Result<ActorRef<A>, Error> {
        self.ask(GetChild(id.to_owned(), PhantomData)).await?
    }

    /// Every child, in start order; one that ended for good (a transient child
    /// that stopped normally) shows `running: false`.
    ///
    /// # Errors
    /// Those of [`ask`](ActorRef::ask).
    pub async fn children(&self) -> Result<Vec<ChildInfo>, Error> {
        self.ask(WhichChildren).await
    }
}
