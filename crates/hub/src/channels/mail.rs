//! Composing one e-mail as mail providers expect it: `Message-ID` (one per delivery, the
//! same on every retry), `Date`, a text part and an HTML part made from it, the
//! recipient's `Content-Language`, `Auto-Submitted`, `Importance: high` for critical
//! alerts, and for every other alert a one-click `List-Unsubscribe` (RFC 8058).

use crate::store::Delivery;
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

fn raw(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// The message of a delivery. `unsubscribe`: the one-click link, for non-critical alerts.
pub fn compose(from: &Mailbox, d: &Delivery, unsubscribe: Option<&str>) -> Result<Message, String> {
    let to: Mailbox = d
        .recipient
        .parse()
        .map_err(|e| format!("recipient {:?} is not an address: {e}", d.recipient))?;
    let domain = from.email.domain().to_owned();
    let mut b = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(d.subject.clone())
        .message_id(Some(format!("<{}@{domain}>", d.id.simple())))
        .date_now()
        .raw_header(raw("Auto-Submitted", "auto-generated".into()))
        .raw_header(raw("X-Tsunagi-Event", d.event_id.to_string()))
        .raw_header(raw("X-Tsunagi-Topic", d.topic.clone()));
    if let Some(l) = &d.locale {
        b = b.raw_header(raw("Content-Language", l.clone()));
    }
    if d.critical {
        b = b.raw_header(raw("Importance", "high".into()));
    }
    if let Some(url) = unsubscribe {
        b = b
            .raw_header(raw("List-Unsubscribe", format!("<{url}>")))
            .raw_header(raw(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    let html = html_of(&d.subject, &d.body, d.locale.as_deref().unwrap_or("ja"));
    b.multipart(MultiPart::alternative_plain_html(d.body.clone(), html))
        .map_err(|e| e.to_string())
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A line with its URLs as links (escaped everywhere else).
fn linkify(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = ["https://", "http://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        out.push_str(&escape(&rest[..i]));
        let url_end = rest[i..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '）' | '」'))
            .map_or(rest.len(), |e| i + e);
        let url = escape(&rest[i..url_end]);
        out.push_str(&format!("<a href=\"{url}\">{url}</a>"));
        rest = &rest[url_end..];
    }
    out.push_str(&escape(rest));
    out
}

/// The HTML part: the text's paragraphs, its links clickable, nothing else added.
pub fn html_of(subject: &str, text: &str, lang: &str) -> String {
    let body: Vec<String> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let lines: Vec<String> = p.trim_matches('\n').lines().map(linkify).collect();
            format!("<p>{}</p>", lines.join("<br>\n"))
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body style=\"font-family: sans-serif; line-height: 1.6\">\n{}\n</body></html>\n",
        escape(lang),
        escape(subject),
        body.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_keeps_the_text_escapes_it_and_links_urls() {
        let h = html_of(
            "件名 <x>",
            "田中 様\n\n■ 次に行っていただくこと\n更新: https://portal.example/a?b=1&c=2\n\n<script>",
            "ja",
        );
        assert!(h.contains("<html lang=\"ja\">"));
        assert!(h.contains("<title>件名 &lt;x&gt;</title>"));
        assert!(h.contains("<p>田中 様</p>"));
        assert!(h.contains(
            "更新: <a href=\"https://portal.example/a?b=1&amp;c=2\">https://portal.example/a?b=1&amp;c=2</a>"
        ));
        assert!(h.contains("<p>&lt;script&gt;</p>") && !h.contains("<script>"));
    }
}
