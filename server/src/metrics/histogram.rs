//! A latency histogram with fixed buckets (Prometheus' default ones, 5 ms to 10 s).

use super::text::Exposition;

/// Upper bounds of the buckets, in seconds; a last one, `+Inf`, is implied.
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Observations counted per bucket (not cumulated: [`Histogram::write`] does that).
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
}

impl Histogram {
    /// Counts one observation of `seconds`.
    pub fn observe(&mut self, seconds: f64) {
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        self.counts[bucket] += 1;
        self.sum += seconds;
    }

    /// Writes the `_bucket`, `_sum` and `_count` samples of `name` with `labels`.
    pub fn write(&self, text: &mut Exposition, name: &str, labels: &[(&str, &str)]) {
        let mut cumulated = 0;
        let bounds = BUCKETS.iter().map(f64::to_string).chain(["+Inf".into()]);
        for (count, bound) in self.counts.iter().zip(bounds) {
            cumulated += count;
            let mut labels = labels.to_vec();
            labels.push(("le", &bound));
            text.sample(&format!("{name}_bucket"), &labels, cumulated as f64);
        }
        text.sample(&format!("{name}_sum"), labels, self.sum);
        text.sample(&format!("{name}_count"), labels, cumulated as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_the_last_is_infinite() {
        let mut histogram = Histogram::default();
        for seconds in [0.001, 0.005, 0.3, 60.0] {
            histogram.observe(seconds);
        }
        let mut text = Exposition::default();
        histogram.write(&mut text, "t", &[("route", "/x")]);
        let text = text.finish();
        assert!(
            text.contains("t_bucket{route=\"/x\",le=\"0.005\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("t_bucket{route=\"/x\",le=\"0.25\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("t_bucket{route=\"/x\",le=\"0.5\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("t_bucket{route=\"/x\",le=\"+Inf\"} 4\n"),
            "{text}"
        );
        assert!(text.contains("t_count{route=\"/x\"} 4\n"), "{text}");
        assert!(text.contains("t_sum{route=\"/x\"} 60.306"), "{text}");
    }
}
