//! `#[messages]`: each `#[message]` method of an inherent impl becomes a
//! message struct, its `Message` impl and the actor's `Handler` impl.
//!
//! [`method`] reads a marked method, [`generics`] works out which generic
//! parameters its message type needs, and this module writes the code.

mod generics;
mod method;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::{
    parse_quote, Attribute, GenericParam, Ident, ImplItem, ImplItemFn, ItemImpl, Path, Type,
};

use crate::message::{where_tokens, MessageDef};
use crate::util::{self, Checked, Errors};

use generics::*;
use method::*;

/// The keys of `#[messages(...)]`.
const IMPL_KEYS: &[&str] = &["crate"];
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
