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

    /// The error that ends the run; always written.
    pub fn error(&self, msg: &str) {
        self.emit("error", "error", msg, Value::Null);
    }

    /// Writes one line. A write that fails (stderr closed, a full disk
    /// under `2>>log`) is ignored: the run's outcome is in its exit code,
    /// and a log line is not worth failing a build that is otherwise
    /// fine (`eprintln!` would panic).
    fn emit(&self, level: &str, step: &str, msg: &str, fields: Value) {
        use std::io::Write;
        let msg = pdnsfile::record::escape_text_str(msg);
        let mut err = std::io::stderr().lock();
        let _ = match self.format {
            LogFormat::Text => writeln!(err, "pdns-build: {step}: {msg}"),
            LogFormat::Json => {
                let mut m = Map::new();
                m.insert("level".into(), json!(level));
                m.insert("step".into(), json!(step));
                m.insert("msg".into(), json!(msg));
                if let Value::Object(f) = fields {
                    m.extend(f);
                }
                writeln!(err, "{}", Value::Object(m))
            }
        };
    }
}
