//! The two bulk formats, read incrementally: bytes go in as they arrive (any split), records
//! come out one by one with their position, so memory stays flat for any file size.
//! NDJSON: one JSON object per line, fields named as in GraphQL (`recordId`, `bytesUp`, …).
//! CSV (RFC 4180, quoted fields allowed): a header row naming the columns in snake_case
//! (`record_id`, `bytes_up`, …) in any order; unknown columns are ignored.

use tsunagi_core::usage::{Field, Rejection, Submitted};
use tsunagi_core::{Error, Result};

/// Raw text kept with a record that could not be read, at most this long.
const RAW_KEPT: usize = 2_000;
/// The longest NDJSON line or CSV row accepted (a record is a few hundred bytes).
pub const MAX_RECORD_BYTES: usize = 64 << 10;
/// The most fields a CSV row may have (a record has ten; unknown columns are allowed).
pub const MAX_FIELDS: usize = 256;

/// One record read from a submission: its 1-based position and what was in it.
#[derive(Debug)]
pub enum Item {
    Record(Submitted<'static>),
    /// Could not be read at all (not JSON, wrong number of CSV fields, too long).
    Unreadable {
        raw: String,
        why: Rejection,
    },
}

fn clip_raw(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(RAW_KEPT)]);
    s.replace('\0', "\u{fffd}")
}

/// The submitted fields of a record as a JSON object (names as in NDJSON), for rejections.
pub fn fields_json(s: &Submitted<'_>) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for f in Field::ALL {
        if let Some(v) = s.get(f) {
            // jsonb cannot hold NUL (a record with one is refused; its fields are kept).
            let v = v.replace('\0', "\u{fffd}");
            m.insert(f.json_name().into(), serde_json::Value::String(v));
        }
    }
    serde_json::Value::Object(m)
}

/// Reads one NDJSON object into submitted fields.
pub fn from_json_object(obj: &serde_json::Map<String, serde_json::Value>) -> Item {
    use serde_json::Value;
    let mut s = Submitted::default();
    for (k, v) in obj {
        let Some(f) = Field::from_json_name(k) else {
            continue;
        };
        match v {
            Value::Null => {}
            Value::String(x) => s.set(f, x.clone()),
            Value::Number(n) => s.set(f, n.to_string()),
            Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
                return Item::Unreadable {
                    raw: clip_raw(Value::Object(obj.clone()).to_string().as_bytes()),
                    why: Rejection::malformed(f, "must be a string or a number"),
                };
            }
        }
    }
    Item::Record(s)
}

/// NDJSON, line by line. Blank lines are skipped (but counted as positions).
#[derive(Debug, Default)]
pub struct Ndjson {
    carry: Vec<u8>,
    position: i64,
}

impl Ndjson {
    fn line(&mut self, line: &[u8], out: &mut dyn FnMut(i64, Item)) {
        self.position += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // A byte order mark before the first record.
        let line = if self.position == 1 {
            line.strip_prefix(BOM).unwrap_or(line)
        } else {
            line
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let item = if line.len() > MAX_RECORD_BYTES {
            Item::Unreadable {
                raw: clip_raw(line),
                why: Rejection::unreadable(format!(
                    "the line is longer than {MAX_RECORD_BYTES} bytes"
                )),
            }
        } else {
            match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line) {
                Ok(obj) => from_json_object(&obj),
                Err(e) => Item::Unreadable {
                    raw: clip_raw(line),
                    why: Rejection::unreadable(format!("not a JSON object: {e}")),
                },
            }
        };
        out(self.position, item);
    }

    pub fn feed(&mut self, mut chunk: &[u8], out: &mut dyn FnMut(i64, Item)) {
        while let Some(nl) = chunk.iter().position(|&b| b == b'\n') {
            if self.carry.is_empty() {
                self.line(&chunk[..nl], out);
            } else {
                let mut line = std::mem::take(&mut self.carry);
                line.extend_from_slice(&chunk[..nl]);
                self.line(&line, out);
            }
            chunk = &chunk[nl + 1..];
        }
        // An over-long line is kept only up to the limit (it is rejected either way).
        let room = (MAX_RECORD_BYTES + 1).saturating_sub(self.carry.len());
        self.carry
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    pub fn finish(&mut self, out: &mut dyn FnMut(i64, Item)) {
        if !self.carry.is_empty() {
            let line = std::mem::take(&mut self.carry);
            self.line(&line, out);
        }
    }
}

/// CSV with a header row.
#[derive(Debug)]
pub struct Csv {
    reader: csv_core::Reader,
    /// The field each column holds (None: ignored), once the header is read.
    columns: Option<Vec<Option<Field>>>,
    out: Vec<u8>,
    ends: Vec<usize>,
    olen: usize,
    elen: usize,
    position: i64,
    /// The first bytes, held until a UTF-8 byte order mark can be told apart (csv_core strips
    /// it too, but reads an input that was only the mark as the end of the data).
    head: Option<Vec<u8>>,
}

const BOM: &[u8] = b"\xef\xbb\xbf";

impl Default for Csv {
    fn default() -> Self {
        Self {
            reader: csv_core::Reader::new(),
            columns: None,
            out: vec![0; 4096],
            ends: vec![0; 32],
            olen: 0,
            elen: 0,
            position: 0,
            head: Some(Vec::new()),
        }
    }
}

/// The columns a CSV header must have.
const REQUIRED: [Field; 4] = [Field::RecordId, Field::Type, Field::Msisdn, Field::Time];

impl Csv {
    fn header(&mut self) -> Result<()> {
        let mut cols = Vec::new();
        let mut start = 0;
        for &end in &self.ends[..self.elen] {
            let name = String::from_utf8_lossy(&self.out[start..end]);
            let name = name
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase();
            cols.push(Field::from_csv_name(&name));
            start = end;
        }
        for f in REQUIRED {
            if !cols.contains(&Some(f)) {
                return Err(Error::invalid(
                    "header",
                    format!(
                        "the CSV header must name the column {} (columns: record_id, type, msisdn, time, bytes_up, bytes_down, apn, seconds, destination, roaming_zone)",
                        f.csv_name()
                    ),
                ));
            }
        }
        self.columns = Some(cols);
        Ok(())
    }

    fn record(&mut self, out: &mut dyn FnMut(i64, Item)) {
        self.position += 1;
        let Some(cols) = &self.columns else {
            return;
        };
        let n = self.elen;
        // A blank line reads as one empty field.
        if n == 1 && self.ends[0] == 0 {
            return;
        }
        if n != cols.len() {
            let raw = clip_raw(&self.out[..self.olen]);
            out(
                self.position,
                Item::Unreadable {
                    raw,
                    why: Rejection::unreadable(format!(
                        "the row has {n} fields, the header has {}",
                        cols.len()
                    )),
                },
            );
            return;
        }
        let mut s = Submitted::default();
        let mut start = 0;
        for (i, &end) in self.ends[..n].iter().enumerate() {
            if let Some(f) = cols[i] {
                s.set(
                    f,
                    String::from_utf8_lossy(&self.out[start..end]).into_owned(),
                );
            }
            start = end;
        }
        out(self.position, Item::Record(s));
    }

    /// Feeds the next bytes of the input.
    pub fn feed(&mut self, chunk: &[u8], out: &mut dyn FnMut(i64, Item)) -> Result<()> {
        if let Some(head) = &mut self.head {
            head.extend_from_slice(chunk);
            if head.len() < BOM.len() {
                return Ok(());
            }
            let head = self.head.take().unwrap_or_default();
            let rest = head.strip_prefix(BOM).unwrap_or(&head);
            return self.read(rest, false, out);
        }
        if chunk.is_empty() {
            return Ok(());
        }
        self.read(chunk, false, out)
    }

    /// Reads what is left at the end of the input (a last row without a line break).
    pub fn finish(&mut self, out: &mut dyn FnMut(i64, Item)) -> Result<()> {
        if let Some(head) = self.head.take() {
            let rest = head.strip_prefix(BOM).unwrap_or(&head);
            self.read(rest, false, out)?;
        }
        self.read(&[], true, out)
    }

    fn read(&mut self, mut chunk: &[u8], end: bool, out: &mut dyn FnMut(i64, Item)) -> Result<()> {
        loop {
            // csv_core reads an empty input as the end of the data.
            if chunk.is_empty() && !end {
                return Ok(());
            }
            let (res, nin, nout, nend) = self.reader.read_record(
                chunk,
                &mut self.out[self.olen..],
                &mut self.ends[self.elen..],
            );
            chunk = &chunk[nin..];
            self.olen += nout;
            self.elen += nend;
            use csv_core::ReadRecordResult as R;
            match res {
                R::InputEmpty => {
                    if !end {
                        return Ok(());
                    }
                }
                R::OutputFull => {
                    if self.out.len() >= MAX_RECORD_BYTES {
                        return Err(Error::invalid(
                            "body",
                            format!(
                                "CSV data row {} is longer than {MAX_RECORD_BYTES} bytes (an unclosed quote?)",
                                self.position + 1
                            ),
                        ));
                    }
                    let n = self.out.len() * 2;
                    self.out.resize(n, 0);
                }
                R::OutputEndsFull => {
                    if self.ends.len() >= MAX_FIELDS {
                        return Err(Error::invalid(
                            "body",
                            format!(
                                "CSV data row {} has more than {MAX_FIELDS} fields",
                                self.position + 1
                            ),
                        ));
                    }
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                R::Record => {
                    if self.columns.is_none() {
                        self.header()?;
                    } else {
                        self.record(out);
                    }
                    self.olen = 0;
                    self.elen = 0;
                }
                R::End => {
                    if self.columns.is_none() {
                        return Err(Error::invalid("header", "the CSV body is empty"));
                    }
                    return Ok(());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
