//! One log line per step on stderr, as text for people or JSON for log
//! collectors (`--log-format json`). Every string that came from input is
//! escaped before it is written, so a hostile name cannot reach the
//! terminal raw.

use serde_json::{json, Map, Value};

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `pdns-build: step: message`.
    #[default]
    Text,
    /// One JSON object a line: `{"level":..,"step":..,"msg":..,...}`.
    Json,
}

/// Where and how much to log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// Line format.
    pub format: LogFormat,
    /// Only warnings and errors.
    pub quiet: bool,
}

impl Log {
    /// A progress or summary line; silent with `quiet`.
    pub fn info(&self, step: &str, msg: &str, fields: Value) {
        if !self.quiet {
            self.emit("info", step, msg, fields);
        }
    }

    /// A problem that does not stop the run (a bad line, an unreadable
    /// input); always written.
    pub fn warn(&self, step: &str, msg: &str, fields: Value) {
        self.emit("warn", step, msg, fields);
    }

    fn emit(&self, level: &str, step: &str, msg: &str, fields: Value) {
        let msg = pdnsfile::record::escape_text_str(msg);
        match self.format {
            LogFormat::Text => eprintln!("pdns-build: {step}: {msg}"),
            LogFormat::Json => {
                let mut m = Map::new();
                m.insert("level".into(), json!(level));
                m.insert("step".into(), json!(step));
                m.insert("msg".into(), json!(msg));
                if let Value::Object(f) = fields {
                    m.extend(f);
                }
                eprintln!("{}", Value::Object(m));
            }
        }
    }
}
