//! Decimal text of an `f64`, byte for byte what `format!("{v}")` writes, without the
//! formatter.
//!
//! The CSV outputs print every money and energy figure the way `Display` does (shortest
//! round-trip digits, never an exponent). Through `core::fmt` that cost a third of a
//! whole `retrofit run`: its shortest-digit search, the padding machinery and a `String`
//! per value. `ryu` finds shortest round-trip digits too and only lays them out
//! differently (`1.0`, `1e21`), so this module takes `ryu`'s digits and places the
//! decimal point the `Display` way.
//!
//! The two searches differ in one case: when the value lies exactly halfway between
//! two shortest candidates (697192443357960.25 between `…960.2` and `…960.3`), `ryu`
//! takes the even one and `core` the one above. [`push_f64`] detects that exact tie
//! with integer arithmetic and takes the one above. The tests compare with `Display`
//! over random bit patterns and the edges.
//!
//! A leaf module (it imports nothing from the crate) so both the engine's
//! `reliability.csv` and report's CSVs can use it without an import circle.

/// Appends `v` to `out` exactly as `format!("{v}")` would: `1` for 1.0, `-0` for -0.0,
/// `NaN`, `inf`, `-inf`, and the full decimal expansion where `ryu` would use an
/// exponent (`1e21` → `1000000000000000000000`, `1.5e-7` → `0.00000015`).
pub fn push_f64(out: &mut String, v: f64) {
    if !v.is_finite() {
        out.push_str(if v.is_nan() {
            "NaN"
        } else if v > 0.0 {
            "inf"
        } else {
            "-inf"
        });
        return;
    }
    if v.fract() == 0.0 && v.abs() < EXACT_INTEGERS {
        // Below 2^53 an integer's own digits are its shortest round-trip form (a
        // shorter one would be at least 1 away, beyond half the spacing). Most ledger
        // figures are whole or zero.
        if v.is_sign_negative() {
            out.push('-');
        }
        out.push_str(itoa::Buffer::new().format(v.abs() as u64));
        return;
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(v);
    match text.find('.') {
        // `123.45` or `0.00012`: already Display's layout, unless an exact tie.
        Some(point) if !text.contains('e') && !text.ends_with(".0") => {
            let exp = -((text.len() - point - 1) as i32);
            let last = text.len() - 1;
            let digits = || {
                text.bytes()
                    .filter(u8::is_ascii_digit)
                    .fold(0, |n, b| n * 10 + u64::from(b - b'0'))
            };
            if text.as_bytes()[last] % 2 == 0 && halfway_above(v, exp, digits) {
                out.push_str(&text[..last]);
                // An even last digit cannot carry.
                out.push(char::from(text.as_bytes()[last] + 1));
            } else {
                out.push_str(text);
            }
        }
        // An exponent, or an integer from 2^53 up: move the point.
        _ => {
            let mut d = Shortest::parse(text);
            // Zero took the integer path, so there is a last digit.
            if let Some(last) = d.len.checked_sub(1)
                && d.digits[last] % 2 == 0
                && halfway_above(v, d.exp, || d.integer())
            {
                d.digits[last] += 1;
            }
            d.push_display(out);
        }
    }
}

/// 2^53: every integer below it is an `f64`.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// Formats as `{:.0}` does (the value rounded to a whole number, ties to even, `-0`
/// for a negative value that rounds to zero), through `itoa` below 2^53 instead of
/// `core`'s exact-digits search: the engine writes two per month-end event.
#[derive(Debug, Clone, Copy)]
pub struct Fixed0(pub f64);

impl std::fmt::Display for Fixed0 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        if !v.is_finite() || v.abs() >= EXACT_INTEGERS {
            // Whole already and longer than `itoa`'s fast case, or not a number.
            return write!(f, "{v:.0}");
        }
        if v.is_sign_negative() {
            f.write_str("-")?;
        }
        f.write_str(itoa::Buffer::new().format(v.round_ties_even().abs() as u64))
    }
}

/// Shortest round-trip digits: the value is `±digits × 10^exp`, with no leading or
/// trailing zero among the digits (none at all for zero).
struct Shortest {
    negative: bool,
    /// ASCII digits; `ryu` writes at most 17 significant ones.
    digits: [u8; 17],
    len: usize,
    exp: i32,
}

impl Shortest {
    /// Reads `ryu`'s text: `-`, digits with an optional point, an optional `e±N`.
    fn parse(text: &str) -> Self {
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exp) = match text.split_once('e') {
            // ryu's exponents are within ±324, so this always parses.
            Some((m, e)) => (m, e.parse().unwrap_or(0)),
            None => (text, 0),
        };
        let mut d = Self {
            negative,
            digits: [b'0'; 17],
            len: 0,
            exp,
        };
        let mut after_point = false;
        for b in mantissa.bytes() {
            if b == b'.' {
                after_point = true;
                continue;
            }
            if after_point {
                d.exp -= 1;
            }
            // Leading zeros (`0.00012`) only move the point, which `exp` records.
            if (d.len > 0 || b != b'0') && d.len < d.digits.len() {
                d.digits[d.len] = b;
                d.len += 1;
            }
        }
        while d.len > 0 && d.digits[d.len - 1] == b'0' {
            d.len -= 1;
            d.exp += 1;
        }
        d
    }

    /// The digits as an integer (at most 17 digits, so it fits).
    fn integer(&self) -> u64 {
        self.digits[..self.len]
            .iter()
            .fold(0, |n, b| n * 10 + u64::from(b - b'0'))
    }

    /// `Display`'s layout: all digits of the integer part, a point only before a
    /// fraction, never an exponent.
    fn push_display(&self, out: &mut String) {
        if self.negative {
            out.push('-');
        }
        if self.len == 0 {
            out.push('0');
            return;
        }
        let digits = std::str::from_utf8(&self.digits[..self.len]).unwrap_or_default();
        let point = self.len as i32 + self.exp;
        if point <= 0 {
            out.push_str("0.");
            push_zeros(out, point.unsigned_abs() as usize);
            out.push_str(digits);
        } else if point as usize >= self.len {
            out.push_str(digits);
            push_zeros(out, point as usize - self.len);
        } else {
            let (int, frac) = digits.split_at(point as usize);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        }
    }
}

fn push_zeros(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n('0', n));
}

/// True when `|v|` is exactly halfway between the shortest candidate
/// `digits × 10^exp` and the one a unit above in its last digit, that is equal to
/// `(10·digits + 5) × 10^(exp − 1)`: there `core` rounds up and `ryu` to even.
///
/// With `|v| = m × 2^e` (m odd) and that midpoint `t × 10^q = t × 5^q × 2^q` (t odd),
/// they are equal only if `e = q` and then `m = t × 5^q` (q ≥ 0) or `m × 5^−q = t`
/// (q < 0); `m < 2^53` and `t < 10^18` bound `5^|q|`, so u128 holds every product.
/// `digits` is only read in that rare case.
fn halfway_above(v: f64, exp: i32, digits: impl FnOnce() -> u64) -> bool {
    let bits = v.to_bits();
    let exponent_bits = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mantissa, e) = match exponent_bits {
        0 => (fraction, -1074),
        _ => (fraction | (1 << 52), exponent_bits - 1075),
    };
    if mantissa == 0 {
        return false;
    }
    let zeros = mantissa.trailing_zeros();
    let (m, e) = (u128::from(mantissa >> zeros), e + zeros as i32);
    let q = exp - 1;
    if e != q || q.unsigned_abs() > 27 {
        return false;
    }
    let t = u128::from(digits()) * 10 + 5;
    let pow5 = 5u128.pow(q.unsigned_abs());
    if q >= 0 { m == t * pow5 } else { m * pow5 == t }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn to_text(v: f64) -> String {
        let mut s = String::new();
        push_f64(&mut s, v);
        s
    }

    fn same(v: f64) {
        assert_eq!(to_text(v), format!("{v}"), "bits {:#018x}", v.to_bits());
    }

    #[test]
    fn edges_match_display() {
        let edges = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.1 + 0.2,
            1e21,
            1e22,
            1e23,
            // 1e23's neighbours: it lies exactly halfway between them.
            f64::from_bits(1e23f64.to_bits() - 1),
            f64::from_bits(1e23f64.to_bits() + 1),
            1.5e-7,
            1e-5,
            1e-4,
            1.2345e-5,
            5e-324,
            -5e-324,
            2.2250738585072014e-308,
            2.225073858507201e-308,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            109230.26000000001,
            -123456.789,
            1234567890123456.7,
            12345678901234567.0,
            9007199254740992.0,
            9007199254740993.0,
            9007199254740994.0,
            18446744073709551615.0,
            std::f64::consts::PI,
        ];
        for v in edges {
            same(v);
            same(-v);
        }
        // Powers of ten and two, and their neighbours one ulp away.
        for k in -325..=308 {
            let p: f64 = format!("1e{k}").parse().unwrap();
            for v in [
                p,
                f64::from_bits(p.to_bits() + 1),
                f64::from_bits(p.to_bits().saturating_sub(1)),
            ] {
                same(v);
            }
        }
        for k in -1074i64..=1023 {
            let p = f64::from_bits(match k {
                ..-1022 => 1 << (k + 1074),
                _ => ((k + 1023) as u64) << 52,
            });
            assert_eq!(p, 2f64.powf(k as f64));
            same(p);
            same(f64::from_bits(p.to_bits() + 1));
            same(f64::from_bits(p.to_bits() - 1));
        }
    }

    #[test]
    fn integers_and_cents_match_display() {
        // Integers across and beyond 2^53, and money-like values with two decimals.
        let mut x = 1u64;
        while x < u64::MAX / 3 {
            same(x as f64);
            same((x - 1) as f64);
            same(x as f64 + 0.5);
            x = x * 3 + 1;
        }
        for cents in (0..2_000_000i64).step_by(7) {
            same(cents as f64 / 100.0);
            same(cents as f64 * 0.01 * 1234.5);
        }
    }

    #[test]
    fn exact_ties_round_up_as_display() {
        // Between 2^49 and 2^50 the spacing is 1/8, so x.25 and x.75 are exact and
        // halfway between two 16-digit candidates; likewise x.5 between 2^50 and 2^51.
        for i in 0..20_000u64 {
            let x = (1u64 << 49) + i * 7_919;
            for v in [x as f64 + 0.25, x as f64 + 0.75, (2 * x) as f64 + 0.5] {
                same(v);
                same(-v);
            }
        }
        assert_eq!(to_text(697192443357960.0 + 0.25), "697192443357960.3");
    }

    #[test]
    fn a_million_bit_patterns_match_display() {
        // A fixed walk over the whole bit space (an odd stride visits every exponent).
        let mut bits = 0x0123_4567_89ab_cdefu64;
        for _ in 0..1_000_000 {
            bits = bits.wrapping_add(0x9e37_79b9_7f4a_7c15);
            same(f64::from_bits(bits));
        }
    }

    fn same_fixed0(v: f64) {
        assert_eq!(
            Fixed0(v).to_string(),
            format!("{v:.0}"),
            "bits {:#018x}",
            v.to_bits()
        );
    }

    #[test]
    fn fixed0_matches_core() {
        for k in -20_000..20_000 {
            // Halves are exact ties; quarters and near-halves are not.
            let x = f64::from(k);
            for v in [
                x,
                x + 0.5,
                x + 0.25,
                x + 0.499_999_999_999,
                x + 0.500_000_000_001,
            ] {
                same_fixed0(v);
            }
        }
        let edges = [
            0.0,
            -0.0,
            0.4,
            -0.4,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            4503599627370495.5,
        ];
        for v in edges
            .into_iter()
            .chain([1e15 + 0.5, 9007199254740991.0, 9007199254740992.0])
        {
            same_fixed0(v);
            same_fixed0(-v);
        }
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            1e300,
            5e-324,
        ] {
            same_fixed0(v);
            same_fixed0(-v);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn random_bit_patterns_match_display(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assert_eq!(to_text(v), format!("{v}"));
        }

        #[test]
        fn fixed0_matches_core_on_money(v in -1e13f64..1e13) {
            prop_assert_eq!(Fixed0(v).to_string(), format!("{v:.0}"));
        }

        #[test]
        fn fixed0_matches_core_on_random_bits(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assert_eq!(Fixed0(v).to_string(), format!("{v:.0}"));
        }

        #[test]
        fn seventeen_digit_values_match_display(m in 10_000_000_000_000_000u64..100_000_000_000_000_000u64, e in -330i32..300) {
            let v: f64 = format!("{m}e{e}").parse().unwrap();
            prop_assert_eq!(to_text(v), format!("{v}"));
        }
    }
}
