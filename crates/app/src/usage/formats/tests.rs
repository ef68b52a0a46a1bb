use super::*;

fn collect_ndjson(parts: &[&[u8]]) -> Vec<(i64, String)> {
    let mut got = Vec::new();
    let mut d = Ndjson::default();
    let mut push = |p: i64, i: Item| got.push((p, describe(&i)));
    for p in parts {
        d.feed(p, &mut push);
    }
    d.finish(&mut push);
    got
}

fn collect_csv(parts: &[&[u8]]) -> Result<Vec<(i64, String)>> {
    let mut got = Vec::new();
    let mut d = Csv::default();
    let mut push = |p: i64, i: Item| got.push((p, describe(&i)));
    for p in parts {
        d.feed(p, &mut push)?;
    }
    d.finish(&mut push)?;
    Ok(got)
}

fn describe(i: &Item) -> String {
    match i {
        Item::Record(s) => fields_json(s).to_string(),
        Item::Unreadable { why, .. } => format!("unreadable: {}", why.reason),
    }
}

const NDJSON: &[u8] = b"{\"recordId\":\"a\",\"type\":\"data\",\"bytesUp\":10,\"bytesDown\":20}\r\n\n{\"recordId\":\"b\",\"type\":\"sms\",\"destination\":\"domestic\",\"x\":1}\nnot json\n{\"recordId\":\"c\",\"seconds\":[1]}";

#[test]
fn ndjson_reads_the_same_records_however_the_bytes_are_split() {
    let whole = collect_ndjson(&[NDJSON]);
    assert_eq!(whole.len(), 4, "{whole:?}");
    assert_eq!(whole[0].0, 1);
    assert!(whole[0].1.contains("\"bytesUp\":\"10\""), "{whole:?}");
    assert_eq!(whole[1].0, 3, "the blank line keeps its position");
    assert!(!whole[1].1.contains("\"x\""), "unknown fields are ignored");
    assert!(whole[2].1.starts_with("unreadable: not a JSON object"));
    assert!(whole[3].1.contains("must be a string or a number"));
    for cut in 0..NDJSON.len() {
        let (a, b) = NDJSON.split_at(cut);
        assert_eq!(collect_ndjson(&[a, b]), whole, "cut at {cut}");
    }
}

const CSV: &[u8] = b"\xef\xbb\xbfrecord_id,type,msisdn,time,bytes_up,bytes_down,apn,extra\r\nr1,data,+819012345678,2026-11-29T00:00:00Z,1,2,\"inter,net\",z\r\n\"r\"\"2\",data,+819012345678,2026-11-29T00:00:00Z,3,4,\"multi\nline\",z\nr3,data\n";

#[test]
fn csv_reads_quoted_fields_and_the_same_records_however_the_bytes_are_split() {
    let whole = collect_csv(&[CSV]).expect("csv");
    assert_eq!(whole.len(), 3, "{whole:?}");
    assert!(whole[0].1.contains("\"apn\":\"inter,net\""), "{whole:?}");
    assert!(whole[1].1.contains("\"recordId\":\"r\\\"2\""), "{whole:?}");
    assert!(whole[1].1.contains("multi\\nline"), "{whole:?}");
    assert_eq!(
        whole[2].1,
        "unreadable: the row has 2 fields, the header has 8"
    );
    for cut in 0..CSV.len() {
        let (a, b) = CSV.split_at(cut);
        assert_eq!(
            collect_csv(&[a, b]).unwrap_or_else(|e| panic!("cut at {cut}: {e:?}")),
            whole,
            "cut at {cut}"
        );
    }
}

#[test]
fn a_csv_header_without_a_required_column_is_refused_naming_it() {
    let e = collect_csv(&[b"record_id,type,time\nx,data,now\n"]).expect_err("no msisdn");
    let Error::Validation(fs) = e else {
        panic!("{e:?}")
    };
    assert_eq!(fs[0].field, "header");
    assert!(fs[0].reason.contains("msisdn"), "{}", fs[0].reason);
    assert!(collect_csv(&[b""]).is_err(), "an empty body has no header");
}

#[test]
fn an_ndjson_byte_order_mark_and_a_nul_do_not_lose_a_record_or_break_staging() {
    let got = collect_ndjson(&[b"\xef\xbb\xbf{\"recordId\":\"a\\u0000b\"}\n"]);
    assert_eq!(got.len(), 1);
    assert!(got[0].1.contains("a\u{fffd}b"), "{got:?}");
}

#[test]
fn a_csv_row_with_too_many_fields_is_refused() {
    let mut row = String::from("record_id,type,msisdn,time\n");
    row.push_str(&",".repeat(MAX_FIELDS * 2));
    row.push('\n');
    assert!(collect_csv(&[row.as_bytes()]).is_err());
}
