//! Horizontal bar charts drawn on the server, and numbers written the Vietnamese way.
//!
//! A [`BarChart`] is only geometry and text: the `chart` partial prints it as inline SVG with
//! `{{…}}`, so every label is escaped like any other value and no template needs `{{{…}}}`.
//! The bars' sizes are computed here; colours are classes of the style sheet and SVG
//! presentation attributes, never a `style` attribute (the CSP forbids inline styles).

use serde::Serialize;

/// The drawing's width in SVG units; it scales to the page with `viewBox`.
const WIDTH: u32 = 720;
/// The longest bar; what is left on its right holds the value.
const BAR_MAX: f64 = 600.0;
/// One row: the label on a line, then the bar.
const ROW: u32 = 44;
const BAR_HEIGHT: u32 = 16;

/// A chart as the `chart` partial prints it.
#[derive(Debug, Serialize)]
pub(crate) struct BarChart {
    /// The id of its `<title>`, for `aria-labelledby`.
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) bars: Vec<Bar>,
}

/// One bar, placed.
#[derive(Debug, Serialize)]
pub(crate) struct Bar {
    pub(crate) label: String,
    /// The value as printed.
    pub(crate) value: String,
    pub(crate) label_y: u32,
    pub(crate) bar_y: u32,
    pub(crate) bar_height: u32,
    /// At least 1 for a value above zero, so that a small figure still shows.
    pub(crate) bar_width: String,
    pub(crate) value_x: String,
    pub(crate) value_y: u32,
}

impl BarChart {
    /// A chart titled `title` of `(label, value, value as printed)`, the bars scaled to the
    /// largest value.
    pub(crate) fn new(id: &str, title: &str, rows: &[(String, f64, String)]) -> Self {
        let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max);
        let bars = rows
            .iter()
            .zip(0u32..)
            .map(|((label, value, printed), i)| {
                let width = if max > 0.0 && *value > 0.0 {
                    (value / max * BAR_MAX).max(1.0)
                } else {
                    0.0
                };
                let top = i * ROW;
                Bar {
                    label: label.clone(),
                    value: printed.clone(),
                    label_y: top + 14,
                    bar_y: top + 20,
                    bar_height: BAR_HEIGHT,
                    bar_width: format!("{width:.1}"),
                    value_x: format!("{:.1}", width + 6.0),
                    value_y: top + 20 + BAR_HEIGHT - 3,
                }
            })
            .collect::<Vec<_>>();
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            width: WIDTH,
            height: (rows.len() as u32 * ROW).max(ROW),
            bars,
        }
    }
}

/// 1.234.567
pub(crate) fn vn_count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// 87,5 — one decimal with a comma, none when it is zero (100, not 100,0).
pub(crate) fn vn_decimal(x: f64) -> String {
    let tenths = (x * 10.0).round() as i64;
    let whole = vn_count(tenths / 10);
    match (tenths % 10).abs() {
        0 => whole,
        d => format!("{whole},{d}"),
    }
}

/// 87,5 % (with the space Vietnamese typography puts before the sign).
pub(crate) fn vn_percent(x: f64) -> String {
    format!("{} %", vn_decimal(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_vietnamese_way() {
        assert_eq!(vn_count(0), "0");
        assert_eq!(vn_count(999), "999");
        assert_eq!(vn_count(1234), "1.234");
        assert_eq!(vn_count(1234567), "1.234.567");
        assert_eq!(vn_percent(87.5), "87,5 %");
        assert_eq!(vn_percent(100.0), "100 %");
        assert_eq!(vn_percent(200.0 / 3.0), "66,7 %");
        assert_eq!(vn_decimal(1234.5), "1.234,5");
    }

    #[test]
    fn bars_are_scaled_to_the_largest_value() {
        let rows = [
            ("A".to_owned(), 4.0, "4".to_owned()),
            ("B".to_owned(), 1.0, "1".to_owned()),
            ("C".to_owned(), 0.0, "0".to_owned()),
        ];
        let chart = BarChart::new("c", "T", &rows);
        let widths: Vec<_> = chart.bars.iter().map(|b| b.bar_width.as_str()).collect();
        assert_eq!(widths, ["600.0", "150.0", "0.0"]);
        assert_eq!(chart.height, 3 * ROW);
        assert_eq!(chart.bars[1].bar_y, ROW + 20);
    }
}
