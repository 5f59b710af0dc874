//! Reading a `#[message]` method: its options, arguments and reply.

use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Attribute, FnArg, Ident, ImplItemFn, LitStr, Pat, Path, ReturnType, Token, Type};

use crate::util::{self, Errors, ReplaceSelf};

/// The keys of `#[message(...)]` on a method.
pub(super) const METHOD_KEYS: &[&str] = &["name", "derive", "remote"];

/// What `#[message(...)]` says about one method.
#[derive(Default)]
pub(super) struct MethodOptions {
    pub(super) name: Option<Ident>,
    pub(super) derives: Vec<Path>,
    pub(super) remote: Option<LitStr>,
}

pub(super) fn parse_method_options(attrs: &[Attribute]) -> syn::Result<MethodOptions> {
    let mut options = MethodOptions::default();
    let mut errors = Errors::default();
    for attr in attrs {
        // `#[message]` alone takes every default.
        if matches!(attr.meta, syn::Meta::Path(_)) {
            continue;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            let key = &meta.path;
            if key.is_ident("name") {
                if options
                    .name
                    .replace(util::parse_ident_or_str(&meta)?)
                    .is_some()
                {
                    return Err(util::duplicate_key(key, "message"));
                }
            } else if key.is_ident("derive") {
                let content;
                syn::parenthesized!(content in meta.input);
                let paths = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
                options.derives.extend(paths);
            } else if key.is_ident("remote") {
                if !meta.input.peek(Token![=]) {
                    return Err(meta.error(
                        "a remote message needs a stable wire name: write \
                         `remote = \"app.message\"`; it must never change, even when the \
                         method is renamed or moved",
                    ));
                }
                let name = util::parse_str(&meta, "remote = \"app.message\"")?;
                util::check_wire_name(&name)?;
                if options.remote.replace(name).is_some() {
                    return Err(util::duplicate_key(key, "message"));
                }
            } else {
                return Err(util::unknown_key(key, "message", METHOD_KEYS));
            }
            Ok(())
        });
        errors.keep(parsed);
    }
    errors.finish()?;
    Ok(options)
}

/// One argument of a `#[message]` method.
pub(super) enum Arg {
    /// Becomes a field of the message.
    Field { ident: Ident, ty: Box<Type> },
    /// The actor's `Context`, passed through.
    Context,
}

/// Whether `ty` is `&mut Context<..>` or `&Context<..>`, whatever its path.
pub(super) fn is_context(ty: &Type) -> bool {
    let Type::Reference(reference) = ty else {
        return false;
    };
    let Type::Path(path) = &*reference.elem else {
        return false;
    };
    path.qself.is_none()
        && path
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Context")
}

/// Reports borrowed types and `impl Trait` in a field or reply type: a
/// message and its reply are `'static` values that move between tasks.
pub(super) struct Owned<'e> {
    pub(super) errors: &'e mut Errors,
    pub(super) reply: bool,
}

impl<'ast> Visit<'ast> for Owned<'_> {
    fn visit_type_reference(&mut self, reference: &'ast syn::TypeReference) {
        let is_static = reference
            .lifetime
            .as_ref()
            .is_some_and(|l| l.ident == "static");
        if !is_static {
            let message = if self.reply {
                "a reply cannot borrow from the actor: it outlives the handler. Return an \
                 owned value (`String` for `&str`, `Vec<T>` for `&[T]`, a clone, or an `Arc<T>`)"
            } else {
                "an argument of a `#[message]` method cannot be borrowed: it becomes a field \
                 of a message that outlives the caller. Take an owned type (`String` for `&str`, \
                 `Vec<T>` for `&[T]`) or an `Arc<T>`"
            };
            self.errors
                .push(syn::Error::new_spanned(reference, message));
        }
        syn::visit::visit_type_reference(self, reference);
    }

    fn visit_type_impl_trait(&mut self, impl_trait: &'ast syn::TypeImplTrait) {
        let message = if self.reply {
            "a `#[message]` method cannot return `impl Trait`: the reply needs a type that \
             can be named. For a future, write an `async fn`; otherwise name the type"
        } else {
            "an argument of a `#[message]` method cannot be `impl Trait`: it becomes a field. \
             Use a generic parameter (`fn run<F: Fn() + Send + 'static>(&mut self, f: F)`) \
             or a named type"
        };
        self.errors
            .push(syn::Error::new_spanned(impl_trait, message));
    }
}

/// A `#[message]` method, understood.
pub(super) struct Method<'a> {
    pub(super) method: &'a ImplItemFn,
    pub(super) options: MethodOptions,
    pub(super) message: Ident,
    pub(super) args: Vec<Arg>,
    pub(super) reply: Option<Type>,
}

/// Checks and reads one `#[message]` method.
pub(super) fn read_method<'a>(
    method: &'a ImplItemFn,
    options: MethodOptions,
    actor: &Type,
) -> syn::Result<Method<'a>> {
    let mut errors = Errors::default();
    let sig = &method.sig;
    let name = &sig.ident;

    match sig.receiver() {
        None => errors.push(syn::Error::new(
            sig.paren_token.span.join(),
            format!(
                "a `#[message]` method takes `&mut self` or `&self`: `{name}` has no `self`, so \
                 there is no actor to handle its message. Add `&mut self` (or `&self`) as the \
                 first argument, or remove `#[message]` to keep `{name}` an associated function"
            ),
        )),
        Some(receiver) if !matches!(&*receiver.ty, Type::Reference(_)) => {
            errors.push(syn::Error::new_spanned(
                receiver,
                "a `#[message]` method takes `&mut self` or `&self`: taking `self` by value \
                 would consume the actor. To stop the actor, take `ctx: &mut Context<Self>` \
                 and call `ctx.stop()`",
            ));
        }
        Some(_) => {}
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            "a `#[message]` method cannot be `unsafe`: any sender could call it. Keep the \
             method safe and put the `unsafe` block inside it",
        ));
    }
    for lifetime in sig.generics.lifetimes() {
        errors.push(syn::Error::new_spanned(
            &lifetime.lifetime,
            "a `#[message]` method cannot have lifetime parameters: its arguments and reply \
             are owned, `'static` values",
        ));
    }

    let mut args = Vec::new();
    let mut context: Option<&Type> = None;
    for input in &sig.inputs {
        let FnArg::Typed(typed) = input else { continue };
        if is_context(&typed.ty) {
            if let Some(first) = context {
                let mut error = syn::Error::new_spanned(
                    &typed.ty,
                    "a `#[message]` method takes the actor's `Context` at most once",
                );
                error.combine(syn::Error::new_spanned(first, "first taken here"));
                errors.push(error);
            }
            context = Some(&typed.ty);
            args.push(Arg::Context);
            continue;
        }
        let Pat::Ident(pat) = &*typed.pat else {
            errors.push(syn::Error::new_spanned(
                &typed.pat,
                "name this argument (`point: Point`, then destructure inside the method): \
                 the arguments of a `#[message]` method become the named fields of its message",
            ));
            continue;
        };
        if pat.by_ref.is_some() || pat.subpat.is_some() {
            errors.push(syn::Error::new_spanned(
                pat,
                "use a plain name for this argument: it becomes a field of the message",
            ));
            continue;
        }
        let mut ty = (*typed.ty).clone();
        Owned {
            errors: &mut errors,
            reply: false,
        }
        .visit_type(&ty);
        ReplaceSelf(actor).visit_type_mut(&mut ty);
        let ident = pat.ident.clone();
        args.push(Arg::Field {
            ident,
            ty: Box::new(ty),
        });
    }

    let reply = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => {
            let mut ty = (**ty).clone();
            Owned {
                errors: &mut errors,
                reply: true,
            }
            .visit_type(&ty);
            ReplaceSelf(actor).visit_type_mut(&mut ty);
            // `-> ()` is the same as no reply type.
            match &ty {
                Type::Tuple(t) if t.elems.is_empty() => None,
                _ => Some(ty),
            }
        }
    };
    errors.finish()?;

    let message = match &options.name {
        Some(ident) => ident.clone(),
        None => Ident::new(&util::pascal_case(&name.to_string()), name.span()),
    };
    Ok(Method {
        method,
        options,
        message,
        args,
        reply,
    })
}
