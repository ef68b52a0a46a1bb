//! Usage ingestion from the producer's side: a carrier mediation system with an API key
//! (`usage_feed`) posts NDJSON and CSV to `POST /usage/records`; every record is accepted
//! once, re-sending changes nothing, and nothing is dropped — each record that cannot be
//! taken is kept with its reason, and a person re-processes (corrected) or discards it,
//! audited. Other tenants and roles see and do none of it.

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use tsunagi_tests::ledger::build;
use tsunagi_tests::{Client, TestEnv, code};

async fn post(base: &str, key: &str, query: &str, ct: &str, body: Vec<u8>) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{base}/usage/records{query}"))
        .bearer_auth(key)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("post");
    let status = res.status().as_u16();
    (status, res.json().await.expect("json answer"))
}

async fn usage_key(admin: &Client) -> String {
    let k = admin
        .ok(
            "mutation { apiKeyCreate(input: {name: \"mediation\", roles: [\"usage_feed\"]}) { secret } }",
            json!({}),
        )
        .await;
    k["apiKeyCreate"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned()
}

fn ts(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

const REJECTIONS: &str = "query($b: ID) { usageRejections(batchId: $b, status: null, first: 50) { edges { node { id recordId position code field reason status attempts fields raw } } } }";

#[tokio::test]
async fn usage_is_taken_once_and_nothing_is_dropped() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 81).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let billing = s.as_role("sakura-mobile", "billing").await;
    let key = usage_key(&admin).await;
    // The line's contract started when the ledger activated it, just now.
    let now = Utc::now();
    let t1 = ts(now + Duration::seconds(2));
    let t2 = ts(now + Duration::seconds(3));
    let m = &l.msisdn;

    let lines = [
        json!({"recordId": "d-1", "type": "data", "msisdn": m, "time": t1, "bytesUp": 1200, "bytesDown": 56000, "apn": "internet"}).to_string(),
        json!({"recordId": "v-1", "type": "voice", "msisdn": m, "time": t2, "seconds": 61, "destination": "international", "roamingZone": "zone-2"}).to_string(),
        json!({"recordId": "s-1", "type": "sms", "msisdn": m, "time": t2, "destination": "domestic"}).to_string(),
        json!({"recordId": "d-1", "type": "data", "msisdn": m, "time": t1, "bytesUp": 1200, "bytesDown": 56000}).to_string(),
        json!({"recordId": "u-1", "type": "sms", "msisdn": "+819099999999", "time": t2, "destination": "domestic"}).to_string(),
        json!({"recordId": "bad-1", "type": "data", "msisdn": m, "time": t2, "bytesUp": -1, "bytesDown": 5}).to_string(),
        "{not json".to_owned(),
        json!({"recordId": "old-1", "type": "sms", "msisdn": m, "time": ts(now - Duration::days(30)), "destination": "domestic"}).to_string(),
    ];
    let body = lines.join("\n").into_bytes();
    let (st, sum) = post(
        &s.base,
        &key,
        "?source=carrier",
        "application/x-ndjson",
        body.clone(),
    )
    .await;
    assert_eq!(st, 200, "{sum}");
    assert_eq!(
        (
            &sum["received"],
            &sum["accepted"],
            &sum["duplicates"],
            &sum["rejected"]
        ),
        (&json!(8), &json!(3), &json!(1), &json!(4)),
        "{sum}"
    );
    let why: Vec<(i64, String, Value)> = sum["rejections"]
        .as_array()
        .expect("rejections")
        .iter()
        .map(|r| {
            (
                r["position"].as_i64().unwrap_or(0),
                r["code"].as_str().unwrap_or("").to_owned(),
                r["field"].clone(),
            )
        })
        .collect();
    assert_eq!(
        why,
        vec![
            (5, "unknown_msisdn".into(), Value::Null),
            (6, "malformed".into(), json!("bytesUp")),
            (7, "malformed".into(), Value::Null),
            (8, "line_not_active".into(), Value::Null),
        ],
        "{sum}"
    );

    // Sending the same file again takes nothing twice and keeps one open rejection per record.
    let (st, again) = post(
        &s.base,
        &key,
        "?source=carrier",
        "application/x-ndjson",
        body,
    )
    .await;
    assert_eq!(st, 200, "{again}");
    assert_eq!(
        (&again["accepted"], &again["duplicates"], &again["rejected"]),
        (&json!(0), &json!(4), &json!(4)),
        "{again}"
    );
    let open = billing.ok(REJECTIONS, json!({})).await;
    let open = open["usageRejections"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    let keyed: Vec<&Value> = open
        .iter()
        .filter(|e| !e["node"]["recordId"].is_null())
        .collect();
    assert_eq!(keyed.len(), 3, "one rejection per record id: {open:?}");
    assert!(
        keyed.iter().all(|e| e["node"]["attempts"] == 2),
        "{keyed:?}"
    );
    let unreadable = open
        .iter()
        .find(|e| e["node"]["recordId"].is_null())
        .expect("the unreadable line is kept");
    assert_eq!(unreadable["node"]["raw"], "{not json");

    // CSV: quoted fields, columns in any order, unknown columns ignored.
    let csv = format!(
        "type,record_id,msisdn,time,bytes_up,bytes_down,apn,note\r\ndata,d-2,{m},{t1},10,20,\"inter,net\",x\r\ndata,d-1,{m},{t1},1200,56000,,dup\r\n"
    );
    let (st, c) = post(
        &s.base,
        &key,
        "?source=carrier",
        "text/csv; charset=utf-8",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(st, 200, "{c}");
    assert_eq!(
        (&c["accepted"], &c["duplicates"], &c["rejected"]),
        (&json!(1), &json!(1), &json!(0)),
        "{c}"
    );

    // A file larger than one chunk is taken whole, in chunks.
    let many: String = (0..25_000)
        .map(|i| format!("{{\"recordId\":\"bulk-{i}\",\"type\":\"data\",\"msisdn\":\"{m}\",\"time\":\"{t2}\",\"bytesUp\":1,\"bytesDown\":{i}}}\n"))
        .collect();
    let (st, big) = post(
        &s.base,
        &key,
        "?source=carrier",
        "application/x-ndjson",
        many.into_bytes(),
    )
    .await;
    assert_eq!(st, 200, "{big}");
    assert_eq!(
        (&big["received"], &big["accepted"]),
        (&json!(25_000), &json!(25_000)),
        "{big}"
    );

    // The line's records, newest first, for billing staff.
    let q = "query($l: ID!, $f: DateTime!, $t: DateTime!) { lineUsage(lineId: $l, from: $f, to: $t, first: 3) { edges { node { recordId kind msisdn bytesDown seconds destination roamingZone } } pageInfo { hasNextPage } } }";
    let vars = json!({ "l": l.line, "f": ts(now - Duration::hours(1)), "t": ts(now + Duration::minutes(1)) });
    let u = billing.ok(q, vars.clone()).await;
    assert_eq!(u["lineUsage"]["pageInfo"]["hasNextPage"], true, "{u}");
    let call = billing
        .ok("query($l: ID!, $f: DateTime!, $t: DateTime!) { lineUsage(lineId: $l, from: $f, to: $t, first: 500) { edges { node { recordId kind seconds destination roamingZone } } } }", vars.clone())
        .await;
    let edges = call["lineUsage"]["edges"].as_array().expect("edges");
    let v1 = edges
        .iter()
        .find(|e| e["node"]["recordId"] == "v-1")
        .expect("the call");
    assert_eq!(
        v1["node"],
        json!({"recordId": "v-1", "kind": "VOICE", "seconds": 61, "destination": "international", "roamingZone": "zone-2"})
    );

    // Correct and re-process the malformed record; discard the unknown number with a reason.
    let all = billing.ok(REJECTIONS, json!({})).await;
    let find = |rid: &str| {
        all["usageRejections"]["edges"]
            .as_array()
            .and_then(|es| es.iter().find(|e| e["node"]["recordId"] == rid))
            .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_owned())
            .expect("rejection")
    };
    let (bad, unknown) = (find("bad-1"), find("u-1"));
    let re = "mutation($id: ID!, $r: UsageRecordInput) { usageRejectionReprocess(input: {id: $id, record: $r}) { rejection { status resolution } submission { accepted rejected } } }";
    let as_sent = billing.gql(re, json!({ "id": bad })).await;
    assert_eq!(
        as_sent["data"]["usageRejectionReprocess"]["rejection"]["status"], "OPEN",
        "still wrong as sent: {as_sent}"
    );
    let fixed = billing
        .ok(re, json!({ "id": bad, "r": {"recordId": "bad-1", "type": "data", "msisdn": m, "time": t2, "bytesUp": 1, "bytesDown": 5} }))
        .await;
    assert_eq!(
        fixed["usageRejectionReprocess"]["submission"]["accepted"], 1,
        "{fixed}"
    );
    assert_eq!(
        fixed["usageRejectionReprocess"]["rejection"]["status"], "REPROCESSED",
        "{fixed}"
    );
    let again = billing.gql(re, json!({ "id": bad })).await;
    assert_eq!(code(&again).as_deref(), Some("CONFLICT"), "{again}");

    let discard = "mutation($id: ID!, $why: String!) { usageRejectionDiscard(input: {id: $id, reason: $why}) { rejection { status resolution resolvedBy } } }";
    let empty = billing
        .gql(discard, json!({ "id": unknown, "why": " " }))
        .await;
    assert_eq!(code(&empty).as_deref(), Some("VALIDATION"), "{empty}");
    assert!(empty.to_string().contains("input.reason"), "{empty}");
    let d = billing
        .ok(
            discard,
            json!({ "id": unknown, "why": "test SIM of the carrier, not ours" }),
        )
        .await;
    assert_eq!(
        d["usageRejectionDiscard"]["rejection"]["status"], "DISCARDED",
        "{d}"
    );
    let audited: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'usage.%' ORDER BY seq")
            .fetch_all(&env.admin)
            .await
            .expect("audit");
    for a in [
        "usage.ingest",
        "usage.rejection_reprocess",
        "usage.rejection_discard",
    ] {
        assert!(audited.iter().any(|x| x == a), "{a} in {audited:?}");
    }
}

#[tokio::test]
async fn usage_refuses_bad_requests_clearly_and_stays_in_its_tenant_and_role() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 82).await;
    let sakura_key = usage_key(&s.as_role("sakura-mobile", "tenant_admin").await).await;
    let fuji_key = usage_key(&s.as_role("fuji-telecom", "tenant_admin").await).await;
    let at = ts(Utc::now() + Duration::seconds(2));
    let rec = json!({"recordId": "x-1", "type": "sms", "msisdn": l.msisdn, "time": at, "destination": "domestic"}).to_string();

    for (key, query, ct, body, status, field) in [
        (
            "tsk_nope",
            "?source=carrier",
            "application/x-ndjson",
            rec.clone(),
            401,
            None,
        ),
        (
            sakura_key.as_str(),
            "",
            "application/x-ndjson",
            rec.clone(),
            400,
            Some("source"),
        ),
        (
            sakura_key.as_str(),
            "?source=Bad%20Source",
            "application/x-ndjson",
            rec.clone(),
            400,
            Some("source"),
        ),
        (
            sakura_key.as_str(),
            "?source=carrier",
            "application/json",
            rec.clone(),
            400,
            Some("Content-Type"),
        ),
        (
            sakura_key.as_str(),
            "?source=carrier",
            "text/csv",
            "record_id,type,time\nx,sms,now\n".into(),
            400,
            Some("header"),
        ),
    ] {
        let (st, b) = post(&s.base, key, query, ct, body.into_bytes()).await;
        assert_eq!(st, status, "{query} {ct}: {b}");
        if let Some(f) = field {
            assert_eq!(b["errors"][0]["extensions"]["code"], "VALIDATION", "{b}");
            assert!(b.to_string().contains(f), "{f}: {b}");
        }
    }

    // What PostgreSQL could not store (a NUL, year 0, an over-long id) is refused by field,
    // and the rest of the chunk is still taken.
    let hostile = [
        json!({"recordId": "nul-1", "type": "data", "msisdn": l.msisdn, "time": at, "bytesUp": 1, "bytesDown": 1, "apn": "inter\u{0}net"}).to_string(),
        json!({"recordId": "old-0", "type": "sms", "msisdn": l.msisdn, "time": "0000-01-01T00:00:00Z", "destination": "domestic"}).to_string(),
        json!({"recordId": "x".repeat(3_000), "type": "sms", "msisdn": l.msisdn, "time": at, "destination": "domestic"}).to_string(),
        json!({"recordId": "fine-1", "type": "sms", "msisdn": l.msisdn, "time": at, "destination": "domestic"}).to_string(),
    ]
    .join("\n");
    let (st, h) = post(
        &s.base,
        &sakura_key,
        "?source=carrier",
        "application/x-ndjson",
        hostile.into_bytes(),
    )
    .await;
    assert_eq!(st, 200, "{h}");
    assert_eq!(
        (&h["accepted"], &h["rejected"]),
        (&json!(1), &json!(3)),
        "{h}"
    );
    let fields: Vec<&Value> = h["rejections"]
        .as_array()
        .expect("rejections")
        .iter()
        .map(|r| &r["field"])
        .collect();
    assert_eq!(
        fields,
        vec![&json!("apn"), &json!("time"), &json!("recordId")],
        "{h}"
    );

    // Another tenant's feed cannot reach this tenant's line: the number is unknown there.
    let (st, other) = post(
        &s.base,
        &fuji_key,
        "?source=carrier",
        "application/x-ndjson",
        rec.clone().into_bytes(),
    )
    .await;
    assert_eq!(st, 200, "{other}");
    assert_eq!(
        (&other["accepted"], &other["rejections"][0]["code"]),
        (&json!(0), &json!("unknown_msisdn")),
        "{other}"
    );
    let (_, mine) = post(
        &s.base,
        &sakura_key,
        "?source=carrier",
        "application/x-ndjson",
        rec.into_bytes(),
    )
    .await;
    assert_eq!(mine["accepted"], 1, "{mine}");

    // Reading: another tenant's staff see nothing of the line; the feed key reads nothing.
    let q = "query($l: ID!, $f: DateTime!, $t: DateTime!) { lineUsage(lineId: $l, from: $f, to: $t) { edges { node { recordId } } } }";
    let vars = json!({ "l": l.line, "f": ts(Utc::now() - Duration::hours(1)), "t": ts(Utc::now() + Duration::hours(1)) });
    let fuji = s.as_role("fuji-telecom", "billing").await;
    let seen = fuji.gql(q, vars.clone()).await;
    assert_eq!(code(&seen).as_deref(), Some("NOT_FOUND"), "{seen}");
    let feed = Client::new(&s.base, Some(sakura_key.clone()));
    assert_eq!(
        code(&feed.gql(q, vars.clone()).await).as_deref(),
        Some("FORBIDDEN")
    );
    let fuji_rej = fuji.ok(REJECTIONS, json!({})).await;
    assert!(
        fuji_rej["usageRejections"]["edges"]
            .as_array()
            .is_some_and(|e| e.len() == 1),
        "fuji sees its own rejection only: {fuji_rej}"
    );

    // Sales may not submit; the GraphQL path names a bad field the same way.
    let submit = "mutation($r: [UsageRecordInput!]!) { usageSubmit(input: {source: \"carrier\", records: $r}) { submission { accepted rejected rejections { field reason code } } } }";
    let sales = s.as_role("sakura-mobile", "sales").await;
    let r = json!([{"recordId": "g-1", "type": "voice", "msisdn": l.msisdn, "time": at, "seconds": 30}]);
    assert_eq!(
        code(&sales.gql(submit, json!({ "r": r })).await).as_deref(),
        Some("FORBIDDEN")
    );
    let billing = s.as_role("sakura-mobile", "billing").await;
    let g = billing.ok(submit, json!({ "r": r })).await;
    assert_eq!(
        g["usageSubmit"]["submission"]["rejections"][0]["field"], "destination",
        "{g}"
    );
    assert_eq!(
        g["usageSubmit"]["submission"]["rejections"][0]["code"], "MALFORMED",
        "{g}"
    );
}
