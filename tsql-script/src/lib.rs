//! T-SQL script files as sqlcmd reads them: batches split at `GO` lines,
//! and script files ordered by name with digit runs compared as numbers.
//! Shared by logondb's migration runner and mssql-sim's start-up scripts.

use std::cmp::Ordering;

/// One batch of a script and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch<'a> {
    /// First line of the batch in its file.
    pub line: usize,
    /// The batch text.
    pub sql: &'a str,
}

/// Splits at lines that are only `GO` (any case, surrounding blanks), as sqlcmd does. Batches
/// of nothing but blanks and `--` comments are dropped.
pub fn split_batches(text: &str) -> Vec<Batch<'_>> {
    fn push<'a>(out: &mut Vec<Batch<'a>>, sql: &'a str, line: usize) {
        let meaningful = sql
            .lines()
            .map(str::trim)
            .any(|l| !l.is_empty() && !l.starts_with("--"));
        if meaningful {
            out.push(Batch { line, sql });
        }
    }
    let mut out = Vec::new();
    let (mut start, mut start_line, mut offset) = (0, 1, 0);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.trim().eq_ignore_ascii_case("go") {
            push(&mut out, &text[start..offset], start_line);
            start = offset + line.len();
            start_line = i + 2;
        }
        offset += line.len();
    }
    push(&mut out, &text[start..], start_line);
    out
}

/// Orders names with digit runs compared as numbers (`V2` before `V10`).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        match (a.chars().next(), b.chars().next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.len() - a.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let db = b.len() - b.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let (na, nb) = (
                    a[..da].trim_start_matches('0'),
                    b[..db].trim_start_matches('0'),
                );
                let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if ord != Ordering::Equal {
                    return ord;
                }
                (a, b) = (&a[da..], &b[db..]);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                (a, b) = (&a[x.len_utf8()..], &b[y.len_utf8()..]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split_at_go_lines() {
        let text = "CREATE TABLE a (x int);\nGO\n-- only a comment\ngo  \nCREATE PROCEDURE p AS\nBEGIN\n  SELECT 'GO';\nEND\nGO\n";
        let batches = split_batches(text);
        assert_eq!(batches.len(), 2, "{batches:?}");
        assert_eq!(
            batches[0],
            Batch {
                line: 1,
                sql: "CREATE TABLE a (x int);\n"
            }
        );
        assert_eq!(batches[1].line, 5);
        assert!(batches[1].sql.starts_with("CREATE PROCEDURE p AS"));
        assert!(batches[1].sql.contains("SELECT 'GO';"));
        assert_eq!(split_batches("SELECT 1").len(), 1);
        assert_eq!(split_batches("GOTO_TABLE\nSELECT 1\n").len(), 1);
        assert!(split_batches("\nGO\n\nGO\n").is_empty());
    }

    #[test]
    fn natural_order() {
        let mut names = vec![
            "V10__c.sql",
            "V2__b.sql",
            "V1__a.sql",
            "seed/10_x.sql",
            "seed/9_x.sql",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "V1__a.sql",
                "V2__b.sql",
                "V10__c.sql",
                "seed/9_x.sql",
                "seed/10_x.sql"
            ]
        );
        assert_eq!(natural_cmp("a01", "a1"), Ordering::Equal);
    }
}
