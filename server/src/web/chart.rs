//! A bar chart as inline SVG, drawn on the server: one bar per district (its value in
//! percent, printed on the bar), a dashed horizontal line at the target with its label. A
//! district without data has no bar and shows "—". No script, no outside assets.

use super::i18n::{t, Lang};
use maud::{html, Markup};

/// One bar: a label and a share (0–1), `None` when there is no data.
pub struct Bar<'a> {
    /// The district.
    pub label: &'a str,
    /// The share, or none.
    pub value: Option<f64>,
}

const SLOT: f64 = 110.0;
const LEFT: f64 = 58.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 26.0;
const PLOT: f64 = 180.0;
const BOTTOM: f64 = 46.0;

/// The chart of one indicator; `key` names it for styling and tests.
pub fn bar_chart(key: &str, title: &str, bars: &[Bar<'_>], target: f64, lang: Lang) -> Markup {
    let slots = bars.len().max(1) as f64;
    let width = LEFT + slots * SLOT + RIGHT;
    let height = TOP + PLOT + BOTTOM;
    let baseline = TOP + PLOT;
    let y_of = |share: f64| baseline - share.clamp(0.0, 1.0) * PLOT;
    let target_y = y_of(target);
    let target_text = format!("{} {}", lang.t(&t::TARGET), lang.percent(target));
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (n(width)) " " (n(height))}
            role="img" aria-label=(title) data-indicator=(key) data-target=(target)
            font-family="system-ui, sans-serif" font-size="13" {
            title { (title) }
            // Grid and axis labels at every quarter.
            @for quarter in 0..=4 {
                @let share = f64::from(quarter) / 4.0;
                @let y = y_of(share);
                line.grid x1=(n(LEFT)) x2=(n(width - RIGHT)) y1=(n(y)) y2=(n(y))
                    stroke="#d8dee6" stroke-width="1" {}
                text x=(n(LEFT - 6.0)) y=(n(y + 4.0)) text-anchor="end" fill="#5b6776" {
                    (lang.percent(share))
                }
            }
            @for (i, bar) in bars.iter().enumerate() {
                @let center = LEFT + (i as f64 + 0.5) * SLOT;
                g.district data-district=(bar.label) {
                    title {
                        (bar.label) ": "
                        (bar.value.map_or_else(|| lang.t(&t::NO_DATA).to_string(), |v| lang.percent(v)))
                    }
                    @match bar.value {
                        Some(value) => {
                            @let top = y_of(value);
                            @let met = value >= target - 1e-9;
                            rect.bar x=(n(center - SLOT * 0.3)) y=(n(top)) width=(n(SLOT * 0.6))
                                height=(n(baseline - top)) rx="2"
                                fill=(if met { "#15803d" } else { "#d97706" })
                                data-value=(value) {}
                            text.bar-value x=(n(center)) y=(n(top - 5.0)) text-anchor="middle"
                                font-weight="700" fill="#1d2733" {
                                (lang.percent(value))
                            }
                        }
                        None => {
                            text.no-data x=(n(center)) y=(n(baseline - 6.0)) text-anchor="middle"
                                fill="#5b6776" { "—" }
                        }
                    }
                    @let lines = label_lines(bar.label);
                    text.label x=(n(center)) y=(n(baseline + 16.0)) text-anchor="middle" fill="#1d2733" {
                        @for (j, line) in lines.iter().enumerate() {
                            tspan x=(n(center)) dy=(if j == 0 { "0" } else { "1.15em" }) { (line) }
                        }
                    }
                }
            }
            line.axis x1=(n(LEFT)) x2=(n(width - RIGHT)) y1=(n(baseline)) y2=(n(baseline))
                stroke="#5b6776" stroke-width="1" {}
            line.target-line x1=(n(LEFT)) x2=(n(width - RIGHT)) y1=(n(target_y)) y2=(n(target_y))
                stroke="#b91c1c" stroke-width="2" stroke-dasharray="6 4" data-target=(target) {}
            text.target-label x=(n(width - RIGHT)) y=(n(target_y - 5.0)) text-anchor="end"
                fill="#b91c1c" font-weight="700" stroke="#fff" stroke-width="3" paint-order="stroke" {
                (target_text)
            }
        }
    }
}

/// A label in at most two lines of about a bar's width.
fn label_lines(label: &str) -> Vec<String> {
    const WIDE: usize = 12;
    if label.chars().count() <= WIDE {
        return vec![label.to_string()];
    }
    let words: Vec<&str> = label.split_whitespace().collect();
    let mut first = String::new();
    let mut rest = Vec::new();
    for word in words {
        if rest.is_empty() && first.chars().count() + word.chars().count() < WIDE {
            if !first.is_empty() {
                first.push(' ');
            }
            first.push_str(word);
        } else {
            rest.push(word);
        }
    }
    if first.is_empty() {
        return vec![label.to_string()];
    }
    let mut lines = vec![first];
    if !rest.is_empty() {
        lines.push(rest.join(" "));
    }
    lines
}

/// A coordinate with one decimal.
fn n(value: f64) -> String {
    format!("{value:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bar_per_district_with_data_and_a_target_line() {
        let bars = [
            Bar {
                label: "Bến Lức",
                value: Some(2.0 / 3.0),
            },
            Bar {
                label: "Đức Hòa",
                value: Some(0.5),
            },
            Bar {
                label: "Cần Giuộc",
                value: None,
            },
        ];
        let svg = bar_chart("awareness", "Awareness", &bars, 0.5, Lang::Vi).into_string();
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 2, "{svg}");
        assert_eq!(svg.matches("class=\"district\"").count(), 3);
        assert_eq!(svg.matches("class=\"target-line\"").count(), 1);
        assert!(svg.contains("66,7%") && svg.contains("Mục tiêu 50%"));
        assert!(svg.contains("—"), "no data shows a dash");
        // The 50 % bar meets the 50 % target.
        assert!(svg.contains("fill=\"#15803d\" data-value=\"0.5\""), "{svg}");
    }

    #[test]
    fn long_labels_wrap() {
        assert_eq!(label_lines("Tân An"), vec!["Tân An"]);
        assert_eq!(label_lines("Thành phố Tân An"), vec!["Thành phố", "Tân An"]);
    }
}
