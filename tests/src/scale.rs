//! The ledger at benchmark scale, seeded with SQL as the superuser (identifiers are
//! well-formed but ICCID check digits are not computed for bench data): 1,000,000 lines with
//! their contracts, numbers and SIMs, and 500,000 customers across 20 tenants (50,000 lines
//! and 25,000 customers each, the seeded tenants included); customer names a third each in
//! Latin letters, kanji and katakana. Used by the ledger and console benches.

use crate::TestEnv;
use std::time::Instant;

const SURNAMES: &str = "'Sato','Suzuki','Takahashi','Tanaka','Watanabe','Ito','Yamamoto','Nakamura','Kobayashi','Kato','Yoshida','Yamada','Sasaki','Yamaguchi','Matsumoto','Inoue','Kimura','Hayashi','Shimizu','Yamazaki','Mori','Abe','Ikeda','Hashimoto','Yamashita','Ishikawa','Nakajima','Maeda','Fujita','Ogawa','Goto','Okada','Hasegawa','Murakami','Kondo','Ishii','Saito','Sakamoto','Endo','Aoki'";
/// The same surnames in kanji and in katakana (a third of the customers each: support types
/// whichever the customer gave).
const SURNAMES_KANJI: &str = "'佐藤','鈴木','高橋','田中','渡辺','伊藤','山本','中村','小林','加藤','吉田','山田','佐々木','山口','松本','井上','木村','林','清水','山崎','森','阿部','池田','橋本','山下','石川','中島','前田','藤田','小川','後藤','岡田','長谷川','村上','近藤','石井','斎藤','坂本','遠藤','青木'";
const SURNAMES_KANA: &str = "'サトウ','スズキ','タカハシ','タナカ','ワタナベ','イトウ','ヤマモト','ナカムラ','コバヤシ','カトウ','ヨシダ','ヤマダ','ササキ','ヤマグチ','マツモト','イノウエ','キムラ','ハヤシ','シミズ','ヤマザキ','モリ','アベ','イケダ','ハシモト','ヤマシタ','イシカワ','ナカジマ','マエダ','フジタ','オガワ','ゴトウ','オカダ','ハセガワ','ムラカミ','コンドウ','イシイ','サイトウ','サカモト','エンドウ','アオキ'";
const GIVEN_KANJI: &str = "'花子','太郎','由紀','陽翔','蒼太','結衣','葵','蓮','美緒','陸','陽菜','湊','桜','悠斗','芽依','海斗','凛','大翔','朱里','樹','結菜','大輝','心春','空','咲','匠','七海','健太','彩花','翔太'";
const GIVEN_KANA: &str = "'ハナコ','タロウ','ユキ','ハルト','ソウタ','ユイ','アオイ','レン','ミオ','リク','ヒナ','ミナト','サクラ','ユウト','メイ','カイト','リン','ヒロト','アカリ','イツキ','ユナ','ダイキ','コハル','ソラ','サキ','タクミ','ナナミ','ケンタ','アヤカ','ショウタ'";
const GIVEN: &str = "'Hanako','Taro','Yuki','Haruto','Sota','Yui','Aoi','Ren','Mio','Riku','Hina','Minato','Sakura','Yuto','Mei','Kaito','Rin','Hiroto','Akari','Itsuki','Yuna','Daiki','Koharu','Sora','Saki','Takumi','Nanami','Kenta','Ayaka','Shota'";

/// Lines per tenant: 50,000 (1,000,000 in all); 5,000 under `BENCH_QUICK=1` (`cargo xtask
/// bench --quick`), so a developer's check seeds in seconds. Customers are half as many.
pub fn lines_per_tenant() -> u32 {
    if crate::load::quick() { 5_000 } else { 50_000 }
}

/// Seeds the scale data into `env`'s database (93–96 s on the reference machine); the
/// table `bench_tenants (id, idx)` says which index each tenant's identifiers use.
pub async fn bulk_seed(env: &TestEnv) -> anyhow::Result<()> {
    let t = Instant::now();
    let lines = lines_per_tenant();
    let customers = lines / 2;
    let steps: Vec<String> = vec![
        "INSERT INTO tenants (id, parent_id, slug, name, kind) SELECT gen_random_uuid(), (SELECT id FROM tenants WHERE kind = 'platform'), 'bench-' || lpad(g::text, 2, '0'), 'Bench ' || g, 'mvno' FROM generate_series(1, 16) g".into(),
        "CREATE TABLE bench_tenants AS SELECT id, (row_number() OVER (ORDER BY slug))::int - 1 AS idx FROM tenants WHERE kind <> 'platform'".into(),
        "INSERT INTO plans (tenant_id, id, code, name, status) SELECT id, md5(id::text || 'plan')::uuid, 'BENCH', 'Bench plan', 'active' FROM bench_tenants".into(),
        "INSERT INTO plan_prices (tenant_id, id, plan_id, currency, monthly_fee, data_mb, voice_min, sms, overage_data_per_gb, overage_voice_per_min, overage_sms, valid_from, applies) \
         SELECT id, md5(id::text || 'price')::uuid, md5(id::text || 'plan')::uuid, 'JPY', 2980, 3072, 0, 0, 550, 22, 3, now() - interval '1 year', 'immediately' FROM bench_tenants".into(),
        format!("INSERT INTO customers (tenant_id, id, kind, name, email, phone, kyc_status) \
         SELECT b.id, md5(b.id::text || 'c' || g)::uuid, 'individual', \
                CASE (g / 1200) % 3 \
                  WHEN 0 THEN (ARRAY[{SURNAMES}])[1 + g % 40] || ' ' || (ARRAY[{GIVEN}])[1 + (g / 40) % 30] || ' ' || g \
                  WHEN 1 THEN (ARRAY[{SURNAMES_KANJI}])[1 + g % 40] || ' ' || (ARRAY[{GIVEN_KANJI}])[1 + (g / 40) % 30] || ' ' || g \
                  ELSE (ARRAY[{SURNAMES_KANA}])[1 + g % 40] || ' ' || (ARRAY[{GIVEN_KANA}])[1 + (g / 40) % 30] || ' ' || g END, \
                'c' || g || '.' || b.idx || '@example.jp', '8180' || lpad(b.idx::text, 2, '0') || lpad(g::text, 6, '0'), 'verified' \
         FROM bench_tenants b, generate_series(1, {customers}) g"),
        format!("INSERT INTO numbers (tenant_id, msisdn, status) SELECT b.id, '8170' || lpad(b.idx::text, 2, '0') || lpad(g::text, 6, '0'), 'assigned' FROM bench_tenants b, generate_series(1, {lines}) g"),
        format!("INSERT INTO sims (tenant_id, id, iccid, imsi, status) SELECT b.id, md5(b.id::text || 's' || g)::uuid, '898120' || lpad(b.idx::text, 2, '0') || lpad(g::text, 11, '0'), \
         '44011' || lpad(b.idx::text, 2, '0') || lpad(g::text, 8, '0'), 'assigned' FROM bench_tenants b, generate_series(1, {lines}) g"),
        format!("INSERT INTO contracts (tenant_id, id, customer_id, plan_id, plan_price_id, status, started_at) SELECT b.id, md5(b.id::text || 'k' || g)::uuid, \
         md5(b.id::text || 'c' || (1 + (g - 1) % {customers}))::uuid, md5(b.id::text || 'plan')::uuid, md5(b.id::text || 'price')::uuid, 'active', now() FROM bench_tenants b, generate_series(1, {lines}) g"),
        format!("INSERT INTO lines (tenant_id, id, contract_id, customer_id, msisdn, sim_id, status) SELECT b.id, md5(b.id::text || 'l' || g)::uuid, md5(b.id::text || 'k' || g)::uuid, \
         md5(b.id::text || 'c' || (1 + (g - 1) % {customers}))::uuid, '8170' || lpad(b.idx::text, 2, '0') || lpad(g::text, 6, '0'), md5(b.id::text || 's' || g)::uuid, 'active' \
         FROM bench_tenants b, generate_series(1, {lines}) g"),
        "ANALYZE".into(),
    ];
    for s in steps {
        sqlx::query(sqlx::AssertSqlSafe(s))
            .execute(&env.admin)
            .await?;
    }
    let counts: (i64, i64, i64, i64) = sqlx::query_as("SELECT (SELECT count(*) FROM lines), (SELECT count(*) FROM sims), (SELECT count(*) FROM customers), (SELECT count(DISTINCT tenant_id) FROM lines)")
        .fetch_one(&env.admin)
        .await?;
    println!(
        "seeded {} lines, {} SIMs, {} customers in {} tenants in {:.0} s",
        counts.0,
        counts.1,
        counts.2,
        counts.3,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
