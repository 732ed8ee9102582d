//! Reading the facility import CSV (`name,tax_code,district,sector,cp_potential`), line by
//! line, with errors that name the line. Pure, so that the fuzzer can run it alone; the server
//! checks and writes what it reads.

/// The header the import expects.
pub const HEADER: [&str; 5] = ["name", "tax_code", "district", "sector", "cp_potential"];

/// One data line, as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacilityRow {
    /// The line number in the file.
    pub line: u64,
    /// The facility's name.
    pub name: String,
    /// Its tax code.
    pub tax_code: String,
    /// Its district.
    pub district: String,
    /// Its sector.
    pub sector: String,
    /// Whether it has cleaner-production potential.
    pub cp_potential: bool,
}

/// A data line that cannot be read; the rest of the file still is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    /// The line number in the file (0 when the reader could not tell).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Why the whole file is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// The first line cannot be read.
    #[error("unreadable CSV header: {0}")]
    Unreadable(String),
    /// The first line is not [`HEADER`].
    #[error("the first line must be name,tax_code,district,sector,cp_potential")]
    WrongHeader,
}

/// Each data line of the CSV (a UTF-8 byte-order mark is skipped); the whole file is refused
/// only when its header is wrong.
pub fn parse(body: &str) -> Result<Vec<Result<FacilityRow, LineError>>, CsvError> {
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(body.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| CsvError::Unreadable(e.to_string()))?;
    if header.iter().collect::<Vec<_>>() != HEADER {
        return Err(CsvError::WrongHeader);
    }
    Ok(reader.records().map(read_line).collect())
}

fn read_line(record: csv::Result<csv::StringRecord>) -> Result<FacilityRow, LineError> {
    let record = record.map_err(|e| LineError {
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    })?;
    let line = record.position().map_or(0, |p| p.line());
    let fail = |message: String| LineError { line, message };
    if record.len() != HEADER.len() {
        return Err(fail(format!(
            "expected {} columns, found {}",
            HEADER.len(),
            record.len()
        )));
    }
    let cp_potential = match record[4].to_lowercase().as_str() {
        "true" | "1" | "yes" | "có" => true,
        "false" | "0" | "no" | "không" => false,
        other => {
            return Err(fail(format!(
                "cp_potential: expected true or false, found {other:?}"
            )))
        }
    };
    Ok(FacilityRow {
        line,
        name: record[0].to_string(),
        tax_code: record[1].to_string(),
        district: record[2].to_string(),
        sector: record[3].to_string(),
        cp_potential,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_and_bad_ones_named() {
        let body = "\u{feff}name,tax_code,district,sector,cp_potential\n\
                    Công ty A,0300000001,Bến Lức,thực phẩm,Có\n\
                    B,2,Tân An\n\
                    C,3,Tân An,dệt,maybe\n";
        let rows = parse(body).expect("the header is right");
        assert_eq!(rows.len(), 3);
        let first = rows[0].as_ref().expect("line 2 reads");
        assert_eq!((first.line, first.cp_potential), (2, true));
        assert_eq!(first.district, "Bến Lức");
        assert_eq!(rows[1].as_ref().map_err(|e| e.line), Err(3));
        assert!(rows[2].as_ref().is_err_and(|e| e.message.contains("maybe")));
        assert_eq!(parse("tên,mã\n"), Err(CsvError::WrongHeader));
    }
}
