//! `#[derive(Actor)]`: the `Actor` impl, its name, mailbox and hooks, and the
//! check that every field is `Send`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::Parse;
use syn::spanned::Spanned;
use syn::{DeriveInput, Expr, ExprLit, Lit, LitStr, Path};

use crate::message::{extend_where, where_tokens};
use crate::util::{self, Checked, Errors};

/// The keys of `#[actor(...)]`.
const KEYS: &[&str] = &[
    "name",
    "mailbox",
    "started",
    "stopping",
    "stopped",
    "restarting",
    "remote",
    "accepts",
    "crate",
];

/// The mailbox capacity asked for.
enum Mailbox {
    Bounded(Expr),
    Unbounded(Span),
}

/// What `#[actor(...)]` says.
#[derive(Default)]
struct Options {
    krate: Option<Path>,
    name: Option<LitStr>,
    mailbox: Option<Mailbox>,
    started: Option<Path>,
    stopping: Option<Path>,
    stopped: Option<Path>,
    restarting: Option<Path>,
    /// `remote = "app.counter"`: the actor's wire name.
    remote: Option<LitStr>,
    /// `accepts(Add, Get)`: the messages it accepts from the network.
    accepts: Option<Vec<syn::Type>>,
}

impl Options {
    fn parse(attrs: &[syn::Attribute], errors: &mut Errors) -> Options {
        let mut options = Options::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("actor")) {
            let parsed = attr.parse_nested_meta(|meta| {
                let key = &meta.path;
                let twice = || util::duplicate_key(key, "actor");
                if key.is_ident("name") {
                    let name = util::parse_str(&meta, "name = \"counter\"")?;
                    if name.value().is_empty() {
                        return Err(syn::Error::new_spanned(
                            &name,
                            "an actor's name cannot be empty: it is what logs and ids show",
                        ));
                    }
                    if options.name.replace(name).is_some() {
                        return Err(twice());
                    }
                } else if key.is_ident("mailbox") {
                    let mailbox = parse_mailbox(meta.value()?.parse()?)?;
                    if options.mailbox.replace(mailbox).is_some() {
                        return Err(twice());
                    }
                } else if key.is_ident("started")
                    || key.is_ident("stopping")
                    || key.is_ident("stopped")
                    || key.is_ident("restarting")
                {
                    let hook = hook_path(meta.value()?.parse()?);
                    let slot = if key.is_ident("started") {
                        &mut options.started
                    } else if key.is_ident("stopping") {
                        &mut options.stopping
                    } else if key.is_ident("restarting") {
                        &mut options.restarting
                    } else {
                        &mut options.stopped
                    };
                    if slot.replace(hook).is_some() {
                        return Err(twice());
                    }
                } else if key.is_ident("remote") {
                    let name = util::parse_str(&meta, "remote = \"app.counter\"")?;
                    if name.value().is_empty() || name.value().contains(char::is_whitespace) {
                        return Err(syn::Error::new_spanned(
                            &name,
                            "a wire name is a non-empty string without whitespace, such as \"app.counter\"; it must never change once deployed",
                        ));
                    }
                    if options.remote.replace(name).is_some() {
                        return Err(twice());
                    }
                } else if key.is_ident("accepts") {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let types = content.parse_terminated(syn::Type::parse, syn::Token![,])?;
                    if options.accepts.replace(types.into_iter().collect()).is_some() {
                        return Err(twice());
                    }
                } else if key.is_ident("crate") {
                    if options
                        .krate
                        .replace(util::parse_crate_path(&meta)?)
                        .is_some()
                    {
                        return Err(twice());
                    }
                } else {
                    return Err(util::unknown_key(key, "actor", KEYS));
                }
                Ok(())
            });
            errors.keep(parsed);
        }
        options
    }
}

/// `mailbox = 128`, `mailbox = CAPACITY` or `mailbox = unbounded`.
fn parse_mailbox(value: Expr) -> syn::Result<Mailbox> {
    const HINT: &str = "write `mailbox = 128` (or a constant) for a bounded mailbox, or \
                        `mailbox = unbounded`";
    match &value {
        Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
            let ident = p.path.get_ident().expect("checked above");
            let word = ident.to_string();
            if word == "unbounded" {
                return Ok(Mailbox::Unbounded(ident.span()));
            }
            // A constant is SCREAMING_CASE; a lowercase word is a misspelt
            // keyword, which would otherwise be reported as an unknown value.
            if word.chars().any(|c| c.is_ascii_lowercase()) {
                let hint = match util::closest(&word, &["unbounded"]) {
                    Some(_) => format!("unknown mailbox `{word}`: did you mean `unbounded`?"),
                    None => format!("unknown mailbox `{word}`: {HINT}"),
                };
                return Err(syn::Error::new_spanned(ident, hint));
            }
            Ok(Mailbox::Bounded(value))
        }
        Expr::Lit(ExprLit {
            lit: Lit::Int(n), ..
        }) => {
            if n.base10_parse::<usize>()? == 0 {
                return Err(syn::Error::new_spanned(
                    n,
                    "a mailbox holds at least one message: write `mailbox = 1` or more",
                ));
            }
            Ok(Mailbox::Bounded(value))
        }
        Expr::Lit(_) => Err(syn::Error::new_spanned(&value, HINT)),
        _ => Ok(Mailbox::Bounded(value)),
    }
}

/// A hook is named by a method of the actor (`on_start`, meaning
/// `Self::on_start`) or by a path to any function taking the same arguments.
fn hook_path(path: Path) -> Path {
    match path.get_ident() {
        Some(ident) => syn::parse_quote_spanned!(ident.span()=> Self::#ident),
        None => path,
    }
}

/// `#[derive(Actor)]`.
pub(crate) fn derive(input: DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let options = Options::parse(&input.attrs, &mut errors);
    errors.keep(util::reject_lifetimes(&input.generics, "an actor"));
    let fields = errors
        .keep(util::field_types(&input.data, "an actor"))
        .unwrap_or_default();
    errors.finish()?;

    let krate = options
        .krate
        .clone()
        .unwrap_or_else(util::default_crate_path);
    let ident = &input.ident;
    let generics = util::with_send_static(&input.generics);
    let (impl_generics, type_generics, where_clause) = generics.split_for_impl();
    let clause = where_tokens(&extend_where(
        where_clause,
        util::send_predicates(&fields, &input.generics),
    ));

    let name = options.name.as_ref().map(|name| {
        quote! {
            fn name() -> &'static str {
                #name
            }
        }
    });
    let mailbox = options.mailbox.as_ref().map(|mailbox| {
        let capacity = match mailbox {
            Mailbox::Bounded(n) => {
                quote_spanned!(n.span()=> #krate::MailboxCapacity::Bounded(#n))
            }
            Mailbox::Unbounded(span) => {
                quote_spanned!(*span=> #krate::MailboxCapacity::Unbounded)
            }
        };
        quote! {
            fn mailbox_capacity() -> #krate::MailboxCapacity {
                #capacity
            }
        }
    });
    // Each hook calls the user's `async fn`; the call carries the span of the
    // name in the attribute, so a wrong signature is reported there.
    let started = options.started.as_ref().map(|hook| {
        let call = quote_spanned!(hook.span()=> #hook(self, ctx).await);
        quote! {
            async fn started(
                &mut self,
                ctx: &mut #krate::Context<Self>,
            ) -> ::core::result::Result<(), #krate::BoxError> {
                ::core::result::Result::map_err(#call, ::core::convert::Into::into)
            }
        }
    });
    let stopping = options.stopping.as_ref().map(|hook| {
        let call = quote_spanned!(hook.span()=> #hook(self, ctx).await);
        quote! {
            async fn stopping(&mut self, ctx: &mut #krate::Context<Self>) {
                #call
            }
        }
    });
    let stopped = options.stopped.as_ref().map(|hook| {
        let call = quote_spanned!(hook.span()=> #hook(self, reason).await);
        quote! {
            async fn stopped(&mut self, reason: &#krate::StopReason) {
                #call
            }
        }
    });
    let restarting = options.restarting.as_ref().map(|hook| {
        let call = quote_spanned!(hook.span()=> #hook(self, ctx, previous).await);
        quote! {
            async fn restarting(
                &mut self,
                ctx: &mut #krate::Context<Self>,
                previous: &#krate::StopReason,
            ) {
                #call
            }
        }
    });
    let remote = remote_impls(&options, &input, &krate)?;
    let checks: Vec<_> = fields
        .into_iter()
        .map(|ty| (Checked::ActorField, ty))
        .collect();
    let send_checks = util::send_checks(&generics, &checks);
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Actor for #ident #type_generics #clause {
            #name
            #mailbox
            #started
            #stopping
            #stopped
            #restarting
        }
        #send_checks
        #remote
    })
}

/// With `remote = "..."`: the actor's `WireName`, and its `RemoteActor` impl
/// listing `accepts(...)`.
fn remote_impls(options: &Options, input: &DeriveInput, krate: &Path) -> syn::Result<TokenStream> {
    let Some(name) = &options.remote else {
        if let Some(first) = options.accepts.as_ref().and_then(|a| a.first()) {
            return Err(syn::Error::new_spanned(
                first,
                "`accepts(...)` lists the messages a remote actor takes from the network: give the actor a wire name too, with `remote = \"app.name\"`",
            ));
        }
        return Ok(TokenStream::new());
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "a generic remote actor needs a wire name that includes its type parameters: implement `WireName` and `actor::remote::RemoteActor` by hand",
        ));
    }
    let ident = &input.ident;
    let accepts = options.accepts.iter().flatten();
    Ok(quote! {
        #[automatically_derived]
        impl #krate::WireName for #ident {
            fn wire_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(#name)
            }
        }
        #[automatically_derived]
        impl #krate::remote::RemoteActor for #ident {
            fn accepts(messages: &mut #krate::remote::Accepts<Self>) {
                #(messages.accept::<#accepts>();)*
                let _ = messages;
            }
        }
    })
}
