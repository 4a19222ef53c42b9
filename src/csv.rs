//! CSV cells for the exports people open in a spreadsheet (a day's report, the chain's
//! orders and days): quoted when needed, and never read as a formula.

/// A CSV field. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
/// prefixed with `'` (OWASP's advice against CSV injection: a menu item named
/// `=HYPERLINK(…)` stays text); separators, quotes and line breaks are quoted.
pub fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn formulas_stay_text_and_separators_are_quoted() {
        assert_eq!(field("김치찌개"), "김치찌개");
        assert_eq!(field("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
        for f in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(field(f).trim_start_matches('"').starts_with('\''), "{f}");
        }
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
