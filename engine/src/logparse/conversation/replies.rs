//! Server replies inside a conversation: merging the lines of a multi-line
//! reply, pairing each reply with the command it answers (FIFO, so pipelined
//! clients work), the stage of a reply no command explains (banner, end of
//! data, more of the same exchange), and what each reply says about the session
//! (AUTH succeeded or failed, STARTTLS refused, message accepted).

use super::reply_line::{same_reply, split_enhanced, split_reply_line, strip_same_enhanced};
use super::{Conversation, OpenReply};
use crate::kb::raw::Stage;
use crate::logparse::output::{Direction, StagedReply, MAX_STEPS};
use crate::reply::Reply;

impl Conversation {
    /// One physical server line (`250-SIZE 157286400`); multi-line replies are merged.
    pub fn server_line(&mut self, text: &str, line: usize) {
        let text = text.trim_end_matches(['\r', '\n']);
        let Some((code, sep, rest)) = split_reply_line(text) else {
            if let Some(open) = self.open.as_mut() {
                if !text.trim().is_empty() && open.reply.text.len() < 8000 {
                    open.reply.text.push('\n');
                    open.reply.text.push_str(text.trim());
                }
            }
            return;
        };
        if let Some(open) = self.open.as_mut() {
            if open.reply.code == Some(code) {
                let rest = strip_same_enhanced(rest, open.reply.enhanced.as_deref());
                if open.reply.text.len() < 8000 {
                    if !open.reply.text.is_empty() || open.lines > 0 {
                        open.reply.text.push('\n');
                    }
                    open.reply.text.push_str(crate::logparse::lex::trim(rest));
                }
                open.lines += 1;
                if sep != '-' {
                    self.flush();
                }
                return;
            }
            self.flush();
        }
        let (enhanced, body) = split_enhanced(rest);
        let mut text = self.spare_text.take().unwrap_or_default();
        text.clear();
        text.push_str(crate::logparse::lex::trim(body));
        let reply = Reply {
            code: Some(code),
            enhanced: enhanced.map(|e| {
                let mut owned = self.spare_enhanced.take().unwrap_or_default();
                owned.clear();
                owned.push_str(e);
                owned
            }),
            text,
            line,
            nested: false,
        };
        if sep == '-' {
            self.open = Some(OpenReply { reply, lines: 1 });
        } else {
            self.finish(reply, None);
        }
    }

    /// Closes a multi-line reply left open.
    pub fn flush(&mut self) {
        if let Some(open) = self.open.take() {
            let multi = open.lines > 1;
            let r = open.reply;
            let stage = self.finish(r, None);
            if stage == Stage::Ehlo && multi {
                let text = self.facts.replies.last().map(|r| r.reply.text.clone()).unwrap_or_default();
                self.extensions(text.lines());
            }
        }
    }

    /// A complete reply from a summary or exception. `echo`: it may repeat a
    /// reply the transcript already showed (then it only lends its stage).
    pub fn reply(&mut self, r: Reply, stage: Option<Stage>, echo: bool) {
        self.flush();
        if echo {
            if let Some(prev) = self.facts.replies.iter_mut().rev().take(8).find(|p| same_reply(&p.reply, &r)) {
                if prev.stage == Stage::Unknown {
                    if let Some(s) = stage {
                        prev.stage = s;
                    }
                }
                return;
            }
        }
        self.finish(r, Some(stage.unwrap_or(Stage::Unknown)));
        if echo {
            if let Some(last) = self.facts.replies.last_mut() {
                last.echo = true;
            }
        }
    }

    /// Sets the stage of the last reply when it is unknown (`command: 'AUTH LOGIN'`).
    pub fn last_reply_stage(&mut self, stage: Stage) {
        let mut code = None;
        if let Some(r) = self.facts.replies.last_mut().filter(|r| r.stage == Stage::Unknown) {
            r.stage = stage;
            code = Some(r.reply.code);
        }
        if let Some(code) = code {
            self.outcome(code, stage);
        }
    }

    /// Records a complete reply, pairing it with its command. Returns its stage.
    pub(super) fn finish(&mut self, r: Reply, given: Option<Stage>) -> Stage {
        let popped = if given.is_none() { self.pending.pop_front() } else { None };
        let stage = given.or(popped).unwrap_or_else(|| self.stage_without_command(r.code));
        if stage == Stage::Banner {
            if self.commands > 0 {
                let line = r.line;
                self.connect(None, None, line, "new connection");
            }
            self.facts.banner_seen = Some(true);
            self.banner_here = true;
            if let Some(host) = r
                .text
                .split_whitespace()
                .next()
                .filter(|h| crate::logparse::lex::is_host(h) && r.code == Some(220))
            {
                self.facts.server_host = Some(host.to_string());
            }
        }
        if stage == Stage::Ehlo && self.facts.server_host.is_none() {
            if let Some(host) = r
                .text
                .split_whitespace()
                .next()
                .filter(|h| crate::logparse::lex::is_host(h) && r.code == Some(250))
            {
                self.facts.server_host = Some(host.to_string());
            }
        }
        self.last_stage = Some(stage);
        self.outcome(r.code, stage);
        if r.code == Some(354) {
            self.in_data = true;
        }
        if r.code == Some(334) && stage == Stage::Auth {
            self.login_prompt(&r.text);
        }
        if self.steps.len() < MAX_STEPS {
            let shown = r.display();
            self.step(r.line, stage, Direction::Server, &shown);
        } else {
            self.dropped_steps += 1;
        }
        // An error summary printed before the transcript (stderr first): the transcript's copy wins.
        let n = self.facts.replies.len();
        if let Some(i) = (n.saturating_sub(8)..n)
            .rev()
            .find(|&i| self.facts.replies[i].echo && same_reply(&self.facts.replies[i].reply, &r))
        {
            self.facts.replies.remove(i);
        }
        if let Some(dropped) = self.facts.keep_reply(StagedReply {
            reply: r,
            stage,
            echo: false,
        }) {
            self.spare_text = Some(dropped.reply.text);
            self.spare_enhanced = dropped.reply.enhanced.or(self.spare_enhanced.take());
        }
        stage
    }

    /// No command waits: the banner, the answer to message content, or more of the last exchange.
    pub(super) fn stage_without_command(&mut self, code: Option<u16>) -> Stage {
        if self.commands == 0 && matches!(self.last_stage, None | Some(Stage::Connect | Stage::Banner | Stage::Tls)) && code.is_some() {
            return Stage::Banner;
        }
        if code == Some(220) && self.commands > 0 && self.last_stage != Some(Stage::Starttls) {
            return Stage::Banner;
        }
        if self.in_data {
            self.in_data = false;
            return Stage::EndOfData;
        }
        self.last_stage.filter(|s| *s != Stage::Connect).unwrap_or(Stage::Unknown)
    }

    /// What a reply at a stage says about the session.
    pub(super) fn outcome(&mut self, code: Option<u16>, stage: Stage) {
        let Some(code) = code else {
            if stage == Stage::Auth {
                self.auth_failed();
            }
            if stage == Stage::EndOfData {
                self.facts.data_accepted = Some(false);
            }
            return;
        };
        match stage {
            Stage::Auth if code == 235 => {
                self.auth_succeeded();
                self.auth = None;
            }
            Stage::Auth if code == 334 => {}
            Stage::Auth if code >= 400 => {
                self.auth_failed();
                self.auth = None;
            }
            Stage::Starttls if code >= 400 => self.facts.tls_established = Some(false),
            Stage::EndOfData => self.facts.data_accepted = Some((200..300).contains(&code)),
            Stage::MailFrom if self.auth_failed_here || self.facts.auth_failed == Some(true) && self.commands == 0 => {
                self.facts.continued_after_auth_failure = Some(true);
            }
            _ => {}
        }
    }
}
