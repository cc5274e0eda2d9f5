//! Rhai for KB conditions: the sandboxed engine, the helper functions KB authors
//! may call, fact-path extraction from compiled conditions, and three-valued
//! evaluation (true, false, or undecided because a needed fact is unknown).
//!
//! The engine is built in one place with every limit set explicitly, because Rhai
//! sets none by default; conditions are compiled as expressions, so statements,
//! loops and function definitions are rejected at load time.

use crate::facts::{Facts, ROOTS};
use rhai::{Array, Dynamic, Engine, Map, Position, Scope, AST};
use serde_json::Value;

/// Helper functions registered for KB authors: (name, arity, description).
/// `kb/README.md` documents them; `kb lint` rejects calls to anything else
/// (besides Rhai's own operators and the string/array methods listed in `BUILTIN_METHODS`).
pub const HELPERS: &[(&str, usize, &str)] = &[
    (
        "any_outside",
        2,
        "any_outside(addresses, domain): some address in the list is outside domain (and its subdomains), ignoring case",
    ),
    (
        "any_starts_with",
        2,
        "any_starts_with(list, prefix): some string in the list starts with prefix",
    ),
    (
        "contains_any",
        2,
        "contains_any(text, [phrases]): text contains one of the phrases, ignoring case",
    ),
    ("domain_of", 1, "domain_of(address): the part after @, lower-case (\"\" if none)"),
    (
        "host_matches",
        2,
        "host_matches(host, pattern): host equals pattern, or matches `*.suffix`, ignoring case",
    ),
    (
        "host_matches_any",
        2,
        "host_matches_any(host, [patterns]): host_matches for any pattern",
    ),
    ("icontains", 2, "icontains(text, phrase): text contains phrase, ignoring case"),
    ("is_ip", 1, "is_ip(text): text is an IPv4 or IPv6 address"),
    (
        "reply_with",
        2,
        "reply_with(replies, phrase): some reply's text contains phrase, ignoring case",
    ),
    ("same_domain", 2, "same_domain(a, b): both addresses have the same domain"),
];

/// Rhai built-in functions and methods KB conditions may use.
pub const BUILTIN_METHODS: &[&str] = &[
    "contains",
    "ends_with",
    "is_empty",
    "len",
    "starts_with",
    "to_lower",
    "to_upper",
    "trim",
    "type_of",
];

/// The sandbox limits (operations, depths, sizes). Generous for real KB
/// conditions, small enough that a hostile KB cannot hang or exhaust memory.
pub fn build_engine() -> Engine {
    let mut engine = Engine::new();
    engine
        .set_max_operations(50_000)
        .set_max_call_levels(16)
        .set_max_expr_depths(64, 32)
        .set_max_string_size(64 * 1024)
        .set_max_array_size(10_000)
        .set_max_map_size(10_000)
        .set_fail_on_invalid_map_property(true)
        .set_strict_variables(false)
        .on_print(|_| {})
        .on_debug(|_, _, _| {});
    engine.disable_symbol("eval");
    engine.disable_symbol("print");
    engine.disable_symbol("debug");

    engine.register_fn("icontains", |s: &str, p: &str| s.to_lowercase().contains(&p.to_lowercase()));
    engine.register_fn("contains_any", |s: &str, list: Array| {
        let s = s.to_lowercase();
        list.iter()
            .any(|p| p.clone().into_string().is_ok_and(|p| s.contains(&p.to_lowercase())))
    });
    engine.register_fn("any_starts_with", |list: Array, prefix: &str| {
        list.iter().any(|v| v.clone().into_string().is_ok_and(|s| s.starts_with(prefix)))
    });
    engine.register_fn("domain_of", |a: &str| domain_of(a));
    engine.register_fn("any_outside", |list: Array, domain: &str| {
        let d = domain.trim().trim_start_matches('@').to_lowercase();
        list.iter().any(|v| {
            v.clone().into_string().is_ok_and(|a| {
                let ad = domain_of(&a);
                !ad.is_empty() && ad != d && !ad.ends_with(&format!(".{}", d))
            })
        })
    });
    engine.register_fn("same_domain", |a: &str, b: &str| {
        let (x, y) = (domain_of(a), domain_of(b));
        !x.is_empty() && x == y
    });
    engine.register_fn("is_ip", |s: &str| {
        s.trim().trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok()
    });
    engine.register_fn("host_matches", |h: &str, p: &str| host_matches(h, p));
    engine.register_fn("host_matches_any", |h: &str, list: Array| {
        list.iter().any(|p| p.clone().into_string().is_ok_and(|p| host_matches(h, &p)))
    });
    engine.register_fn("reply_with", |replies: Array, phrase: &str| {
        let phrase = phrase.to_lowercase();
        replies.iter().any(|r| {
            r.read_lock::<Map>()
                .and_then(|m| m.get("text").and_then(|t| t.clone().into_string().ok()))
                .is_some_and(|t| t.to_lowercase().contains(&phrase))
        })
    });
    engine
}

fn domain_of(a: &str) -> String {
    a.trim()
        .trim_matches(['<', '>'])
        .rsplit_once('@')
        .map(|(_, d)| d.to_lowercase())
        .unwrap_or_default()
}

/// `host` equals `pattern`, or `pattern` is `*.suffix` and host ends with `.suffix`.
pub fn host_matches(host: &str, pattern: &str) -> bool {
    let h = host.trim().trim_end_matches('.').to_lowercase();
    let p = pattern.trim().to_lowercase();
    match p.strip_prefix("*.") {
        Some(suffix) => h.ends_with(&format!(".{}", suffix)),
        None => h == p,
    }
}

/// A fact path read by a condition, with its position inside the condition.
#[derive(Debug, Clone, PartialEq)]
pub struct FactRead {
    pub path: String,
    pub pos: Position,
}

/// A function called by a condition.
#[derive(Debug, Clone, PartialEq)]
pub struct FnUse {
    pub name: String,
    pub method: bool,
    pub pos: Position,
}

/// Walks a compiled condition for `root.a.b` property chains and function calls.
pub fn analyze(ast: &AST) -> (Vec<FactRead>, Vec<FnUse>) {
    use rhai::{ASTNode, Expr};
    let mut reads = Vec::new();
    let mut calls = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Expr(Expr::Dot(bin, _, pos))) => {
                if let Expr::Variable(v, ..) = &bin.lhs {
                    let root = v.1.as_str();
                    if ROOTS.contains(&root) || root == "known" {
                        let mut segs = vec![root.to_string()];
                        let mut cur = &bin.rhs;
                        loop {
                            match cur {
                                Expr::Property(p, _) => {
                                    segs.push(p.2.to_string());
                                    break;
                                }
                                Expr::Dot(b, ..) | Expr::Index(b, ..) => {
                                    if let Expr::Property(p, _) = &b.lhs {
                                        segs.push(p.2.to_string());
                                    }
                                    if matches!(cur, Expr::Index(..)) {
                                        break;
                                    }
                                    cur = &b.rhs;
                                }
                                _ => break,
                            }
                        }
                        reads.push(FactRead {
                            path: segs.join("."),
                            pos: *pos,
                        });
                    }
                }
            }
            Some(ASTNode::Expr(Expr::Variable(v, _, pos))) => {
                // A bare root (`device`) read as a whole: recorded as the root itself.
                let name = v.1.as_str();
                let parent_is_dot = path.len() >= 2 && matches!(path[path.len() - 2], ASTNode::Expr(Expr::Dot(..)));
                if !parent_is_dot && !ROOTS.contains(&name) && name != "known" {
                    reads.push(FactRead {
                        path: name.to_string(),
                        pos: *pos,
                    });
                }
            }
            Some(ASTNode::Expr(Expr::FnCall(f, pos))) if f.op_token.is_none() => {
                calls.push(FnUse {
                    name: f.name.to_string(),
                    method: false,
                    pos: *pos,
                });
            }
            Some(ASTNode::Expr(Expr::MethodCall(f, pos))) => {
                calls.push(FnUse {
                    name: f.name.to_string(),
                    method: true,
                    pos: *pos,
                });
            }
            _ => {}
        }
        true
    });
    (reads, calls)
}

/// Converts a JSON value to a Rhai value.
pub fn to_dynamic(v: &Value) -> Dynamic {
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Dynamic::from(s.clone()),
        Value::Array(a) => Dynamic::from_array(a.iter().map(to_dynamic).collect()),
        Value::Object(m) => {
            let mut map = Map::new();
            for (k, v) in m {
                if !v.is_null() {
                    map.insert(k.as_str().into(), to_dynamic(v));
                }
            }
            Dynamic::from_map(map)
        }
    }
}

/// The facts as a Rhai scope: one variable per root, plus `known` (the list of
/// known fact paths, for `"device.port" in known`).
pub fn scope_for(facts: &Facts) -> Scope<'static> {
    let mut scope = Scope::new();
    for r in ROOTS {
        let v = facts.get(r).map(to_dynamic).unwrap_or_else(|| Dynamic::from_map(Map::new()));
        scope.push(r, v);
    }
    let known: Array = facts.known_paths().into_iter().map(Dynamic::from).collect();
    scope.push("known", known);
    scope
}

/// The result of one condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    True,
    False,
    /// A fact it needs is unknown (the paths), or it failed at run time (the message).
    Undecided {
        missing: Vec<String>,
        error: Option<String>,
    },
}

/// Evaluates a compiled condition. `reads` are the fact paths it reads (from `analyze`).
pub fn evaluate(engine: &Engine, scope: &mut Scope, ast: &AST, reads: &[FactRead], facts: &Facts) -> Outcome {
    match engine.eval_ast_with_scope::<Dynamic>(scope, ast) {
        Ok(v) => match v.as_bool() {
            Ok(true) => Outcome::True,
            Ok(false) => Outcome::False,
            Err(t) => Outcome::Undecided {
                missing: Vec::new(),
                error: Some(format!("condition gave a {}, not a bool", t)),
            },
        },
        Err(e) => {
            let mut missing: Vec<String> = reads
                .iter()
                .filter(|r| r.path.contains('.') && !facts.is_known(&r.path))
                .map(|r| r.path.clone())
                .collect();
            // The property that stopped evaluation names the fact actually needed
            // now; other unknown facts may never be reached (`a && b`), so asking
            // about them would be noise.
            if let rhai::EvalAltResult::ErrorPropertyNotFound(prop, _) = &*e {
                if let Some(first) = missing.iter().find(|p| p.rsplit('.').next() == Some(prop.as_str())).cloned() {
                    missing = vec![first];
                }
            }
            let is_missing = matches!(*e, rhai::EvalAltResult::ErrorPropertyNotFound(..));
            if is_missing || !missing.is_empty() {
                Outcome::Undecided { missing, error: None }
            } else {
                Outcome::Undecided {
                    missing,
                    error: Some(e.to_string()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(expr: &str, facts: &Facts) -> Outcome {
        let engine = build_engine();
        let ast = engine.compile_expression(expr).unwrap();
        let (reads, _) = analyze(&ast);
        evaluate(&engine, &mut scope_for(facts), &ast, &reads, facts)
    }

    #[test]
    fn helpers_are_sorted_and_documented_for_kb_authors() {
        let names: Vec<&str> = HELPERS.iter().map(|h| h.0).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "keep HELPERS sorted by name");
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../kb/README.md")).unwrap();
        for (name, _, _) in HELPERS {
            assert!(
                readme.contains(&format!("`{}(", name)),
                "kb/README.md does not document the helper `{}`",
                name
            );
        }
    }

    #[test]
    fn three_valued() {
        let mut f = Facts::new();
        f.set("device.port", json!(587)).unwrap();
        f.set("observed.code_ids", json!(["code.5.7.3"])).unwrap();
        assert_eq!(run("device.port == 587", &f), Outcome::True);
        assert_eq!(run("\"code.5.7.3\" in observed.code_ids", &f), Outcome::True);
        assert_eq!(run("device.port == 25", &f), Outcome::False);
        match run("device.server == \"smtp.office365.com\"", &f) {
            Outcome::Undecided { missing, .. } => {
                assert_eq!(missing, vec!["device.server".to_string()])
            }
            o => panic!("{:?}", o),
        }
        // Only the fact that stopped evaluation is asked for.
        match run("device.server == \"x\" && device.from == \"y\"", &f) {
            Outcome::Undecided { missing, .. } => assert_eq!(missing, vec!["device.server".to_string()]),
            o => panic!("{:?}", o),
        }
        // A decisive known part short-circuits an unknown one.
        assert_eq!(run("device.port == 25 && device.server == \"x\"", &f), Outcome::False);
        assert_eq!(run("\"device.port\" in known", &f), Outcome::True);
    }

    #[test]
    fn helpers_work() {
        let mut f = Facts::new();
        f.set("device.server", json!("Contoso-com.mail.protection.outlook.com")).unwrap();
        f.set("device.from", json!("a@Contoso.com")).unwrap();
        f.set("device.username", json!("b@contoso.com")).unwrap();
        assert_eq!(
            run("host_matches(device.server, \"*.mail.protection.outlook.com\")", &f),
            Outcome::True
        );
        assert_eq!(run("same_domain(device.from, device.username)", &f), Outcome::True);
        assert_eq!(run("is_ip(\"10.1.2.3\") && !is_ip(device.server)", &f), Outcome::True);
        f.set("log.rcpt_to", json!(["a@contoso.com", "b@sub.contoso.com"])).unwrap();
        assert_eq!(run("any_outside(log.rcpt_to, \"contoso.com\")", &f), Outcome::False);
        f.set("log.rcpt_to", json!(["a@contoso.com", "x@gmail.com"])).unwrap();
        assert_eq!(run("any_outside(log.rcpt_to, domain_of(device.from))", &f), Outcome::True);
    }

    #[test]
    fn sandbox_stops_runaway_and_rejects_statements() {
        let engine = build_engine();
        assert!(engine.compile_expression("loop { }").is_err());
        assert!(engine.compile_expression("let x = 1").is_err());
        assert!(engine.compile_expression("eval(\"1\")").is_err());
        let ast = engine.compile_expression("(0..10000000).map(|x| x).len() > 0");
        if let Ok(ast) = ast {
            let f = Facts::new();
            assert!(matches!(
                evaluate(&engine, &mut scope_for(&f), &ast, &[], &f),
                Outcome::Undecided { .. }
            ));
        }
    }

    #[test]
    fn analyze_finds_paths_and_calls() {
        let engine = build_engine();
        let ast = engine
            .compile_expression("device.usrname == \"x\" && host_matches(probe.mx.host, \"a\") && log.rcpt_to.len() > 0")
            .unwrap();
        let (reads, calls) = analyze(&ast);
        let paths: Vec<_> = reads.iter().map(|r| r.path.as_str()).collect();
        assert!(paths.contains(&"device.usrname"), "{:?}", paths);
        assert!(paths.contains(&"probe.mx.host"), "{:?}", paths);
        assert!(paths.contains(&"log.rcpt_to"), "{:?}", paths);
        assert!(calls.iter().any(|c| c.name == "host_matches"));
    }
}
