//! Rendering a report as text (for a terminal, optionally coloured) or Markdown
//! (to paste into a ticket). JSON is the report serialized as it is. Headings come
//! from the KB's `messages`, so they are translated like everything else.

use crate::i18n::Translator;
use crate::kb::Kb;
use crate::report::*;
use std::fmt::Write;

/// Text styling: ANSI codes only when colour is on.
struct Style(bool);

impl Style {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{}m{}\x1b[0m", code, s)
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn source_text(s: &Option<SourceOut>) -> String {
    match s {
        Some(s) if s.line > 0 => format!("{}:{}", s.file, s.line),
        Some(s) => s.file.clone(),
        None => String::new(),
    }
}

fn reply_line(r: &ReplyOut) -> String {
    let mut s = String::new();
    if let Some(c) = r.code {
        let _ = write!(s, "{} ", c);
    }
    if let Some(e) = &r.enhanced {
        let _ = write!(s, "{} ", e);
    }
    s.push_str(&r.text.replace('\n', " / "));
    if s.chars().count() > 160 {
        s = s.chars().take(157).collect::<String>() + "...";
    }
    s
}

/// Plain text. `color` adds ANSI styling.
pub fn text(report: &Report, kb: &Kb, color: bool) -> String {
    let tr = Translator::new(kb, &report.lang);
    let st = Style(color);
    let mut o = String::new();
    let _ = writeln!(o, "{}", st.bold(&tr.msg("report.title")));
    match &report.method {
        Some(m) => {
            let _ = writeln!(
                o,
                "\n{} {} ({} {})",
                st.bold(&tr.msg("report.method")),
                m.title,
                tr.msg("report.confidence"),
                pct(m.confidence)
            );
            let _ = writeln!(o, "  {} {}", tr.msg("report.why"), m.why);
        }
        None => {
            let _ = writeln!(o, "\n{} {}", st.bold(&tr.msg("report.method")), tr.msg("report.method-unknown"));
        }
    }
    if !report.replies.is_empty() {
        let _ = writeln!(o, "\n{}", st.bold(&tr.msg("report.replies")));
        for r in &report.replies {
            let class = r.code_id.as_deref().map(|c| format!(" [{}]", c)).unwrap_or_default();
            let unconf = if r.confidence.as_deref() == Some("unconfirmed") {
                format!(" ({})", tr.msg("report.unconfirmed"))
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "  {}{}{}  {}",
                reply_line(r),
                st.dim(&class),
                unconf,
                st.dim(&source_text(&r.source))
            );
        }
    }
    if report.causes.is_empty() {
        let _ = writeln!(o, "\n{}", tr.msg("report.no-causes"));
    } else {
        let _ = writeln!(o, "\n{}", st.bold(&tr.msg("report.causes")));
        for (i, c) in report.causes.iter().enumerate() {
            let unconf = if c.unconfirmed {
                format!(" ({})", tr.msg("report.unconfirmed"))
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "  {}. {}  {}{}  {}",
                i + 1,
                st.bold(&c.title),
                pct(c.score),
                unconf,
                st.dim(&c.id)
            );
            for line in c.explanation.lines() {
                let _ = writeln!(o, "     {}", line);
            }
            for e in &c.evidence {
                let src = source_text(&e.source);
                let src = if src.is_empty() {
                    String::new()
                } else {
                    format!("  {}", st.dim(&src))
                };
                let _ = writeln!(o, "     - {}: {}{}", tr.msg(&format!("report.evidence-{}", e.kind)), e.text, src);
            }
        }
    }
    if !report.fixes.is_empty() {
        let _ = writeln!(o, "\n{}", st.bold(&tr.msg("report.fixes")));
        for f in &report.fixes {
            let risk = format!("{} {}", tr.msg("report.risk"), tr.msg(&format!("risk.{}", f.risk)));
            let risk = if f.risk == "high" {
                st.red(&risk)
            } else if f.risk == "medium" {
                st.yellow(&risk)
            } else {
                risk
            };
            let _ = writeln!(o, "  {}. {}  [{}]  {}", f.rank, st.bold(&f.title), risk, st.dim(&f.id));
            let _ = writeln!(o, "     {} {}", tr.msg("report.for"), f.for_causes.join(", "));
            if let Some(w) = &f.warning {
                let _ = writeln!(o, "     {} {}", st.red(&tr.msg("report.warning")), w);
            }
            for (n, s) in f.steps.iter().enumerate() {
                let _ = writeln!(o, "     {}) {}", n + 1, s);
            }
            for c in &f.commands {
                let _ = writeln!(o, "       {} {}", st.dim(&format!("{}>", c.shell)), c.run);
            }
        }
    }
    if !report.questions.is_empty() {
        let _ = writeln!(o, "\n{}", st.bold(&tr.msg("report.questions")));
        for q in &report.questions {
            let _ = writeln!(o, "  - {}", q.text);
            let _ = writeln!(o, "    {}", st.dim(&q.answer_hint));
        }
    }
    if let Some(t) = &report.trace {
        let _ = writeln!(o, "\n{}", st.bold("trace"));
        for r in t {
            let extra = if r.missing.is_empty() {
                String::new()
            } else {
                format!(" (missing: {})", r.missing.join(", "))
            };
            let err = r.error.as_deref().map(|e| format!(" error: {}", e)).unwrap_or_default();
            let _ = writeln!(o, "  {} = {}{}{}", r.rule, r.outcome, extra, err);
        }
    }
    o
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown for a ticket.
/// A Markdown code fence that `text` cannot close: one backtick more than its
/// longest run of backticks, three at the least. PowerShell escapes with a
/// backtick, and a command filled with a user's value may hold any text.
pub fn code_fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

pub fn markdown(report: &Report, kb: &Kb) -> String {
    let tr = Translator::new(kb, &report.lang);
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", tr.msg("report.title"));
    match &report.method {
        Some(m) => {
            let _ = writeln!(
                o,
                "**{}** {} ({} {})\n\n> {}\n",
                tr.msg("report.method"),
                m.title,
                tr.msg("report.confidence"),
                pct(m.confidence),
                m.why
            );
        }
        None => {
            let _ = writeln!(o, "**{}** {}\n", tr.msg("report.method"), tr.msg("report.method-unknown"));
        }
    }
    if !report.replies.is_empty() {
        let _ = writeln!(o, "## {}\n", tr.msg("report.replies"));
        let _ = writeln!(o, "| reply | class | source |\n|---|---|---|");
        for r in &report.replies {
            let _ = writeln!(
                o,
                "| `{}` | {} | {} |",
                md_escape(&reply_line(r)).replace('`', "'"),
                r.code_id.as_deref().unwrap_or("-"),
                source_text(&r.source)
            );
        }
        o.push('\n');
    }
    if report.causes.is_empty() {
        let _ = writeln!(o, "{}\n", tr.msg("report.no-causes"));
    } else {
        let _ = writeln!(o, "## {}\n", tr.msg("report.causes"));
        for (i, c) in report.causes.iter().enumerate() {
            let unconf = if c.unconfirmed {
                format!(" _({})_", tr.msg("report.unconfirmed"))
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "{}. **{}** ({}){} `{}`  \n   {}",
                i + 1,
                c.title,
                pct(c.score),
                unconf,
                c.id,
                c.explanation.replace('\n', " ")
            );
            for e in &c.evidence {
                let src = source_text(&e.source);
                let src = if src.is_empty() { String::new() } else { format!(" ({})", src) };
                let _ = writeln!(o, "   - {}: {}{}", tr.msg(&format!("report.evidence-{}", e.kind)), e.text, src);
            }
        }
        o.push('\n');
    }
    if !report.fixes.is_empty() {
        let _ = writeln!(o, "## {}\n", tr.msg("report.fixes"));
        for f in &report.fixes {
            let _ = writeln!(
                o,
                "### {}. {} ({} {})\n",
                f.rank,
                f.title,
                tr.msg("report.risk"),
                tr.msg(&format!("risk.{}", f.risk))
            );
            if let Some(w) = &f.warning {
                let _ = writeln!(o, "> **{}** {}\n", tr.msg("report.warning"), w);
            }
            for (n, s) in f.steps.iter().enumerate() {
                let _ = writeln!(o, "{}. {}", n + 1, s);
            }
            for c in &f.commands {
                let lang = if c.shell == "sh" { "sh" } else { c.shell.as_str() };
                let fence = code_fence(&c.run);
                let _ = writeln!(o, "\n{}{}\n{}\n{}", fence, lang, c.run, fence);
            }
            let _ = writeln!(o, "\n_{} {}_\n", tr.msg("report.for"), f.for_causes.join(", "));
        }
    }
    if !report.questions.is_empty() {
        let _ = writeln!(o, "## {}\n", tr.msg("report.questions"));
        for q in &report.questions {
            let _ = writeln!(o, "- {} (`{}`)", q.text, q.answer_hint);
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_fences_outlast_the_backticks_inside() {
        assert_eq!(code_fence("Get-Mailbox x"), "```");
        assert_eq!(code_fence("Write-Host `n"), "```");
        assert_eq!(code_fence("a ``` b"), "````");
        assert_eq!(code_fence("````"), "`````");
    }
}
