//! Helpers shared by the macros: attribute-key errors with suggestions, the
//! bounds every actor and message gets, the compile-time `Send` checks whose
//! errors point at the user's own field or type, and type rewriting.

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{parse_quote, GenericParam, Generics, Lit, LitStr, Path, Type, WherePredicate};

/// The path of the facade crate, unless an attribute says `crate = ...`.
pub(crate) fn default_crate_path() -> Path {
    parse_quote!(::actor)
}

/// Parses the value of `crate = ...`: a path (`::my_actor`) or a string
/// holding one (`"my_actor"`), as serde accepts.
pub(crate) fn parse_crate_path(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Path> {
    let value = meta.value()?;
    if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        lit.parse()
    } else {
        value.parse()
    }
}

/// The error for an attribute key that the macro does not know, naming the
/// closest known key when the unknown one looks like a typo of it.
pub(crate) fn unknown_key(path: &Path, attribute: &str, known: &[&str]) -> syn::Error {
    let unknown = path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_else(|| path.to_token_stream().to_string().replace(' ', ""));
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let message = match closest(&unknown, known) {
        Some(best) => format!(
            "unknown key `{unknown}` in `#[{attribute}(...)]`: did you mean `{best}`? \
             (the keys are {list})"
        ),
        None => format!("unknown key `{unknown}` in `#[{attribute}(...)]`: the keys are {list}"),
    };
    syn::Error::new_spanned(path, message)
}

/// The error for a key given twice.
pub(crate) fn duplicate_key(path: &Path, attribute: &str) -> syn::Error {
    syn::Error::new_spanned(
        path,
        format!(
            "`{}` is given twice in `#[{attribute}(...)]`: keep one",
            path.to_token_stream()
        ),
    )
}

/// The known word nearest to `word`, if it is near enough to be a typo.
pub(crate) fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Edit distance over chars, counting a swap of two neighbours as one edit
/// (the optimal string alignment distance): `nmae` is one edit from `name`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between the first i chars of a and the first j of b.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// `get_balance` becomes `GetBalance`; a raw identifier loses its `r#`.
pub(crate) fn pascal_case(snake: &str) -> String {
    let snake = snake.strip_prefix("r#").unwrap_or(snake);
    snake
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

/// Rejects lifetime parameters: actors and messages are `'static`, and a
/// borrowed field would tie them to a stack frame they outlive.
/// The types of every field of a struct or enum, to check them; `what` (like
/// "an actor") names the item in the error for a union.
pub(crate) fn field_types(data: &syn::Data, what: &str) -> syn::Result<Vec<Type>> {
    match data {
        syn::Data::Struct(data) => Ok(data.fields.iter().map(|f| f.ty.clone()).collect()),
        syn::Data::Enum(data) => Ok(data
            .variants
            .iter()
            .flat_map(|v| v.fields.iter().map(|f| f.ty.clone()))
            .collect()),
        syn::Data::Union(data) => Err(syn::Error::new_spanned(
            data.union_token,
            format!("{what} cannot be a union: use a struct or an enum"),
        )),
    }
}

pub(crate) fn reject_lifetimes(generics: &Generics, what: &str) -> syn::Result<()> {
    let mut errors = Errors::default();
    for lifetime in generics.lifetimes() {
        errors.push(syn::Error::new_spanned(
            &lifetime.lifetime,
            format!(
                "{what} cannot have a lifetime parameter: it is `'static`, as it outlives \
                 the code that creates it. Remove `{}` and own the data (`String` for `&str`, \
                 `Vec<T>` for `&[T]`, `Arc<T>` to share)",
                lifetime.lifetime
            ),
        ));
    }
    errors.finish()
}

/// `generics` with `Send + 'static` added to every type parameter: what the
/// `Actor` and `Message` traits require of the types that use them.
///
/// The bounds go where the parameter's bounds already are: into its `where`
/// predicate if it has one, else inline, so that the impl does not bound one
/// parameter in two places (clippy's `multiple_bound_locations`).
pub(crate) fn with_send_static(generics: &Generics) -> Generics {
    let mut generics = generics.clone();
    let send: syn::TypeParamBound = parse_quote!(::core::marker::Send);
    let static_: syn::TypeParamBound = parse_quote!('static);
    for param in &mut generics.params {
        let GenericParam::Type(ty) = param else {
            continue;
        };
        let predicate = generics.where_clause.as_mut().and_then(|clause| {
            clause.predicates.iter_mut().find_map(|p| match p {
                WherePredicate::Type(p)
                    if p.lifetimes.is_none()
                        && matches!(&p.bounded_ty, Type::Path(t) if t.qself.is_none() && t.path.is_ident(&ty.ident)) =>
                {
                    Some(p)
                }
                _ => None,
            })
        });
        match predicate {
            Some(predicate) if ty.bounds.is_empty() => {
                predicate.bounds.push(send.clone());
                predicate.bounds.push(static_.clone());
            }
            _ => {
                ty.bounds.push(send.clone());
                ty.bounds.push(static_.clone());
            }
        }
    }
    generics
}

/// Whether `ty` is a primitive or `()`, which needs no `Send` check: leaving
/// those out keeps the generated code short to read.
fn obviously_send(ty: &Type) -> bool {
    const PRIMITIVES: &[&str] = &[
        "bool", "char", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
        "i128", "isize", "f32", "f64",
    ];
    match ty {
        Type::Tuple(t) => t.elems.is_empty(),
        Type::Path(p) => {
            p.qself.is_none()
                && p.path
                    .get_ident()
                    .is_some_and(|i| PRIMITIVES.contains(&i.to_string().as_str()))
        }
        Type::Paren(p) => obviously_send(&p.elem),
        _ => false,
    }
}

/// Whether `ty` is `Send` whatever the code around it: a primitive, or a
/// type parameter of `generics` (which [`with_send_static`] bounds).
fn needs_no_check(ty: &Type, generics: &Generics) -> bool {
    let is_param = match ty {
        Type::Path(p) if p.qself.is_none() => p
            .path
            .get_ident()
            .is_some_and(|i| generics.type_params().any(|t| t.ident == *i)),
        _ => false,
    };
    is_param || obviously_send(ty)
}

/// One `for<'__a> Ty: Send` predicate per distinct type. The impl then holds
/// exactly when the types are `Send`, and rustc reports a type that is not at
/// the assertion [`send_checks`] emits (at the user's span, with a message
/// saying how to fix it) instead of a second time at the impl. The
/// higher-ranked form keeps rustc from rejecting a bound that names no
/// generic parameter and is false (`#![feature(trivial_bounds)]`).
///
/// Primitives, and type parameters (which get `Send` bounds of their own),
/// need no predicate.
pub(crate) fn send_predicates<'a>(
    types: impl IntoIterator<Item = &'a Type>,
    generics: &Generics,
) -> Vec<WherePredicate> {
    let mut seen = BTreeSet::new();
    types
        .into_iter()
        .filter(|ty| !needs_no_check(ty, generics))
        .filter(|ty| seen.insert(ty.to_token_stream().to_string()))
        .map(|ty| parse_quote!(for<'__a> #ty: ::core::marker::Send))
        .collect()
}

/// What a checked type is to the user, for the error message.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Checked {
    /// A field of a `#[derive(Actor)]` type.
    ActorField,
    /// A field of a `#[derive(Message)]` type.
    MessageField,
    /// An argument of a `#[message]` method, which becomes a field.
    MethodArgument,
    /// A reply type.
    Reply,
}

impl Checked {
    /// The names of the trait and the function that check this kind.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Checked::ActorField => ("ActorFieldIsSend", "actor_field_is_send"),
            Checked::MessageField => ("MessageFieldIsSend", "message_field_is_send"),
            Checked::MethodArgument => ("MessageArgumentIsSend", "message_argument_is_send"),
            Checked::Reply => ("ReplyIsSend", "reply_is_send"),
        }
    }

    /// The error message and the note that says why.
    fn diagnostic(self) -> (&'static str, &'static str) {
        match self {
            Checked::ActorField => (
                "`{Self}` cannot be sent between threads safely, so it cannot be a field of an actor",
                "an actor runs on whichever thread the runtime picks, so all its fields must be `Send`",
            ),
            Checked::MessageField => (
                "`{Self}` cannot be sent between threads safely, so it cannot be a field of a message",
                "a message travels from the sender's thread to the actor's, so all its fields must be `Send`",
            ),
            Checked::MethodArgument => (
                "`{Self}` cannot be sent between threads safely, so it cannot be an argument of a `#[message]` method",
                "the arguments of a `#[message]` method become the fields of its message, which travels \
                 from the sender's thread to the actor's, so every argument must be `Send`",
            ),
            Checked::Reply => (
                "the reply type `{Self}` cannot be sent between threads safely",
                "a reply travels from the actor back to the asker's thread, so it must be `Send`",
            ),
        }
    }
}

/// Compile-time checks that each type is `Send`, one call per type spanned at
/// the type as the user wrote it, so that rustc's error points there and says
/// what to do. `generics` are those of the impl (with their bounds), so that
/// checks of generic fields are made under the same assumptions.
pub(crate) fn send_checks(generics: &Generics, checks: &[(Checked, Type)]) -> TokenStream {
    if checks.is_empty() {
        return TokenStream::new();
    }
    let checks: Vec<&(Checked, Type)> = checks
        .iter()
        .filter(|(_, ty)| !needs_no_check(ty, generics))
        .collect();
    if checks.is_empty() {
        return TokenStream::new();
    }
    let kinds: BTreeSet<Checked> = checks.iter().map(|(kind, _)| *kind).collect();
    let traits = kinds.iter().map(|kind| {
        let (name, check) = kind.names();
        let name = syn::Ident::new(name, Span::call_site());
        let check = syn::Ident::new(check, Span::call_site());
        let (message, note) = kind.diagnostic();
        let note = format!(
            "{note}: use `Arc` instead of `Rc`, `Arc<Mutex<T>>` instead of `Rc<RefCell<T>>`, \
             or make the type `Send`"
        );
        quote! {
            #[diagnostic::on_unimplemented(message = #message, label = "not `Send`", note = #note)]
            trait #name {}
            #[diagnostic::do_not_recommend]
            impl<T: ?::core::marker::Sized + ::core::marker::Send> #name for T {}
            fn #check<T: ?::core::marker::Sized + #name>() {}
        }
    });
    let calls = checks.iter().map(|(kind, ty)| {
        let check = syn::Ident::new(kind.names().1, ty.span());
        quote_spanned!(ty.span()=> #check::<#ty>();)
    });
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    quote! {
        // `do_not_recommend` (Rust 1.85) keeps rustc from explaining the
        // blanket impl; older compilers ignore it.
        #[allow(
            dead_code,
            unknown_or_malformed_diagnostic_attributes,
            clippy::extra_unused_type_parameters
        )]
        const _: () = {
            #(#traits)*
            fn checks #impl_generics () #where_clause {
                #(#calls)*
            }
        };
    }
}

/// Replaces `Self` in a type by the actor's type: a message struct is a type
/// of its own, where `Self` would mean the message.
pub(crate) struct ReplaceSelf<'a>(pub(crate) &'a Type);

impl VisitMut for ReplaceSelf<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(type_path) = ty {
            if type_path.qself.is_none() && type_path.path.leading_colon.is_none() {
                let segments = &type_path.path.segments;
                if segments.first().is_some_and(|s| s.ident == "Self") {
                    if segments.len() == 1 {
                        *ty = self.0.clone();
                        return;
                    }
                    // `Self::Assoc` becomes `<Actor>::Assoc`.
                    let actor = self.0;
                    let rest: Vec<_> = segments.iter().skip(1).collect();
                    *ty = parse_quote!(<#actor>::#(#rest)::*);
                    syn::visit_mut::visit_type_mut(self, ty);
                    return;
                }
            }
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }
}

/// The names of the generic parameters (out of `names`) that `node` mentions.
pub(crate) fn mentioned<T: ToTokens>(node: &T, names: &BTreeSet<String>) -> BTreeSet<String> {
    struct Mentions<'a> {
        names: &'a BTreeSet<String>,
        found: BTreeSet<String>,
    }
    impl<'ast> Visit<'ast> for Mentions<'_> {
        fn visit_path(&mut self, path: &'ast Path) {
            if path.leading_colon.is_none() {
                if let Some(first) = path.segments.first() {
                    let name = first.ident.to_string();
                    if self.names.contains(&name) {
                        self.found.insert(name);
                    }
                }
            }
            syn::visit::visit_path(self, path);
        }
        fn visit_lifetime(&mut self, lifetime: &'ast syn::Lifetime) {
            let name = lifetime.to_string();
            if self.names.contains(&name) {
                self.found.insert(name);
            }
        }
    }
    // Parse back through tokens so that one visitor handles types, bounds and
    // predicates alike.
    let tokens = node.to_token_stream();
    let mut visitor = Mentions {
        names,
        found: BTreeSet::new(),
    };
    if let Ok(ty) = syn::parse2::<Type>(tokens.clone()) {
        visitor.visit_type(&ty);
    } else if let Ok(predicate) = syn::parse2::<WherePredicate>(tokens.clone()) {
        visitor.visit_where_predicate(&predicate);
    } else if let Ok(param) = syn::parse2::<GenericParam>(tokens) {
        visitor.visit_generic_param(&param);
    }
    visitor.found
}

/// The name of a generic parameter: `T`, `'a` or `N`.
pub(crate) fn param_name(param: &GenericParam) -> String {
    match param {
        GenericParam::Type(t) => t.ident.to_string(),
        GenericParam::Lifetime(l) => l.lifetime.to_string(),
        GenericParam::Const(c) => c.ident.to_string(),
    }
}

/// Validates a wire name: non-empty, and made of characters that cannot be
/// confused with the `<`, `>` and `,` that join generic arguments.
pub(crate) fn check_wire_name(lit: &LitStr) -> syn::Result<()> {
    let name = lit.value();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-:/".contains(c);
    if name.is_empty() || !name.chars().all(allowed) {
        return Err(syn::Error::new_spanned(
            lit,
            format!(
                "invalid wire name {:?}: use ASCII letters, digits and `. _ - : /` \
                 (for example \"bank.deposit\"); choose it once and never change it, as \
                 other programs know the message by it",
                name
            ),
        ));
    }
    Ok(())
}

/// Accepts `name = Foo` or `name = "Foo"` as an identifier.
pub(crate) fn parse_ident_or_str(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<syn::Ident> {
    let value = meta.value()?;
    if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        lit.parse()
    } else {
        value.parse()
    }
}

/// Accepts only a string literal.
pub(crate) fn parse_str(meta: &syn::meta::ParseNestedMeta<'_>, hint: &str) -> syn::Result<LitStr> {
    let value = meta.value()?;
    let lit: Lit = value.parse()?;
    match lit {
        Lit::Str(s) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!("expected a string: {hint}"),
        )),
    }
}

/// Collects errors so that one expansion reports every mistake at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Keeps the error of `result`, if any, and returns its value.
    pub(crate) fn keep<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_joins_words() {
        assert_eq!(pascal_case("inc"), "Inc");
        assert_eq!(pascal_case("get_balance"), "GetBalance");
        assert_eq!(pascal_case("r#type"), "Type");
        assert_eq!(pascal_case("_private_thing"), "PrivateThing");
        assert_eq!(pascal_case("set_HTTP_port"), "SetHTTPPort");
    }

    #[test]
    fn typos_find_the_key() {
        let keys = ["name", "mailbox", "started", "stopping", "stopped", "crate"];
        assert_eq!(closest("mailbx", &keys), Some("mailbox"));
        assert_eq!(closest("nmae", &keys), Some("name"));
        assert_eq!(closest("stoped", &keys), Some("stopped"));
        assert_eq!(closest("capacity", &keys), None);
    }

    #[test]
    fn mentions_find_parameters() {
        let names: BTreeSet<String> = ["T", "U", "N"].iter().map(|s| s.to_string()).collect();
        let ty: Type = parse_quote!(Vec<(T, [u8; N], other::U)>);
        let found = mentioned(&ty, &names);
        assert_eq!(found.into_iter().collect::<Vec<_>>(), vec!["N", "T"]);
    }

    #[test]
    fn self_is_replaced() {
        let actor: Type = parse_quote!(Stack<T>);
        let mut ty: Type = parse_quote!(Option<Self>);
        ReplaceSelf(&actor).visit_type_mut(&mut ty);
        assert_eq!(ty.to_token_stream().to_string(), "Option < Stack < T > >");
        let mut ty: Type = parse_quote!(Self::Item);
        ReplaceSelf(&actor).visit_type_mut(&mut ty);
        assert_eq!(ty.to_token_stream().to_string(), "< Stack < T > > :: Item");
    }
}
