//! Hourly price files (CSV) and duration-curve files, with `file:line` errors.
//!
//! An hourly file has a header naming its columns, one of which is `usd_per_mwh`; every
//! other column (a timestamp, say) is ignored. Lines starting with `#` and blank lines are
//! skipped but still counted, so a message's line number is the line in the file.

use std::fmt;
use std::path::Path;

/// Largest price file read, bytes (a year of hourly rows with timestamps is ~300 kB).
pub const MAX_PRICE_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A price file that cannot be used: where and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceFileError {
    /// The file as the world names it.
    pub file: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What was expected.
    pub message: String,
}

impl fmt::Display for PriceFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for PriceFileError {}

fn err(file: &str, line: Option<usize>, message: impl Into<String>) -> PriceFileError {
    PriceFileError {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

/// Reads an hourly price file that must hold exactly `expected_rows` prices.
pub fn load_hourly(path: &Path, expected_rows: usize) -> Result<Vec<f64>, PriceFileError> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => err(&name, None, "file not found"),
        _ => err(&name, None, format!("cannot read: {e}")),
    })?;
    if !meta.is_file() {
        return Err(err(&name, None, "is not a file"));
    }
    if meta.len() > MAX_PRICE_FILE_BYTES {
        return Err(err(
            &name,
            None,
            format!(
                "is {} bytes; price files are limited to {MAX_PRICE_FILE_BYTES}",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| err(&name, None, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| err(&name, None, "is not UTF-8 text"))?;
    parse_hourly(&text, &name, expected_rows)
}

/// Data lines of `text`: (1-based line number, trimmed content), skipping comments.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// Parses hourly prices; `origin` names the file in errors.
pub fn parse_hourly(
    text: &str,
    origin: &str,
    expected_rows: usize,
) -> Result<Vec<f64>, PriceFileError> {
    let mut lines = data_lines(text);
    let (header_line, header) = lines.next().ok_or_else(|| {
        err(
            origin,
            None,
            "is empty; expected a header line naming usd_per_mwh",
        )
    })?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = columns
        .iter()
        .position(|c| *c == "usd_per_mwh")
        .ok_or_else(|| {
            err(
                origin,
                Some(header_line),
                format!("expected a header with a usd_per_mwh column, found {header:?}"),
            )
        })?;
    let mut prices = Vec::with_capacity(expected_rows);
    let mut last_line = header_line;
    for (n, line) in lines {
        last_line = n;
        if prices.len() == expected_rows {
            return Err(err(
                origin,
                Some(n),
                format!("expected {expected_rows} hourly prices; this row is one too many"),
            ));
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != columns.len() {
            return Err(err(
                origin,
                Some(n),
                format!(
                    "expected {} columns like the header, found {}",
                    columns.len(),
                    cells.len()
                ),
            ));
        }
        prices.push(parse_price(cells[col], origin, n)?);
    }
    if prices.len() < expected_rows {
        return Err(err(
            origin,
            Some(last_line + 1),
            format!(
                "expected {expected_rows} hourly prices, found {}",
                prices.len()
            ),
        ));
    }
    Ok(prices)
}

fn parse_price(cell: &str, origin: &str, line: usize) -> Result<f64, PriceFileError> {
    let bound = super::MAX_ABS_PRICE_USD_PER_MWH;
    match cell.parse::<f64>() {
        Ok(p) if p.is_finite() && p.abs() <= bound => Ok(p),
        Ok(p) => Err(err(
            origin,
            Some(line),
            format!("price {p} USD/MWh is outside ±{bound}"),
        )),
        Err(_) => Err(err(
            origin,
            Some(line),
            format!("expected a price in USD/MWh, found {cell:?}"),
        )),
    }
}

/// Parses a duration-curve file: header `usd_per_mwh,hours_per_year`, then one level per
/// line.
pub fn parse_levels(text: &str, origin: &str) -> Result<Vec<(f64, f64)>, PriceFileError> {
    let mut lines = data_lines(text);
    match lines.next() {
        Some((_, "usd_per_mwh,hours_per_year")) => {}
        Some((n, other)) => {
            return Err(err(
                origin,
                Some(n),
                format!("expected the header usd_per_mwh,hours_per_year, found {other:?}"),
            ));
        }
        None => return Err(err(origin, None, "is empty")),
    }
    let mut out = Vec::new();
    for (n, line) in lines {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let [p, h] = cells[..] else {
            return Err(err(
                origin,
                Some(n),
                "expected two numbers: usd_per_mwh,hours_per_year",
            ));
        };
        let price = parse_price(p, origin, n)?;
        let hours = h
            .parse::<f64>()
            .ok()
            .filter(|h| h.is_finite() && *h >= 0.0)
            .ok_or_else(|| err(origin, Some(n), format!("expected hours ≥ 0, found {h:?}")))?;
        out.push((price, hours));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hourly(n: usize) -> String {
        let mut s = String::from("# ERCOT North, a test month\nhour,usd_per_mwh\n");
        for h in 0..n {
            s.push_str(&format!("{h},{}\n", 20 + h % 7));
        }
        s
    }

    #[test]
    fn a_well_formed_file_reads_every_hour_in_order() {
        let p = parse_hourly(&hourly(744), "march.csv", 744).unwrap();
        assert_eq!(p.len(), 744);
        assert_eq!((p[0], p[6], p[7]), (20.0, 26.0, 20.0));
    }

    #[test]
    fn too_few_rows_points_past_the_last_line() {
        let e = parse_hourly(&hourly(743), "march.csv", 744).unwrap_err();
        // 2 header lines + 743 rows: the missing row would be line 746.
        assert_eq!(
            e.to_string(),
            "march.csv:746: expected 744 hourly prices, found 743"
        );
    }

    #[test]
    fn too_many_rows_points_at_the_first_extra_one() {
        let e = parse_hourly(&hourly(745), "march.csv", 744).unwrap_err();
        assert_eq!(e.line, Some(747));
        assert_eq!(
            e.to_string(),
            "march.csv:747: expected 744 hourly prices; this row is one too many"
        );
    }

    #[test]
    fn a_non_numeric_cell_names_its_line() {
        let text = hourly(5).replace("3,23", "3,n/a");
        let e = parse_hourly(&text, "x.csv", 5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.csv:6: expected a price in USD/MWh, found \"n/a\""
        );
        let e = parse_hourly("usd_per_mwh\nNaN\n", "y.csv", 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "y.csv:2: price NaN USD/MWh is outside ±10000"
        );
    }

    #[test]
    fn a_missing_header_or_column_is_explained() {
        let e = parse_hourly("hour,price\n0,12\n", "z.csv", 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "z.csv:1: expected a header with a usd_per_mwh column, found \"hour,price\""
        );
        let e = parse_hourly("usd_per_mwh\n1,2\n", "z.csv", 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "z.csv:2: expected 1 columns like the header, found 2"
        );
        assert_eq!(
            parse_hourly("# only a comment\n", "z.csv", 1)
                .unwrap_err()
                .to_string(),
            "z.csv: is empty; expected a header line naming usd_per_mwh"
        );
    }

    #[test]
    fn a_missing_file_says_so_and_a_real_file_loads() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.csv");
        let e = load_hourly(&missing, 24).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: file not found", missing.display())
        );
        let path = dir.path().join("day.csv");
        std::fs::write(&path, hourly(24)).unwrap();
        assert_eq!(load_hourly(&path, 24).unwrap().len(), 24);
        let e = load_hourly(dir.path(), 24).unwrap_err();
        assert!(e.to_string().ends_with(": is not a file"), "{e}");
    }

    #[test]
    fn curve_files_parse_and_refuse_bad_rows() {
        let ok = parse_levels("usd_per_mwh,hours_per_year\n5,10\n# c\n50,2\n", "c.csv").unwrap();
        assert_eq!(ok, vec![(5.0, 10.0), (50.0, 2.0)]);
        let e = parse_levels("usd_per_mwh,hours_per_year\n5,-1\n", "c.csv").unwrap_err();
        assert_eq!(e.to_string(), "c.csv:2: expected hours ≥ 0, found \"-1\"");
        let e = parse_levels("price,hours\n", "c.csv").unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
