//! The generic parameters and bounds a message type needs.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{GenericParam, Generics, Token, Type, WhereClause, WherePredicate};

use crate::util::{self, ReplaceSelf};

/// The generics of a message struct: the parameters of the impl that its
/// fields or reply mention, then every parameter of the method (a method's
/// parameter must be named by the message type for the `Handler` impl to
/// determine it), with the bounds that mention only those parameters.
pub(super) struct MessageGenerics {
    pub(super) generics: Generics,
    /// Parameters that no field mentions: they need a marker field.
    pub(super) phantom: Vec<GenericParam>,
}

pub(super) fn message_generics(
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
pub(super) fn projects_param(ty: &Type, generics: &Generics) -> bool {
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
pub(super) fn without_bounds(generics: &Generics) -> Generics {
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
pub(super) struct TokenWrapper(TokenStream);

impl ToTokens for TokenWrapper {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let inner = &self.0;
        tokens.extend(quote!(__Bounded: #inner));
    }
}
