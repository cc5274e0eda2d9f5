//! `smtp-doctor kb ...`: listing the knowledge base.

use super::common::{emit, to_json, CliError, Format, GlobalArgs};
use clap::{Args, Subcommand};
use serde::Serialize;
use smtp_doctor_engine::i18n::Translator;
use smtp_doctor_engine::kb::EntryKind;

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// List the entries with their ids and titles.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this kind (method, symptom, code, cause, fix, rule, question, case).
    #[arg(long)]
    pub kind: Option<String>,
}

#[derive(Serialize)]
struct Row {
    kind: &'static str,
    id: String,
    title: String,
}

pub fn run(g: &GlobalArgs, c: &KbCommand) -> Result<i32, CliError> {
    match c {
        KbCommand::List(a) => list(g, a),
    }
}

fn list(g: &GlobalArgs, a: &ListArgs) -> Result<i32, CliError> {
    let kind = match &a.kind {
        Some(k) => Some(EntryKind::parse(k).ok_or_else(|| {
            CliError::usage(format!(
                "unknown kind `{}` (method, symptom, code, cause, fix, rule, question, case)",
                k
            ))
        })?),
        None => None,
    };
    let (kb, _) = g.load_kb()?;
    let lang = g.lang();
    let tr = Translator::new(&kb, &lang);
    let rows: Vec<Row> = kb
        .titles()
        .into_iter()
        .filter(|(k, _, _)| kind.is_none_or(|w| w == *k))
        .map(|(k, id, title)| {
            let field = match k {
                EntryKind::Rule => "evidence",
                EntryKind::Question => "text",
                EntryKind::Case => "description",
                _ => "title",
            };
            Row {
                kind: k.prefix(),
                title: tr.text(&id, field, &title),
                id,
            }
        })
        .collect();
    let out = match g.format {
        Format::Json => to_json(&rows),
        Format::Markdown => {
            let mut o = String::from("| kind | id | title |\n|---|---|---|\n");
            for r in &rows {
                o.push_str(&format!("| {} | `{}` | {} |\n", r.kind, r.id, r.title.replace('|', "\\|")));
            }
            o
        }
        Format::Text => {
            let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(0);
            rows.iter().map(|r| format!("{:<w$}  {}\n", r.id, r.title, w = w)).collect()
        }
    };
    emit(&out)?;
    Ok(0)
}
