//! Writing records to stdout as an aligned table, JSON Lines or CSV.
//!
//! A record is any `Serialize` struct; its serde field names (the seed's names for the
//! library's rows: `UserLogonID`, `LoginName`, `Status` ...) become the column names or
//! JSON keys. Dates come out as ISO 8601, because that is how chrono serializes them.
//! JSON and CSV are written record by record, so an export streams; a table has to see
//! every row before it can align the columns.

use std::io::{self, IsTerminal, Write};

use clap::ValueEnum;
use serde::Serialize;

use crate::exit::CliError;

/// The output format chosen with `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns with a header line.
    Table,
    /// JSON Lines: one object per record.
    Json,
    /// CSV with a header line.
    Csv,
}

/// Receives records one at a time and writes them in one format.
pub enum RecordSink<W: Write> {
    /// Collects cells until [`RecordSink::finish`] knows every column's width.
    Table {
        /// Where the table goes.
        out: W,
        /// The column names, taken from the first record.
        header: Option<Vec<String>>,
        /// The cells of every record so far.
        rows: Vec<Vec<String>>,
    },
    /// Writes each record as one JSON line.
    Json(W),
    /// Writes each record as one CSV line, after a header (boxed: the writer is large).
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> RecordSink<W> {
    /// A sink writing to `out` in `format`.
    pub fn new(format: Format, out: W) -> Self {
        match format {
            Format::Table => RecordSink::Table {
                out,
                header: None,
                rows: Vec::new(),
            },
            Format::Json => RecordSink::Json(out),
            Format::Csv => RecordSink::Csv(Box::new(csv::Writer::from_writer(out))),
        }
    }

    /// Writes (or, for a table, keeps) one record.
    pub fn write<T: Serialize>(&mut self, record: &T) -> Result<(), CliError> {
        match self {
            RecordSink::Table { header, rows, .. } => {
                let (names, cells) = cells_of(record)?;
                header.get_or_insert(names);
                rows.push(cells);
            }
            RecordSink::Json(out) => {
                serde_json::to_writer(&mut *out, record)?;
                out.write_all(b"\n")?;
            }
            RecordSink::Csv(writer) => writer.serialize(record)?,
        }
        Ok(())
    }

    /// Writes what is still held back (the whole table) and flushes.
    pub fn finish(self) -> Result<(), CliError> {
        match self {
            RecordSink::Table {
                mut out,
                header,
                rows,
            } => {
                if let Some(header) = header {
                    write_table(&mut out, &header, &rows)?;
                }
                out.flush()?;
            }
            RecordSink::Json(mut out) => out.flush()?,
            RecordSink::Csv(mut writer) => writer.flush()?,
        }
        Ok(())
    }
}

/// Writes every record of `records` to stdout in `format`.
pub fn print_records<T: Serialize>(format: Format, records: &[T]) -> Result<(), CliError> {
    let mut sink = RecordSink::new(format, io::stdout().lock());
    for record in records {
        sink.write(record)?;
    }
    sink.finish()
}

/// Writes one record to stdout in `format`.
pub fn print_record<T: Serialize>(format: Format, record: &T) -> Result<(), CliError> {
    print_records(format, std::slice::from_ref(record))
}

/// The field names and the cell texts of one record, as CSV would write them
/// (so a table and a CSV export never disagree about a value).
fn cells_of<T: Serialize>(record: &T) -> Result<(Vec<String>, Vec<String>), CliError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.serialize(record)?;
    let bytes = writer
        .into_inner()
        .map_err(|error| CliError::Io(error.into_error()))?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let names = reader.headers()?.iter().map(str::to_owned).collect();
    let cells = match reader.records().next() {
        Some(record) => record?.iter().map(str::to_owned).collect(),
        None => Vec::new(),
    };
    Ok((names, cells))
}

fn write_table<W: Write>(out: &mut W, header: &[String], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|name| name.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    write_table_line(out, &widths, header)?;
    for row in rows {
        write_table_line(out, &widths, row)?;
    }
    Ok(())
}

fn write_table_line<W: Write>(out: &mut W, widths: &[usize], cells: &[String]) -> io::Result<()> {
    let last = cells.len().saturating_sub(1);
    let mut line = String::new();
    for (index, (cell, &width)) in cells.iter().zip(widths).enumerate() {
        if index == last {
            line.push_str(cell);
        } else {
            // `{:<width$}` pads by characters, as the widths were measured.
            line.push_str(&format!("{cell:<width$}  "));
        }
    }
    writeln!(out, "{line}")
}

/// Counts exported rows on stderr, but only when a person watches stderr.
pub struct Progress {
    enabled: bool,
    count: u64,
    next_draw: u64,
}

impl Progress {
    /// How often the counter is redrawn.
    const EVERY: u64 = 500;

    /// A counter that draws only when stderr is a terminal.
    pub fn on_stderr() -> Self {
        Progress {
            enabled: io::stderr().is_terminal(),
            count: 0,
            next_draw: Self::EVERY,
        }
    }

    /// Counts one row.
    pub fn tick(&mut self) {
        self.count += 1;
        if self.enabled && self.count == self.next_draw {
            eprint!("\r{} logons exported", self.count);
            self.next_draw += Self::EVERY;
        }
    }

    /// Draws the final count.
    pub fn finish(self) {
        if self.enabled {
            eprintln!("\r{} logons exported", self.count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Sample {
        #[serde(rename = "LoginName")]
        login_name: &'static str,
        #[serde(rename = "LastLogon")]
        last_logon: Option<&'static str>,
        #[serde(rename = "Attempts")]
        attempts: i32,
    }

    const SAMPLES: [Sample; 2] = [
        Sample {
            login_name: "alice",
            last_logon: Some("2024-01-02T03:04:05"),
            attempts: 0,
        },
        Sample {
            login_name: "bartholomew, jr",
            last_logon: None,
            attempts: 12,
        },
    ];

    fn render(format: Format) -> String {
        let mut buffer = Vec::new();
        let mut sink = RecordSink::new(format, &mut buffer);
        for sample in &SAMPLES {
            sink.write(sample).unwrap();
        }
        sink.finish().unwrap();
        String::from_utf8(buffer).unwrap()
    }

    #[test]
    fn table_aligns_columns_under_the_field_names() {
        assert_eq!(
            render(Format::Table),
            "LoginName        LastLogon            Attempts\n\
             alice            2024-01-02T03:04:05  0\n\
             bartholomew, jr                       12\n"
        );
    }

    #[test]
    fn json_lines_use_the_field_names() {
        assert_eq!(
            render(Format::Json),
            "{\"LoginName\":\"alice\",\"LastLogon\":\"2024-01-02T03:04:05\",\"Attempts\":0}\n\
             {\"LoginName\":\"bartholomew, jr\",\"LastLogon\":null,\"Attempts\":12}\n"
        );
    }

    #[test]
    fn csv_has_a_header_and_quotes_commas() {
        assert_eq!(
            render(Format::Csv),
            "LoginName,LastLogon,Attempts\n\
             alice,2024-01-02T03:04:05,0\n\
             \"bartholomew, jr\",,12\n"
        );
    }
}
