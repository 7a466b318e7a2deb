//! A small SVG writer for the HTML report's charts: rectangles, lines and text with classes
//! (colours come from the page's stylesheet, so light, dark and print follow it), every string
//! escaped. Coordinates are written with at most one decimal so that output is byte-stable.

use std::fmt::Write as _;

use super::html::escape;

/// One `<svg>` element being written.
pub(super) struct Svg {
    buf: String,
}

/// A coordinate or length, rounded to one decimal, without a trailing `.0`.
fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

impl Svg {
    /// A chart `width` x `height` user units wide that scales to its container; `label` is
    /// what a screen reader says about it.
    pub(super) fn new(width: f64, height: f64, class: &str, label: &str) -> Svg {
        let mut buf = String::new();
        let _ = write!(
            buf,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">"#,
            escape(class),
            num(width),
            num(height),
            escape(label)
        );
        Svg { buf }
    }

    /// A rectangle; `title` becomes its tooltip, `data` its `data-*` attributes.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn rect(
        &mut self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        class: &str,
        title: Option<&str>,
        data: &[(&str, String)],
    ) {
        let _ = write!(
            self.buf,
            r#"<rect x="{}" y="{}" width="{}" height="{}" class="{}""#,
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0)),
            escape(class)
        );
        for (k, v) in data {
            let _ = write!(self.buf, r#" data-{}="{}""#, escape(k), escape(v));
        }
        match title {
            Some(t) => {
                let _ = write!(self.buf, "><title>{}</title></rect>", escape(t));
            }
            None => self.buf.push_str("/>"),
        }
    }

    pub(super) fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, class: &str) {
        let _ = write!(
            self.buf,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" class="{}"/>"#,
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            escape(class)
        );
    }

    /// A closed polygon (markers), with a tooltip.
    pub(super) fn polygon(&mut self, points: &[(f64, f64)], class: &str, title: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
            .collect();
        let _ = write!(
            self.buf,
            r#"<polygon points="{}" class="{}"><title>{}</title></polygon>"#,
            pts.join(" "),
            escape(class),
            escape(title)
        );
    }

    /// Text; `anchor` is `start`, `middle` or `end`; `rotate` turns it about its anchor point.
    pub(super) fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, text: &str) {
        self.text_rotated(x, y, anchor, class, text, 0.0);
    }

    pub(super) fn text_rotated(
        &mut self,
        x: f64,
        y: f64,
        anchor: &str,
        class: &str,
        text: &str,
        rotate: f64,
    ) {
        let transform = if rotate == 0.0 {
            String::new()
        } else {
            format!(
                r#" transform="rotate({} {} {})""#,
                num(rotate),
                num(x),
                num(y)
            )
        };
        let _ = write!(
            self.buf,
            r#"<text x="{}" y="{}" text-anchor="{}" class="{}"{transform}>{}</text>"#,
            num(x),
            num(y),
            escape(anchor),
            escape(class),
            escape(text)
        );
    }

    pub(super) fn finish(mut self) -> String {
        self.buf.push_str("</svg>");
        self.buf
    }
}

/// A "nice" upper bound for an axis and its tick step: 1, 2 or 5 times a power of ten.
pub(super) fn nice_scale(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            let s = step * m;
            if max.div_ceil(s) <= 5 {
                return (max.div_ceil(s) * s, s);
            }
        }
        step *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(2.25), "2.3");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(120.06), "120.1");
    }

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut s = Svg::new(10.0, 10.0, "c", "a \"chart\"");
        s.text(0.0, 0.0, "start", "t", "<script>alert(1)</script>");
        s.rect(
            0.0,
            0.0,
            1.0,
            1.0,
            "r",
            Some("\"><img onerror=x>"),
            &[("v", "1".into())],
        );
        let out = s.finish();
        assert!(!out.contains("<script>"));
        assert!(!out.contains("<img"));
        assert!(out.contains("&lt;script&gt;"));
        assert!(out.contains(r#"aria-label="a &quot;chart&quot;""#));
    }

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(nice_scale(0), (1, 1));
        assert_eq!(nice_scale(7), (8, 2));
        assert_eq!(nice_scale(154), (200, 50));
        assert_eq!(nice_scale(1000), (1000, 200));
    }
}
