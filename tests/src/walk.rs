//! Walking the API as a role sees it: from the checked-in SDL, one operation per root query
//! field selecting every field of every object type reachable from it (a bounded number of
//! object hops, so cycles end), with arguments from a table the caller supplies. A root
//! field that needs arguments the table lacks is reported, so a new field cannot be missed.

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{
    BaseType, FieldDefinition, Type, TypeKind, TypeSystemDefinition,
};
use std::collections::{BTreeMap, BTreeSet};

/// Object hops below a root field.
const DEPTH: usize = 4;

pub struct Schema {
    objects: BTreeMap<String, Vec<FieldDefinition>>,
    unions: BTreeMap<String, Vec<String>>,
}

fn base(t: &Type) -> &str {
    match &t.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(inner) => base(inner),
    }
}

fn required_args(f: &FieldDefinition) -> Vec<String> {
    f.arguments
        .iter()
        .filter(|a| !a.node.ty.node.nullable && a.node.default_value.is_none())
        .map(|a| a.node.name.node.to_string())
        .collect()
}

impl Schema {
    pub fn parse(sdl: &str) -> Self {
        let doc = parse_schema(sdl).expect("SDL parses");
        let mut objects = BTreeMap::new();
        let mut unions = BTreeMap::new();
        for d in doc.definitions {
            if let TypeSystemDefinition::Type(t) = d {
                let name = t.node.name.node.to_string();
                match t.node.kind {
                    TypeKind::Object(o) => {
                        objects.insert(name, o.fields.into_iter().map(|f| f.node).collect());
                    }
                    TypeKind::Interface(i) => {
                        objects.insert(name, i.fields.into_iter().map(|f| f.node).collect());
                    }
                    TypeKind::Union(u) => {
                        unions.insert(
                            name,
                            u.members.into_iter().map(|m| m.node.to_string()).collect(),
                        );
                    }
                    _ => {}
                }
            }
        }
        Self { objects, unions }
    }

    fn selection(&self, ty: &str, depth: usize, seen: &mut BTreeSet<(String, String)>) -> String {
        if let Some(members) = self.unions.get(ty) {
            let parts: Vec<String> = members
                .iter()
                .map(|m| format!("... on {m} {{ {} }}", self.selection(m, depth, seen)))
                .collect();
            return format!("__typename {}", parts.join(" "));
        }
        let Some(fields) = self.objects.get(ty) else {
            return String::new();
        };
        let mut out = Vec::new();
        for f in fields {
            if !required_args(f).is_empty() {
                continue;
            }
            let name = f.name.node.to_string();
            let target = base(&f.ty.node);
            seen.insert((ty.to_owned(), name.clone()));
            if self.objects.contains_key(target) || self.unions.contains_key(target) {
                if depth == 0 {
                    continue;
                }
                let sub = self.selection(target, depth - 1, seen);
                if !sub.is_empty() {
                    out.push(format!("{name} {{ {sub} }}"));
                }
            } else {
                out.push(name);
            }
        }
        if out.is_empty() {
            "__typename".into()
        } else {
            out.join(" ")
        }
    }

    /// One query per root field of Query: (field, operation). `args` gives the arguments
    /// of root fields that need some (`"(id: \"…\")"`); fields missing from it are returned
    /// in the second list. `seen` collects every (Type, field) the operations select.
    pub fn root_queries(
        &self,
        args: &BTreeMap<&str, String>,
        seen: &mut BTreeSet<(String, String)>,
    ) -> (Vec<(String, String)>, Vec<String>) {
        let mut ops = Vec::new();
        let mut missing = Vec::new();
        for f in self
            .objects
            .get("Query")
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let name = f.name.node.to_string();
            let a = match (required_args(f).is_empty(), args.get(name.as_str())) {
                (_, Some(a)) => a.clone(),
                (true, None) => String::new(),
                (false, None) => {
                    missing.push(name);
                    continue;
                }
            };
            let target = base(&f.ty.node);
            let sel = if self.objects.contains_key(target) || self.unions.contains_key(target) {
                format!(" {{ {} }}", self.selection(target, DEPTH, seen))
            } else {
                String::new()
            };
            ops.push((name.clone(), format!("{{ {name}{a}{sel} }}")));
        }
        (ops, missing)
    }

    /// Every (Type, field) reachable from Query without arguments we cannot give.
    pub fn fields_of(&self, ty: &str) -> Vec<String> {
        self.objects
            .get(ty)
            .map(|fs| fs.iter().map(|f| f.name.node.to_string()).collect())
            .unwrap_or_default()
    }
}

/// Every string in a JSON value (keys included), with its path.
pub fn strings(v: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::String(s) => out.push((path.to_owned(), s.clone())),
        serde_json::Value::Number(n) => out.push((path.to_owned(), n.to_string())),
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                strings(x, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                strings(x, &format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}
