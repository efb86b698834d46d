//! Money as `docs/model.md` writes it, for the tests that check the page to the cent.

/// `$1,234.57` (and `-$1,234.57`): rounded to the cent, thousands grouped.
pub fn cents(v: f64) -> String {
    let c = (v * 100.0).round() as i64;
    let (whole, frac) = (c.abs() / 100, c.abs() % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}${grouped}.{frac:02}", if c < 0 { "-" } else { "" })
}
