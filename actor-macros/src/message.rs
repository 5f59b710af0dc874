//! `#[derive(Message)]`, and the `Message` / remote impls that it shares with
//! `#[messages]`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{
    parse_quote, DeriveInput, GenericParam, Generics, Ident, LitStr, Path, Type, WhereClause,
};

use crate::util::{self, Checked, Errors};

/// Everything needed to implement `Message` (and, for a remote message,
/// `WireName` and `RemoteMessage`) for one type.
pub(crate) struct MessageDef<'a> {
    pub(crate) krate: &'a Path,
    pub(crate) ident: &'a Ident,
    /// The generics as declared on the type, bounds included.
    pub(crate) generics: &'a Generics,
    /// The types to check for `Send`, with what they are to the user.
    pub(crate) fields: Vec<(Checked, Type)>,
    pub(crate) reply: Type,
    pub(crate) remote: Option<LitStr>,
    /// Where a missing serde derive is reported.
    pub(crate) serde_span: Span,
}

/// `where` and its predicates, or nothing when there are none.
pub(crate) fn where_tokens(clause: &WhereClause) -> TokenStream {
    if clause.predicates.is_empty() {
        TokenStream::new()
    } else {
        quote!(#clause)
    }
}

/// The declared where clause extended with `extra`.
pub(crate) fn extend_where(
    clause: Option<&WhereClause>,
    extra: impl IntoIterator<Item = syn::WherePredicate>,
) -> WhereClause {
    let mut clause = clause.cloned().unwrap_or_else(|| parse_quote!(where));
    clause.predicates.extend(extra);
    clause
}

impl MessageDef<'_> {
    /// The impls and compile-time checks.
    pub(crate) fn expand(&self) -> TokenStream {
        let krate = self.krate;
        let ident = self.ident;
        let reply = &self.reply;
        let generics = util::with_send_static(self.generics);
        let (impl_generics, type_generics, where_clause) = generics.split_for_impl();
        let send_types = self.fields.iter().map(|(_, ty)| ty).chain([reply]);
        let send_predicates = util::send_predicates(send_types, self.generics);
        let clause = where_tokens(&extend_where(where_clause, send_predicates.clone()));
        let mut checks = self.fields.clone();
        checks.push((Checked::Reply, reply.clone()));
        let send_checks = util::send_checks(&generics, &checks);
        let remote = self
            .remote
            .as_ref()
            .map(|name| self.expand_remote(name, &generics, &send_predicates));
        // Spanned at the reply type, so that rustc's "private type in public
        // interface" for a reply type points there.
        let reply_item = quote_spanned!(reply.span()=> type Reply = #reply;);
        quote! {
            #[automatically_derived]
            impl #impl_generics #krate::Message for #ident #type_generics #clause {
                #reply_item
            }
            #send_checks
            #remote
        }
    }

    /// `WireName` and `RemoteMessage`, and the checks that the message and
    /// its reply are serde types, reported at the user's type and reply.
    fn expand_remote(
        &self,
        name: &LitStr,
        generics: &Generics,
        send_predicates: &[syn::WherePredicate],
    ) -> TokenStream {
        let krate = self.krate;
        let ident = self.ident;
        let reply = &self.reply;
        let private = quote!(#krate::__private);
        let (_, type_generics, declared_where) = self.generics.split_for_impl();
        let this: Type = parse_quote!(#ident #type_generics);

        // The wire name: the given one, followed for a generic type by the wire
        // names of its arguments (`kv.get<u64>`), so that each instantiation
        // has its own.
        let args: Vec<TokenStream> = self
            .generics
            .params
            .iter()
            .filter_map(|param| match param {
                GenericParam::Type(t) => {
                    let t = &t.ident;
                    Some(quote!(&<#t as #krate::WireName>::wire_name()))
                }
                GenericParam::Const(c) => {
                    let c = &c.ident;
                    Some(quote!(&::std::string::ToString::to_string(&#c)))
                }
                GenericParam::Lifetime(_) => None,
            })
            .collect();
        let wire_name = if args.is_empty() {
            quote!(::std::borrow::Cow::Borrowed(#name))
        } else {
            let head = LitStr::new(&format!("{}<", name.value()), name.span());
            let pushes = args.iter().enumerate().map(|(i, arg)| {
                let separator = (i > 0).then(|| quote!(name.push(',');));
                quote!(#separator name.push_str(#arg);)
            });
            quote! {
                let mut name = ::std::string::String::from(#head);
                #(#pushes)*
                name.push('>');
                ::std::borrow::Cow::Owned(name)
            }
        };
        let mut wire_generics = self.generics.clone();
        for param in &mut wire_generics.params {
            if let GenericParam::Type(t) = param {
                t.bounds.push(parse_quote!(#krate::WireName));
            }
        }
        let (wire_impl_generics, _, _) = wire_generics.split_for_impl();
        let wire_where = declared_where.map(where_tokens);

        // `RemoteMessage` holds when the type and its reply are serde types
        // (and, for a generic type, its arguments have wire names); the
        // checks below report a missing derive at the user's span.
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let serde = quote!(#private::Serialize + #private::DeserializeOwned);
        let mut remote_predicates: Vec<syn::WherePredicate> = vec![
            parse_quote!(for<'__a> #this: #serde),
            parse_quote!(for<'__a> #reply: #serde),
        ];
        for param in self.generics.type_params() {
            let t = &param.ident;
            remote_predicates.push(parse_quote!(#t: #krate::WireName));
        }
        remote_predicates.extend(send_predicates.iter().cloned());
        let remote_where = where_tokens(&extend_where(where_clause, remote_predicates));

        let mut serde_generics = generics.clone();
        for param in &mut serde_generics.params {
            if let GenericParam::Type(t) = param {
                t.bounds.push(parse_quote!(#private::Serialize));
                t.bounds.push(parse_quote!(#private::DeserializeOwned));
            }
        }
        let (check_generics, _, check_where) = serde_generics.split_for_impl();
        let check_message =
            quote_spanned!(self.serde_span=> #private::assert_remote_message::<#this>(););
        let check_reply = quote_spanned!(reply.span()=> #private::assert_remote_reply::<#reply>(););

        quote! {
            #[automatically_derived]
            impl #wire_impl_generics #krate::WireName for #ident #type_generics #wire_where {
                fn wire_name() -> ::std::borrow::Cow<'static, str> {
                    #wire_name
                }
            }
            #[automatically_derived]
            impl #impl_generics #krate::RemoteMessage for #ident #type_generics #remote_where {}
            #[allow(dead_code, clippy::extra_unused_type_parameters)]
            const _: () = {
                fn checks #check_generics () #check_where {
                    #check_message
                    #check_reply
                }
            };
        }
    }
}

/// The keys of `#[message(...)]` on a type.
const DERIVE_KEYS: &[&str] = &["reply", "remote", "crate"];

/// `#[derive(Message)]`.
pub(crate) fn derive(input: DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut krate: Option<Path> = None;
    let mut reply: Option<Type> = None;
    let mut remote: Option<LitStr> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("message")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let key = &meta.path;
            if key.is_ident("reply") {
                if reply.is_some() {
                    return Err(util::duplicate_key(key, "message"));
                }
                reply = Some(meta.value()?.parse()?);
            } else if key.is_ident("remote") {
                if remote.is_some() {
                    return Err(util::duplicate_key(key, "message"));
                }
                if !meta.input.peek(syn::Token![=]) {
                    return Err(meta.error(
                        "a remote message needs a stable wire name: write \
                         `remote = \"app.message\"`; it must never change, even when the type \
                         is renamed or moved",
                    ));
                }
                let name = util::parse_str(&meta, "remote = \"app.message\"")?;
                util::check_wire_name(&name)?;
                remote = Some(name);
            } else if key.is_ident("crate") {
                if krate.is_some() {
                    return Err(util::duplicate_key(key, "message"));
                }
                krate = Some(util::parse_crate_path(&meta)?);
            } else {
                return Err(util::unknown_key(key, "message", DERIVE_KEYS));
            }
            Ok(())
        });
        errors.keep(parsed);
    }
    errors.keep(util::reject_lifetimes(&input.generics, "a message"));
    let fields = errors
        .keep(util::field_types(&input.data, "a message"))
        .unwrap_or_default();
    errors.finish()?;
    let krate = krate.unwrap_or_else(util::default_crate_path);
    // A message that is only told replies with `()`, as actix's default.
    let reply = reply.unwrap_or_else(|| parse_quote!(()));
    let def = MessageDef {
        krate: &krate,
        ident: &input.ident,
        generics: &input.generics,
        fields: fields
            .into_iter()
            .map(|ty| (Checked::MessageField, ty))
            .collect(),
        reply,
        remote,
        serde_span: input.ident.span(),
    };
    Ok(def.expand())
}
