//! Prometheus' text exposition format (version 0.0.4): one `# HELP` and `# TYPE` line per
//! family, then its samples, label values escaped.

use std::fmt::Write;

/// The media type of the format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A document being written.
#[derive(Default)]
pub struct Exposition {
    out: String,
}

/// What a family's samples mean to Prometheus.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Only goes up (until the process restarts).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Observations in cumulative buckets, with their sum and count.
    Histogram,
}

impl Exposition {
    /// Starts a family: its help text and kind.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        let help = help.replace('\\', r"\\").replace('\n', r"\n");
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// One sample of the current family.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (label, text)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let text = text
                    .replace('\\', r"\\")
                    .replace('"', "\\\"")
                    .replace('\n', r"\n");
                let _ = write!(self.out, "{label}=\"{text}\"");
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_escaped_labels() {
        let mut text = Exposition::default();
        text.family("x_total", Kind::Counter, "Things.\nMore");
        text.sample("x_total", &[], 3.0);
        text.sample("x_total", &[("field", "a\"b\\c\nd"), ("k", "v")], 0.25);
        assert_eq!(
            text.finish(),
            "# HELP x_total Things.\\nMore\n# TYPE x_total counter\nx_total 3\n\
             x_total{field=\"a\\\"b\\\\c\\nd\",k=\"v\"} 0.25\n"
        );
    }
}
