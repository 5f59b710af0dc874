//! `#[messages]`: each `#[message]` method of an inherent impl becomes a
//! message struct, its `Message` impl and the actor's `Handler` impl.

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{
    parse_quote, Attribute, FnArg, GenericParam, Generics, Ident, ImplItem, ImplItemFn, ItemImpl,
    LitStr, Pat, Path, ReturnType, Token, Type, WhereClause, WherePredicate,
};

use crate::message::{where_tokens, MessageDef};
use crate::util::{self, Checked, Errors, ReplaceSelf};

/// The keys of `#[messages(...)]`.
const IMPL_KEYS: &[&str] = &["crate"];
/// The keys of `#[message(...)]` on a method.
const METHOD_KEYS: &[&str] = &["name", "derive", "remote"];

/// Parses the arguments of `#[messages(...)]`.
pub(crate) fn parse_args(args: TokenStream) -> syn::Result<Path> {
    let mut krate = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            if krate.is_some() {
                return Err(util::duplicate_key(&meta.path, "messages"));
            }
            krate = Some(util::parse_crate_path(&meta)?);
            Ok(())
        } else {
            Err(util::unknown_key(&meta.path, "messages", IMPL_KEYS))
        }
    });
    syn::parse::Parser::parse2(parser, args)?;
    Ok(krate.unwrap_or_else(util::default_crate_path))
}

/// What `#[message(...)]` says about one method.
#[derive(Default)]
struct MethodOptions {
    name: Option<Ident>,
    derives: Vec<Path>,
    remote: Option<LitStr>,
}

fn parse_method_options(attrs: &[Attribute]) -> syn::Result<MethodOptions> {
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
enum Arg {
    /// Becomes a field of the message.
    Field { ident: Ident, ty: Box<Type> },
    /// The actor's `Context`, passed through.
    Context,
}

/// Whether `ty` is `&mut Context<..>` or `&Context<..>`, whatever its path.
fn is_context(ty: &Type) -> bool {
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
struct Owned<'e> {
    errors: &'e mut Errors,
    reply: bool,
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
struct Method<'a> {
    method: &'a ImplItemFn,
    options: MethodOptions,
    message: Ident,
    args: Vec<Arg>,
    reply: Option<Type>,
}

/// Checks and reads one `#[message]` method.
fn read_method<'a>(
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

/// The generics of a message struct: the parameters of the impl that its
/// fields or reply mention, then every parameter of the method (a method's
/// parameter must be named by the message type for the `Handler` impl to
/// determine it), with the bounds that mention only those parameters.
struct MessageGenerics {
    generics: Generics,
    /// Parameters that no field mentions: they need a marker field.
    phantom: Vec<GenericParam>,
}

fn message_generics(
    impl_generics: &Generics,
    method_generics: &Generics,
    fields: &[&Type],
    reply: Option<&Type>,
    actor: &Type,
) -> MessageGenerics {
    let all: Vec<&GenericParam> = impl_generics
        .params
        .iter()
        .chain(&method_generics.params)
        .filter(|p| !matches!(p, GenericParam::Lifetime(_)))
        .collect();
    let names: BTreeSet<String> = all.iter().map(|p| util::param_name(p)).collect();
    let in_fields: BTreeSet<String> = fields
        .iter()
        .flat_map(|ty| util::mentioned(*ty, &names))
        .collect();
    let in_reply = reply
        .map(|r| util::mentioned(r, &names))
        .unwrap_or_default();
    let method_names: BTreeSet<String> = method_generics
        .params
        .iter()
        .map(util::param_name)
        .collect();
    let included: BTreeSet<String> = names
        .iter()
        .filter(|n| in_fields.contains(*n) || in_reply.contains(*n) || method_names.contains(*n))
        .cloned()
        .collect();

    let keeps = |node: &dyn ToTokens| -> bool {
        let tokens = node.to_token_stream();
        let mentions = util::mentioned(&TokenWrapper(tokens), &names);
        mentions.is_subset(&included)
    };
    let mut params = Punctuated::<GenericParam, Token![,]>::new();
    let mut phantom = Vec::new();
    for param in all {
        if !included.contains(&util::param_name(param)) {
            continue;
        }
        let mut param = param.clone();
        if let GenericParam::Type(t) = &mut param {
            t.bounds = t.bounds.iter().filter(|b| keeps(*b)).cloned().collect();
            if t.bounds.is_empty() {
                t.colon_token = None;
            }
        }
        if !in_fields.contains(&util::param_name(&param)) {
            phantom.push(param.clone());
        }
        params.push(param);
    }
    let mut predicates: Punctuated<WherePredicate, Token![,]> = Punctuated::new();
    let declared = impl_generics
        .where_clause
        .iter()
        .chain(&method_generics.where_clause)
        .flat_map(|w| w.predicates.iter());
    for predicate in declared {
        let mut predicate = predicate.clone();
        ReplaceSelf(actor).visit_where_predicate_mut(&mut predicate);
        let mentions = util::mentioned(&predicate, &names);
        if !mentions.is_empty() && mentions.is_subset(&included) {
            predicates.push(predicate);
        }
    }
    let where_clause = (!predicates.is_empty()).then(|| WhereClause {
        where_token: Default::default(),
        predicates,
    });
    let generics = Generics {
        lt_token: (!params.is_empty()).then(Default::default),
        gt_token: (!params.is_empty()).then(Default::default),
        params,
        where_clause,
    };
    MessageGenerics { generics, phantom }
}

/// Whether `ty` names an associated type of one of the parameters
/// (`I::Item`, `<I as IntoIterator>::Item`).
fn projects_param(ty: &Type, generics: &Generics) -> bool {
    struct Projection {
        names: BTreeSet<String>,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Projection {
        fn visit_type_path(&mut self, path: &'ast syn::TypePath) {
            let first = path.path.segments.first().map(|s| s.ident.to_string());
            let param_path = path.qself.is_none()
                && path.path.segments.len() > 1
                && first.is_some_and(|f| self.names.contains(&f));
            if path.qself.is_some() || param_path {
                self.found = true;
            }
            syn::visit::visit_type_path(self, path);
        }
    }
    let mut visitor = Projection {
        names: generics
            .type_params()
            .map(|t| t.ident.to_string())
            .collect(),
        found: false,
    };
    visitor.visit_type(ty);
    visitor.found
}

/// `generics` without bounds or where clause.
fn without_bounds(generics: &Generics) -> Generics {
    let mut bare = generics.clone();
    bare.where_clause = None;
    for param in &mut bare.params {
        if let GenericParam::Type(t) = param {
            t.colon_token = None;
            t.bounds.clear();
        }
    }
    bare
}

/// Lets [`util::mentioned`] read a bound, which is not one of the node kinds
/// it parses, as part of a where predicate.
struct TokenWrapper(TokenStream);

impl ToTokens for TokenWrapper {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let inner = &self.0;
        tokens.extend(quote!(__Bounded: #inner));
    }
}

/// `#[messages]`.
pub(crate) fn expand(krate: Path, mut item: ItemImpl) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    if let Some((_, trait_path, _)) = &item.trait_ {
        return Err(syn::Error::new_spanned(
            trait_path,
            "`#[messages]` goes on an inherent impl block (`impl Counter { ... }`), not on a \
             trait impl",
        ));
    }
    errors.keep(util::reject_lifetimes(&item.generics, "an actor"));
    let actor = (*item.self_ty).clone();
    let actor_name = match &actor {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        other => other.to_token_stream().to_string(),
    };

    // Take the `#[message]` attributes off the methods, which stay as written.
    let mut marked: Vec<(ImplItemFn, Vec<Attribute>)> = Vec::new();
    for impl_item in &mut item.items {
        match impl_item {
            ImplItem::Fn(method) => {
                for attr in &method.attrs {
                    let Some(ident) = attr.path().get_ident() else {
                        continue;
                    };
                    let name = ident.to_string();
                    if name != "message" && util::closest(&name, &["message"]).is_some() {
                        errors.push(syn::Error::new_spanned(
                            ident,
                            format!("unknown attribute `{name}`: did you mean `#[message]`?"),
                        ));
                    }
                }
                let (ours, theirs): (Vec<_>, Vec<_>) = std::mem::take(&mut method.attrs)
                    .into_iter()
                    .partition(|a| a.path().is_ident("message"));
                method.attrs = theirs;
                if !ours.is_empty() {
                    marked.push((method.clone(), ours));
                }
            }
            ImplItem::Const(c) => reject_marked(&mut c.attrs, &mut errors),
            ImplItem::Type(t) => reject_marked(&mut t.attrs, &mut errors),
            _ => {}
        }
    }
    if marked.is_empty() && errors.is_empty() {
        errors.push(syn::Error::new_spanned(
            &item.self_ty,
            "`#[messages]` found no method marked `#[message]`: put `#[message]` on each \
             method that should become a message, or remove `#[messages]`",
        ));
    }

    let mut methods = Vec::new();
    let mut seen: Vec<Ident> = Vec::new();
    for (method, attrs) in &marked {
        let Some(options) = errors.keep(parse_method_options(attrs)) else {
            continue;
        };
        let Some(read) = errors.keep(read_method(method, options, &actor)) else {
            continue;
        };
        if read.message == actor_name {
            errors.push(syn::Error::new_spanned(
                &read.method.sig.ident,
                format!(
                    "the message of `{}` would be named `{}`, like the actor: name it with \
                     `#[message(name = ...)]`",
                    read.method.sig.ident, read.message
                ),
            ));
        } else if let Some(first) = seen.iter().find(|s| **s == read.message) {
            let mut error = syn::Error::new_spanned(
                &read.method.sig.ident,
                format!(
                    "two `#[message]` methods make a message named `{}`: rename one with \
                     `#[message(name = ...)]`",
                    read.message
                ),
            );
            error.combine(syn::Error::new_spanned(first, "the other one"));
            errors.push(error);
        }
        seen.push(read.message.clone());
        methods.push(read);
    }
    errors.finish()?;

    let generated = methods
        .iter()
        .map(|method| expand_method(&krate, &item, &actor, &actor_name, method));
    Ok(quote! {
        #item
        #(#generated)*
    })
}

/// `#[message]` on an associated const or type: a mistake.
fn reject_marked(attrs: &mut Vec<Attribute>, errors: &mut Errors) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("message")) {
        errors.push(syn::Error::new_spanned(
            attr,
            "`#[message]` goes on a method (`async fn inc(&mut self, by: u64) -> u64`)",
        ));
    }
    attrs.retain(|a| !a.path().is_ident("message"));
}

/// The struct, `Message` impl and `Handler` impl of one method.
fn expand_method(
    krate: &Path,
    item: &ItemImpl,
    actor: &Type,
    actor_name: &str,
    method: &Method<'_>,
) -> TokenStream {
    let sig = &method.method.sig;
    let method_name = &sig.ident;
    let vis = &method.method.vis;
    let message = &method.message;
    let fields: Vec<(&Ident, &Type)> = method
        .args
        .iter()
        .filter_map(|arg| match arg {
            Arg::Field { ident, ty } => Some((ident, &**ty)),
            Arg::Context => None,
        })
        .collect();
    let field_types: Vec<&Type> = fields.iter().map(|(_, ty)| *ty).collect();
    let MessageGenerics { generics, phantom } = message_generics(
        &item.generics,
        &sig.generics,
        &field_types,
        method.reply.as_ref(),
        actor,
    );
    let (struct_impl_generics, struct_type_generics, struct_where) = generics.split_for_impl();
    // The struct itself carries no bounds (its impls do), as is usual in Rust
    // and as serde's derive needs (`T: DeserializeOwned` on a struct breaks
    // its `Deserialize` impl), unless a field names an associated type of a
    // parameter, which needs the bound to be well-formed.
    let declared = if field_types.iter().any(|ty| projects_param(ty, &generics)) {
        generics.clone()
    } else {
        without_bounds(&generics)
    };
    let (declared_generics, _, declared_where) = declared.split_for_impl();
    let message_type: Type = parse_quote!(#message #struct_type_generics);

    // A `#[cfg]` on the method applies to everything made from it.
    let cfgs: Vec<&Attribute> = method
        .method
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .collect();

    // The struct, documented by the method's doc comment.
    let mut docs: Vec<TokenStream> = method
        .method
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .map(ToTokens::to_token_stream)
        .collect();
    if docs.is_empty() {
        let doc = format!(" The message of `{actor_name}::{method_name}`.");
        docs.push(quote!(#[doc = #doc]));
    }
    let derives = (!method.options.derives.is_empty()).then(|| {
        let derives = &method.options.derives;
        quote!(#[derive(#(#derives),*)])
    });
    let field_defs = fields.iter().map(|(ident, ty)| {
        let doc = format!(" The `{ident}` argument of `{actor_name}::{method_name}`.");
        quote!(#[doc = #doc] #vis #ident: #ty,)
    });
    let marker_type = (!phantom.is_empty()).then(|| {
        let parts = phantom.iter().map(|param| match param {
            GenericParam::Const(c) => {
                let c = &c.ident;
                quote!([(); #c])
            }
            other => {
                let name = format_ident!("{}", util::param_name(other));
                quote!(#name)
            }
        });
        // `fn() -> T` is `Send` and `Sync` whatever `T` is.
        quote!(::core::marker::PhantomData<fn() -> (#(#parts,)*)>)
    });
    // A serde derive would otherwise write the marker out as `null` and
    // require it when reading.
    let derives_serde = method.options.derives.iter().any(|path| {
        path.segments
            .last()
            .is_some_and(|s| s.ident == "Serialize" || s.ident == "Deserialize")
    });
    let serde_skip = derives_serde.then(|| quote!(#[serde(skip)]));
    let marker_field = marker_type.as_ref().map(|ty| {
        quote! {
            #[doc(hidden)]
            #serde_skip
            #vis _marker: #ty,
        }
    });
    let struct_def = if fields.is_empty() && marker_field.is_none() {
        quote!(#vis struct #message;)
    } else {
        quote! {
            #vis struct #message #declared_generics #declared_where {
                #(#field_defs)*
                #marker_field
            }
        }
    };
    // Without a constructor, a caller could not make a message whose type
    // parameters appear only in its reply.
    let constructor = marker_field.is_some().then(|| {
        let params = fields.iter().map(|(ident, ty)| quote!(#ident: #ty));
        let names = fields.iter().map(|(ident, _)| ident);
        let doc = format!(" Makes the message that calls `{actor_name}::{method_name}`.");
        let default = fields.is_empty().then(|| {
            quote! {
                #(#cfgs)*
                impl #struct_impl_generics ::core::default::Default for #message_type #struct_where {
                    fn default() -> Self {
                        Self::new()
                    }
                }
            }
        });
        quote! {
            #(#cfgs)*
            impl #struct_impl_generics #message_type #struct_where {
                #[doc = #doc]
                #[allow(clippy::too_many_arguments)]
                #vis fn new(#(#params),*) -> Self {
                    Self {
                        #(#names,)*
                        _marker: ::core::marker::PhantomData,
                    }
                }
            }
            #default
        }
    });

    let reply: Type = method.reply.clone().unwrap_or_else(|| parse_quote!(()));
    let message_impls = MessageDef {
        krate,
        ident: message,
        generics: &generics,
        fields: field_types
            .iter()
            .map(|ty| (Checked::MethodArgument, (*ty).clone()))
            .collect(),
        reply,
        remote: method.options.remote.clone(),
        serde_span: method_name.span(),
    }
    .expand();

    // The handler: take the message apart and call the method with its
    // arguments in their order, the context where the method takes it.
    let mut handler_generics = item.generics.clone();
    handler_generics
        .params
        .extend(sig.generics.params.iter().cloned());
    if let Some(method_where) = &sig.generics.where_clause {
        handler_generics
            .make_where_clause()
            .predicates
            .extend(method_where.predicates.iter().cloned());
    }
    // Like the `Message` impl, the handler holds only when the message's
    // types are `Send`, so that one that is not is reported once, at the
    // argument or reply, by the checks.
    let reply_type = method.reply.iter();
    let send_types = field_types.iter().copied().chain(reply_type);
    let send_predicates = util::send_predicates(send_types, &handler_generics);
    handler_generics
        .make_where_clause()
        .predicates
        .extend(send_predicates);
    let handler_generics = util::with_send_static(&handler_generics);
    let (handler_impl_generics, _, handler_where) = handler_generics.split_for_impl();
    let handler_where = handler_where.map(where_tokens);
    let message_var = Ident::new("message", Span::mixed_site());
    let ctx_var = Ident::new("ctx", Span::mixed_site());
    let field_names: Vec<&Ident> = fields.iter().map(|(ident, _)| *ident).collect();
    let (message_pattern, take_apart) = if fields.is_empty() && marker_field.is_none() {
        (quote!(_), TokenStream::new())
    } else {
        let marker = marker_field.as_ref().map(|_| quote!(_marker: _,));
        (
            quote!(#message_var),
            quote!(let #message { #(#field_names,)* #marker } = #message_var;),
        )
    };
    let takes_context = method.args.iter().any(|a| matches!(a, Arg::Context));
    let ctx_param = if takes_context {
        quote!(#ctx_var)
    } else {
        quote!(_)
    };
    let call_args = method.args.iter().map(|arg| match arg {
        Arg::Field { ident, .. } => quote!(#ident),
        Arg::Context => quote!(#ctx_var),
    });
    let method_params: Vec<TokenStream> = sig
        .generics
        .params
        .iter()
        .filter(|p| !matches!(p, GenericParam::Lifetime(_)))
        .map(|p| {
            let name = format_ident!("{}", util::param_name(p));
            quote!(#name)
        })
        .collect();
    let turbofish = (!method_params.is_empty()).then(|| quote!(::<#(#method_params),*>));
    let await_call = sig.asyncness.map(|_| quote!(.await));
    let output = method.reply.as_ref().map(|reply| quote!(-> #reply));
    // Spanned at the method's name, so that a handler future that is not
    // `Send` (an `Rc` held across an `.await`) is reported at the method.
    let handle = quote_spanned! {method_name.span()=>
        async fn handle(
            &mut self,
            #message_pattern: #message_type,
            #ctx_param: &mut #krate::Context<Self>,
        ) #output {
            #take_apart
            Self::#method_name #turbofish(self, #(#call_args),*) #await_call
        }
    };

    let impls = quote! {
        #message_impls
        #[automatically_derived]
        impl #handler_impl_generics #krate::Handler<#message_type> for #actor #handler_where {
            #handle
        }
    };
    // A `#[cfg]` applies to one item: the impls that the method's `#[cfg]`
    // must also remove go into one anonymous const (impls in it apply
    // everywhere).
    let impls = if cfgs.is_empty() {
        impls
    } else {
        quote! {
            #(#cfgs)*
            const _: () = {
                #impls
            };
        }
    };
    quote! {
        #(#cfgs)*
        #(#docs)*
        #derives
        #struct_def
        #constructor
        #impls
    }
}
