//! `--redact`: a shareable audit. Personal data (emails, logins, user names) and API key ids
//! and names are replaced by stable pseudonyms before any analysis or output sees them, so
//! every output (reports, FOCUS, ledger, history, the terminal summary) carries the pseudonym.
//!
//! A pseudonym is a keyed hash (HMAC-SHA256) of the value: the same value gives the same
//! pseudonym in every file and every month, so findings stay comparable, and without the key
//! nobody can confirm a guessed email by hashing it. The key comes from
//! `SPEND_AUDIT_REDACT_KEY`; without it a key built into the binary is used, which keeps the
//! pseudonyms stable but lets anyone holding this tool test a guess, and the report says so.
//!
//! Redaction happens once per line, after the config has attributed it (the config maps raw
//! key names to workloads and teams) and before it enters the ledger. Pseudonyms are cached,
//! so the hash runs once per distinct value.

use crate::ingest::IngestOutcome;
use crate::ledger::{ChargeKind, LedgerRow};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// What `--redact` replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RedactMode {
    /// People and API keys; workload, team and project names stay.
    Personal,
    /// Also workload, team, project, account and resource names, and every tag value.
    All,
}

/// The key built into the binary, used when `SPEND_AUDIT_REDACT_KEY` is not set.
const BUILT_IN_KEY: &[u8] = b"spend-audit built-in redaction key v1";

/// Tag keys whose values name a person, a login or a key (matched as substrings, lower-case).
const PERSONAL_TAG_KEYS: &[&str] = &[
    "user",
    "email",
    "login",
    "owner",
    "principal",
    "created_by",
    "requester",
    "api_key",
    "key_alias",
    "key_hash",
    "key_name",
    "ip_address",
    "username",
    "person",
    "employee",
    "author",
];

/// How a run was redacted, as `findings.json` and the reports state it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RedactionNote {
    pub mode: RedactMode,
    /// `SPEND_AUDIT_REDACT_KEY`, or `built-in` (pseudonyms a holder of this tool can test).
    pub key: String,
    /// Distinct values replaced, by class (`person`, `key`, `user`, and with `all` the others).
    pub replaced: BTreeMap<String, u64>,
}

/// Replaces personal values by pseudonyms; one per run.
pub struct Redactor {
    mode: RedactMode,
    key: Vec<u8>,
    custom_key: bool,
    cache: HashMap<(&'static str, String), String>,
}

impl Redactor {
    /// `key`: the secret (from `SPEND_AUDIT_REDACT_KEY`), else the built-in key.
    pub fn new(mode: RedactMode, key: Option<&str>) -> Redactor {
        let custom_key = key.is_some_and(|k| !k.is_empty());
        Redactor {
            mode,
            key: match key {
                Some(k) if !k.is_empty() => k.as_bytes().to_vec(),
                _ => BUILT_IN_KEY.to_vec(),
            },
            custom_key,
            cache: HashMap::new(),
        }
    }

    /// `class-xxxxxxxxxx`: 40 bits of HMAC-SHA256(key, class \0 value). Emails are compared
    /// case-insensitively, so `Alice@Corp.com` and `alice@corp.com` are one person.
    pub fn pseudonym(&mut self, class: &'static str, value: &str) -> String {
        let value = if class == "person" {
            value.trim().to_lowercase()
        } else {
            value.trim().to_string()
        };
        if let Some(p) = self.cache.get(&(class, value.clone())) {
            return p.clone();
        }
        let mut msg = Vec::with_capacity(class.len() + 1 + value.len());
        msg.extend_from_slice(class.as_bytes());
        msg.push(0);
        msg.extend_from_slice(value.as_bytes());
        let mac = hmac_sha256(&self.key, &msg);
        let hex: String = mac[..5].iter().map(|b| format!("{b:02x}")).collect();
        let p = format!("{class}-{hex}");
        self.cache.insert((class, value), p.clone());
        p
    }

    /// A value of a personal column: an email is a person; otherwise `class`.
    fn value(&mut self, class: &'static str, value: &str) -> String {
        if looks_like_email(value.trim()) {
            self.pseudonym("person", value)
        } else {
            self.pseudonym(class, value)
        }
    }

    /// Every email inside free text (a reason, a note, a path) replaced by its pseudonym.
    pub fn text(&mut self, s: &str) -> String {
        let spans = email_spans(s);
        if spans.is_empty() {
            return s.to_string();
        }
        let mut out = String::with_capacity(s.len());
        let mut at = 0;
        for (a, b) in spans {
            out.push_str(&s[at..a]);
            out.push_str(&self.pseudonym("person", &s[a..b]));
            at = b;
        }
        out.push_str(&s[at..]);
        out
    }

    /// Redacts one ledger line.
    pub fn row(&mut self, row: &mut LedgerRow) {
        // The api_key column is who or what used the money: a seat's user, a key's id or
        // alias, an IAM principal.
        let key_class = if matches!(row.charge_kind, ChargeKind::Seat | ChargeKind::Expense) {
            "user"
        } else {
            "key"
        };
        if let Some(v) = row.api_key.take() {
            let p = self.value(key_class, &v);
            // A line attributed to its user or key (a seat's workload defaults to the login)
            // names the person there too.
            for field in [&mut row.workload, &mut row.sub_account] {
                if field.as_deref() == Some(v.as_str()) {
                    *field = Some(p.clone());
                }
            }
            row.api_key = Some(p);
        }
        if let Some(t) = row.tags.take() {
            row.tags = Some(self.tags(&t));
        }
        row.source_file = self.text(&row.source_file);
        if self.mode == RedactMode::All {
            for (field, class) in [
                (&mut row.workload, "workload"),
                (&mut row.sub_account, "project"),
                (&mut row.billing_account, "account"),
                (&mut row.resource, "resource"),
                (&mut row.identity, "charge"),
            ] {
                if let Some(v) = field.take() {
                    *field = Some(self.value(class, &v));
                }
            }
        } else {
            for field in [
                &mut row.workload,
                &mut row.sub_account,
                &mut row.billing_account,
                &mut row.resource,
                &mut row.identity,
            ] {
                if let Some(v) = field.take() {
                    *field = Some(self.text(&v));
                }
            }
        }
    }

    /// Tags: a JSON object keeps its keys; values under personal keys (all values with
    /// `all`) become pseudonyms, emails anywhere too. Other tag text has its emails replaced.
    fn tags(&mut self, text: &str) -> String {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => self.json(v, false).to_string(),
            Err(_) if self.mode == RedactMode::All => self.pseudonym("tag", text),
            Err(_) => self.text(text),
        }
    }

    fn json(&mut self, v: serde_json::Value, personal: bool) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let lower = k.to_lowercase();
                        let p = personal || PERSONAL_TAG_KEYS.iter().any(|h| lower.contains(h));
                        let v = self.json(v, p);
                        (k, v)
                    })
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|x| self.json(x, personal)).collect())
            }
            Value::String(s) if personal => Value::String(self.value("user", &s)),
            Value::String(s) if self.mode == RedactMode::All => {
                Value::String(self.pseudonym("tag", &s))
            }
            Value::String(s) => Value::String(self.text(&s)),
            Value::Number(n) if personal => Value::String(self.value("user", &n.to_string())),
            other => other,
        }
    }

    /// File paths, reasons and notes of the run's inputs and rejected rows.
    pub fn outcome(&mut self, outcome: &mut IngestOutcome) {
        for i in &mut outcome.inputs {
            i.path = self.text(&i.path);
            if let Some(r) = i.reason.take() {
                i.reason = Some(self.text(&r));
            }
        }
        for r in &mut outcome.rejects {
            r.file = self.text(&r.file);
            r.reason = self.text(&r.reason);
        }
    }

    /// The config's owners (workload → person): the person becomes a pseudonym, and with
    /// `all` the workload too, as its lines name it.
    pub fn owners(&mut self, owners: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        owners
            .iter()
            .map(|(workload, person)| {
                let workload = match self.mode {
                    RedactMode::All => self.value("workload", workload),
                    RedactMode::Personal => workload.clone(),
                };
                (workload, self.value("owner", person))
            })
            .collect()
    }

    /// What was replaced, for the report.
    pub fn note(&self) -> RedactionNote {
        let mut replaced = BTreeMap::new();
        for (class, _) in self.cache.keys() {
            *replaced.entry(class.to_string()).or_insert(0) += 1;
        }
        RedactionNote {
            mode: self.mode,
            key: if self.custom_key {
                "SPEND_AUDIT_REDACT_KEY".to_string()
            } else {
                "built-in".to_string()
            },
            replaced,
        }
    }
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-'".contains(c)
}

fn domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.'
}

/// Byte ranges of the email addresses in `s` (`local@domain.tld`).
fn email_spans(s: &str) -> Vec<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (at, _) in s.match_indices('@') {
        if spans.last().is_some_and(|&(_, end)| at < end) {
            continue;
        }
        let mut a = at;
        while a > 0 && local_char(bytes[a - 1] as char) {
            a -= 1;
        }
        let mut b = at + 1;
        while b < bytes.len() && domain_char(bytes[b] as char) {
            b += 1;
        }
        // A trailing dot ends a sentence, not the domain.
        while b > at + 1 && bytes[b - 1] == b'.' {
            b -= 1;
        }
        let domain = &s[at + 1..b];
        let tld_ok = domain.rsplit_once('.').is_some_and(|(host, tld)| {
            !host.is_empty() && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
        });
        if a < at && tld_ok {
            spans.push((a, b));
        }
    }
    spans
}

fn looks_like_email(s: &str) -> bool {
    email_spans(s) == [(0, s.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn pseudonyms_are_stable_keyed_and_case_blind_for_emails() {
        let mut a = Redactor::new(RedactMode::Personal, None);
        let p = a.pseudonym("person", "Alice@Corp.com");
        assert_eq!(p, a.pseudonym("person", "alice@corp.com"));
        assert_eq!(
            p,
            Redactor::new(RedactMode::Personal, None).pseudonym("person", "alice@corp.com")
        );
        assert!(
            p.starts_with("person-") && p.len() == "person-".len() + 10,
            "{p}"
        );
        let keyed = Redactor::new(RedactMode::Personal, Some("s3cret"))
            .pseudonym("person", "alice@corp.com");
        assert_ne!(p, keyed, "another key, another pseudonym");
        assert_ne!(p, a.pseudonym("person", "bob@corp.com"));
    }

    #[test]
    fn emails_are_found_inside_text() {
        let mut r = Redactor::new(RedactMode::Personal, None);
        let t = r.text("`alice.o'neil+ai@corp.co.uk` is not a date. Mail bob@x.io.");
        assert!(!t.contains("alice") && !t.contains("bob@"), "{t}");
        assert!(t.ends_with('.') && t.contains("is not a date"), "{t}");
        assert_eq!(
            r.text("a @ b, user@localhost, 2 @ 3.5"),
            "a @ b, user@localhost, 2 @ 3.5"
        );
    }

    #[test]
    fn personal_tag_values_go_and_team_tags_stay() {
        let mut r = Redactor::new(RedactMode::Personal, None);
        let t = r.tags(r#"{"team":"search","user_api_key_user_id":"u-17","note":"ask carol@corp.com","end_user":42}"#);
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        assert_eq!(v["team"], "search");
        assert!(v["user_api_key_user_id"]
            .as_str()
            .unwrap()
            .starts_with("user-"));
        assert!(v["end_user"].as_str().unwrap().starts_with("user-"));
        assert!(!t.contains("carol") && !t.contains("u-17"), "{t}");
        let mut all = Redactor::new(RedactMode::All, None);
        assert!(!all.tags(r#"{"team":"search"}"#).contains("search"));
    }

    #[test]
    fn a_row_keeps_its_workload_unless_all() {
        let mut row = LedgerRow::new(
            "github",
            crate::ledger::RecordRole::Billed,
            ChargeKind::Seat,
            0,
            0,
            "seats.json",
            2,
        );
        row.api_key = Some("octocat".into());
        row.workload = Some("engineering".into());
        let mut r = Redactor::new(RedactMode::Personal, None);
        let mut personal = row.clone();
        r.row(&mut personal);
        assert!(personal.api_key.as_deref().unwrap().starts_with("user-"));
        assert_eq!(personal.workload.as_deref(), Some("engineering"));
        let mut all = row.clone();
        Redactor::new(RedactMode::All, None).row(&mut all);
        assert!(all.workload.as_deref().unwrap().starts_with("workload-"));
        assert_eq!(r.note().replaced.get("user"), Some(&1));
    }
}
