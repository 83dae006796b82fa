//! Changing the 住基ネットCS while it runs, through the admin API, as an operator or a vendor's
//! test does: over real HTTP on loopback, read back the way a 既存住基システム reads (JS01, JS02,
//! JH01), with a real `--data` directory that a second stack starts from.

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::ids::{CertSerial, DantaiCode};
use renkei_fixtures::population::{CertKind, Resident};
use renkei_fixtures::scenario::{Expanded, Scenario};
use renkei_simulator::clock::Clock;
use renkei_simulator::jukinet::service::admin::{Refusal, refusals_markdown};
use renkei_simulator::jukinet::service::{
    AccessKey, ChangeRequest, JukinetCs, Refused, ShikkouRequest,
};
use renkei_simulator::jukinet::{HoninKakuninJoho, JukinetFile, ShomeishoJoho, read_csv};
use renkei_simulator::stack::{Stack, StackOptions};
use serde_json::{Value, json};
use time::macros::date;

const TODAY: time::Date = date!(2026 - 04 - 06);

/// The default scenario, smaller: 200 residents of 千代田区, 20 申請.
fn small() -> Expanded {
    let text = renkei_fixtures::scenario::DEFAULT
        .replace("residents = 1000", "residents = 200")
        .replace("generated = 300", "generated = 20");
    Scenario::from_toml(&text)
        .unwrap()
        .expand(Catalogs::embedded())
        .unwrap()
}

/// Residents aged 15 or more today with a valid 署名用 certificate, in population order.
fn adults_with_cards(expanded: &Expanded) -> Vec<Resident> {
    expanded.populations[0]
        .1
        .iter()
        .flat_map(|h| h.members.iter())
        .filter(|r| {
            r.certificates
                .iter()
                .any(|c| c.kind == CertKind::Shomei && c.revoked.is_none() && c.expires >= TODAY)
        })
        .cloned()
        .collect()
}

/// What a vendor's test holds: the admin API and the 住基ネットCS API of one stack.
struct Client {
    http: reqwest::Client,
    admin: String,
    jukinet: String,
    dantai: DantaiCode,
    key: String,
}

impl Client {
    fn of(stack: &Stack) -> Self {
        let (dantai, key) = stack.jukinet_keys[0].clone();
        Self {
            http: reqwest::Client::new(),
            admin: format!("http://{}/admin/v1", stack.addresses.admin),
            jukinet: format!(
                "http://{}/jukinet/v1/dantai/{dantai}",
                stack.addresses.jukinet
            ),
            dantai,
            key,
        }
    }

    /// `POST /admin/v1/jukinet/dantai/{団体}/{path}` with `body`.
    async fn change(&self, path: &str, body: Value) -> (u16, Value) {
        self.post(&format!("jukinet/dantai/{}/{path}", self.dantai), body)
            .await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/{path}", self.admin))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn get_admin(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}/{path}", self.admin))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn cs(&self, path: &str) -> Vec<u8> {
        let response = self
            .http
            .get(format!("{}/{path}", self.jukinet))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.bytes().await.unwrap().to_vec()
    }

    /// JS01, as the 既存住基システム receives it.
    async fn zenken(&self) -> JukinetFile<ShomeishoJoho> {
        read_csv(&self.cs("shomeisho/zenken").await).unwrap()
    }

    /// JS02 since `since` (RFC 3339).
    async fn sabun(&self, since: &str) -> JukinetFile<ShomeishoJoho> {
        let since = since.replace('+', "%2B");
        read_csv(&self.cs(&format!("shomeisho/sabun?since={since}")).await).unwrap()
    }

    /// JH01 of one resident.
    async fn honin(&self, juminhyo_code: &str) -> HoninKakuninJoho {
        let file: JukinetFile<HoninKakuninJoho> =
            read_csv(&self.cs(&format!("honin-kakunin/{juminhyo_code}")).await).unwrap();
        file.records.into_iter().next().unwrap()
    }

    async fn advance(&self, seconds: i64) {
        let (status, _) = self
            .post("clock/advance", json!({ "seconds": seconds }))
            .await;
        assert_eq!(status, 200);
    }
}

fn serial(value: &Value) -> CertSerial {
    value.as_str().unwrap().parse().unwrap()
}

fn rows_of(file: &JukinetFile<ShomeishoJoho>, serials: &[CertSerial]) -> Vec<ShomeishoJoho> {
    file.records
        .iter()
        .filter(|r| serials.contains(&r.serial))
        .cloned()
        .collect()
}

/// The 転入者 every test moves in: synthetic, a 住民票コード outside the population's `99…` range.
fn tennyusha() -> Value {
    json!({
        "juminhyo_code": "98765432101",
        "shimei": "転入　𠮷子",
        "shimei_kana": "テンニュウ　ヨシコ",
        "seinengappi": "1990-05-01",
        "seibetsu": "女",
        "jusho": "東京都千代田区丸の内一丁目1番1号",
        "certificates": [{"shubetsu": "利用者証明用"}, {"shubetsu": "署名用"}]
    })
}

#[tokio::test]
async fn changes_show_in_every_file_and_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let expanded = small();
    let options = || StackOptions {
        data_dir: Some(data.path().to_owned()),
        ..StackOptions::default()
    };
    let first = Stack::start(&expanded, options()).await.unwrap();
    let client = Client::of(&first);
    let adults = adults_with_cards(&expanded);
    let (a, b, c) = (&adults[0], &adults[1], &adults[2]);

    // The 既存住基システム takes JS01 at 9:00:00; in that same second A loses their card.
    let start = client.zenken().await;
    let t0 = start.header.created.to_string();
    assert_eq!(t0, "2026-04-06T09:00:00+09:00");
    let (status, revoked) = client
        .change(
            &format!("jumin/{}/shikkou", a.juminhyo_code),
            json!({"shubetsu": "署名用", "reason": "紛失"}),
        )
        .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["kind"], "shikkou");
    // Stamped a second after the file, so the delta since the file's 作成日時 carries it.
    assert_eq!(revoked["koshin_nichiji"], "2026-04-06T09:00:01+09:00");
    let row = &revoked["certificates"][0];
    assert_eq!(row["shubetsu"], "署名用");
    assert_eq!(row["shikkobi"], "2026-04-06");
    assert_eq!(row["shikkou_jiyu"], "紛失");
    assert_eq!(row["jotai"], "失効");
    let a_serial = serial(&row["serial"]);

    // An hour later: B is issued a certificate, C renews, someone moves in.
    client.advance(3600).await;
    let (status, issued) = client
        .change(
            &format!("jumin/{}/hakko", b.juminhyo_code),
            json!({"shubetsu": "利用者証明用"}),
        )
        .await;
    assert_eq!(status, 200, "{issued}");
    let b_serial = serial(&issued["certificates"][0]["serial"]);
    assert_eq!(
        b_serial.value(),
        9_000_000_000_000_001,
        "renkei's own range"
    );
    assert_eq!(issued["koshin_nichiji"], "2026-04-06T10:00:00+09:00");

    let (status, renewed) = client
        .change(&format!("jumin/{}/koushin", c.juminhyo_code), json!({}))
        .await;
    assert_eq!(status, 200, "{renewed}");
    let renewed_rows = renewed["certificates"].as_array().unwrap();
    let new_serials: Vec<CertSerial> = renewed_rows
        .iter()
        .filter(|r| r["jotai"] == "有効")
        .map(|r| serial(&r["serial"]))
        .collect();
    let old_serials: Vec<CertSerial> = renewed_rows
        .iter()
        .filter(|r| r["jotai"] == "失効")
        .map(|r| serial(&r["serial"]))
        .collect();
    assert_eq!(new_serials.len(), 2, "{renewed}");
    assert!(!old_serials.is_empty(), "{renewed}");
    assert!(
        renewed_rows
            .iter()
            .all(|r| r["juminhyo_code"] == c.juminhyo_code.to_string()),
        "every row of a renewal is the same person's"
    );

    let (status, moved_in) = client.change("tennyu", tennyusha()).await;
    assert_eq!(status, 200, "{moved_in}");
    assert_eq!(moved_in["honin_kakunin"]["shimei"], "転入　𠮷子");
    let kojin_bango = moved_in["honin_kakunin"]["kojin_bango"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(kojin_bango.starts_with("99"), "{kojin_bango}");
    let tennyu_serials: Vec<CertSerial> = moved_in["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| serial(&r["serial"]))
        .collect();
    assert_eq!(tennyu_serials.len(), 2);

    // What the 既存住基システム sees: the delta since its JS01, the full export, the 本人確認情報.
    let mut changed = vec![a_serial, b_serial];
    changed.extend(&new_serials);
    changed.extend(&old_serials);
    changed.extend(&tennyu_serials);
    let delta = client.sabun(&t0).await;
    let delta_rows = rows_of(&delta, &changed);
    assert_eq!(delta_rows.len(), changed.len(), "{delta_rows:?}");
    assert_eq!(delta.records.len(), changed.len(), "nothing else changed");
    let full = client.zenken().await;
    assert_eq!(rows_of(&full, &changed).len(), changed.len());
    assert_eq!(
        full.records.len(),
        start.records.len() + 1 + new_serials.len() + tennyu_serials.len()
    );
    let honin = client.honin("98765432101").await;
    assert_eq!(honin.shimei, "転入　𠮷子");
    assert_eq!(honin.kojin_bango.to_string(), kojin_bango);
    assert_eq!(
        first
            .jukinet
            .revocations(CertKind::Shomei, TODAY)
            .iter()
            .filter(|(s, _)| *s == a_serial)
            .count(),
        1,
        "the JPKI's CRL lists the revoked 署名用 certificate"
    );
    let person = client
        .get_admin(&format!(
            "jukinet/dantai/{}/jumin/98765432101",
            client.dantai
        ))
        .await;
    assert_eq!(person.0, 200);
    assert_eq!(person.1["certificates"].as_array().unwrap().len(), 2);
    first.shutdown().await;

    // A new stack on the same directory. The clock stands at 10:00:00, where files were handed
    // out before the restart: a change made now, before any file, is stamped 10:00:01, so a
    // delta since those files' 作成日時 carries it.
    let second = Stack::start(&expanded, options()).await.unwrap();
    assert!(second.resumed);
    let client = Client::of(&second);
    let (status, again) = client
        .change(
            &format!("jumin/{}/shikkou", b.juminhyo_code),
            json!({"serial": b_serial.to_string(), "reason": "住所等変更"}),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["koshin_nichiji"], "2026-04-06T10:00:01+09:00");

    // Every change made before the restart is still there, with the same 更新日時; files made
    // at 10:00:00 still show B's certificate as it was until 10:00:01.
    assert_eq!(
        rows_of(&client.sabun(&t0).await, &changed),
        delta_rows,
        "the same rows, the same 更新日時"
    );
    let full_again = client.zenken().await;
    assert_eq!(full_again.header.created, full.header.created);
    assert_eq!(full_again.records, full.records);
    assert_eq!(client.honin("98765432101").await, honin);
    client.advance(1).await;
    let later = client.sabun("2026-04-06T10:00:00+09:00").await;
    assert_eq!(
        later.records.iter().map(|r| r.serial).collect::<Vec<_>>(),
        vec![b_serial],
        "the change made after the restart"
    );
    let (status, twice) = client
        .change(
            &format!("jumin/{}/shikkou", a.juminhyo_code),
            json!({"shubetsu": "署名用", "reason": "紛失"}),
        )
        .await;
    assert_eq!(status, 409, "{twice}");
    assert_eq!(twice["code"], "ALREADY_REVOKED");
    assert_eq!(twice["target"], a_serial.to_string());
    let (status, serial_again) = client
        .change(
            &format!("jumin/{}/hakko", b.juminhyo_code),
            json!({"shubetsu": "署名用"}),
        )
        .await;
    assert_eq!(status, 200, "{serial_again}");
    assert_eq!(
        serial(&serial_again["certificates"][0]["serial"]).value(),
        9_000_000_000_000_006,
        "serials handed out before the restart are not handed out again"
    );
    second.shutdown().await;
}

#[tokio::test]
async fn refusals_name_what_is_wrong_and_change_nothing() {
    let expanded = small();
    let stack = Stack::start(&expanded, StackOptions::default())
        .await
        .unwrap();
    let client = Client::of(&stack);
    let adults = adults_with_cards(&expanded);
    let (a, b) = (&adults[0], &adults[1]);
    let child = expanded.populations[0]
        .1
        .iter()
        .flat_map(|h| h.members.iter())
        .find(|r| r.seinengappi > date!(2012 - 01 - 01))
        .unwrap();
    let before = client.cs("shomeisho/zenken").await;
    let a_shomei = a
        .certificates
        .iter()
        .find(|c| c.kind == CertKind::Shomei && c.revoked.is_none() && c.expires >= TODAY)
        .unwrap()
        .serial;
    let existing = stack.jukinet.certificate(a_shomei).unwrap().row.serial;

    let cases: Vec<(String, Value, u16, &str, &str)> = vec![
        (
            format!("/jukinet/dantai/271403/jumin/{}/shikkou", a.juminhyo_code),
            json!({"shubetsu": "署名用", "reason": "紛失"}),
            404,
            "DANTAI_UNKNOWN",
            "団体コード271403の団体はこの住基ネットCSにありません",
        ),
        (
            format!("/jukinet/dantai/131017/jumin/{}/shikkou", a.juminhyo_code),
            json!({"shubetsu": "署名用", "reason": "紛失"}),
            400,
            "DANTAI_CODE_INVALID",
            "検査数字",
        ),
        (
            format!(
                "/jukinet/dantai/{}/jumin/99999999999/shikkou",
                client.dantai
            ),
            json!({"shubetsu": "署名用", "reason": "紛失"}),
            404,
            "JUMINHYO_CODE_UNKNOWN",
            "住民票コード99999999999の住民は団体131016にいません",
        ),
        (
            format!("/jukinet/dantai/{}/jumin/9901/shikkou", client.dantai),
            json!({"shubetsu": "署名用", "reason": "紛失"}),
            400,
            "JUMINHYO_CODE_INVALID",
            "住民票コード",
        ),
        (
            format!(
                "/jukinet/dantai/{}/jumin/{}/shikkou",
                client.dantai, a.juminhyo_code
            ),
            json!({"shubetsu": "署名用", "reason": "なくした"}),
            400,
            "BODY_INVALID",
            "「なくした」は失効事由ではありません (使えるのは 紛失 / 住所等変更 / 更新)",
        ),
        (
            format!(
                "/jukinet/dantai/{}/jumin/{}/shikkou",
                client.dantai, a.juminhyo_code
            ),
            json!({"reason": "紛失"}),
            400,
            "WHICH_CERTIFICATE",
            "shubetsu",
        ),
        (
            format!(
                "/jukinet/dantai/{}/jumin/{}/shikkou",
                client.dantai, a.juminhyo_code
            ),
            json!({"shubetsu": "署名用", "reason": "紛失", "shikkobi": "2026-04-07"}),
            400,
            "DATE_IN_FUTURE",
            "2026-04-07は今日 (2026-04-06) より後です",
        ),
        (
            format!(
                "/jukinet/dantai/{}/jumin/{}/shikkou",
                client.dantai, b.juminhyo_code
            ),
            json!({"serial": existing.to_string(), "reason": "紛失"}),
            400,
            "NOT_HOLDER",
            "の住民のものではありません",
        ),
        (
            format!(
                "/jukinet/dantai/{}/jumin/{}/hakko",
                client.dantai, child.juminhyo_code
            ),
            json!({"shubetsu": "署名用"}),
            409,
            "SHOMEI_UNDER_AGE",
            "署名用電子証明書は発行されません",
        ),
        (
            format!(
                "/jukinet/dantai/{}/jumin/{}/hakko",
                client.dantai, b.juminhyo_code
            ),
            json!({"shubetsu": "利用者証明用", "serial": existing.to_string()}),
            409,
            "SERIAL_IN_USE",
            "すでに使われています",
        ),
        (
            format!("/jukinet/dantai/{}/tennyu", client.dantai),
            {
                let mut person = tennyusha();
                person["juminhyo_code"] = json!(a.juminhyo_code.to_string());
                person
            },
            409,
            "JUMINHYO_CODE_TAKEN",
            "すでに登録されています",
        ),
        (
            format!("/jukinet/dantai/{}/tennyu", client.dantai),
            {
                let mut person = tennyusha();
                person["shimei_kana"] = json!("");
                person
            },
            400,
            "NOT_WRITABLE",
            "氏名カナ",
        ),
        (
            format!("/jukinet/dantai/{}/tennyu", client.dantai),
            {
                let mut person = tennyusha();
                person["seinengappi"] = json!("1990/05/01");
                person
            },
            400,
            "BODY_INVALID",
            "",
        ),
    ];
    for (path, body, status, code, says) in &cases {
        let (got, answer) = client.post(&path[1..], body.clone()).await;
        assert_eq!(got, *status, "{path}: {answer}");
        assert_eq!(answer["code"], *code, "{path}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(says), "{path}: {message}");
    }
    let (_, body_invalid) = client
        .post(
            &format!(
                "jukinet/dantai/{}/jumin/{}/shikkou",
                client.dantai, a.juminhyo_code
            ),
            json!({"shubetsu": "署名用", "reason": "なくした"}),
        )
        .await;
    assert_eq!(body_invalid["target"], "reason");
    assert_eq!(
        client.cs("shomeisho/zenken").await,
        before,
        "no refused change touched the CS"
    );

    // Revoked once, refused the second time, with the date it was revoked.
    let path = format!("jumin/{}/shikkou", a.juminhyo_code);
    let body = json!({"shubetsu": "署名用", "reason": "住所等変更"});
    assert_eq!(client.change(&path, body.clone()).await.0, 200);
    let (status, twice) = client.change(&path, body).await;
    assert_eq!(status, 409);
    assert_eq!(twice["code"], "ALREADY_REVOKED");
    assert_eq!(
        twice["message"],
        format!("シリアル番号{existing}の証明書は2026-04-06にすでに失効しています")
    );
    stack.shutdown().await;
}

#[test]
fn a_change_the_state_file_does_not_take_changes_nothing() {
    let expanded = small();
    let (dantai, households) = &expanded.populations[0];
    let cs = JukinetCs::builder(Clock::frozen(expanded.scenario.start))
        .dantai(
            *dantai,
            households,
            AccessKey::new("chiyoda-0123456789abcdef").unwrap(),
        )
        .build()
        .unwrap();
    let adult = &adults_with_cards(&expanded)[0];
    let before = cs.person(*dantai, adult.juminhyo_code).unwrap();
    let request = ChangeRequest::Shikkou {
        juminhyo_code: adult.juminhyo_code,
        request: serde_json::from_value::<ShikkouRequest>(
            json!({"shubetsu": "署名用", "reason": "紛失"}),
        )
        .unwrap(),
    };
    let refused = cs.request(*dantai, &request, |_| Err("disk full"));
    assert!(matches!(refused, Err(Refused::Persist("disk full"))));
    assert_eq!(cs.person(*dantai, adult.juminhyo_code).unwrap(), before);

    // The same request, persisted this time, and its replay on a fresh CS: the same rows.
    let mut kept = None;
    let applied = cs
        .request(*dantai, &request, |recorded| {
            kept = Some(recorded.clone());
            Ok::<(), ()>(())
        })
        .unwrap();
    let recorded = kept.unwrap();
    assert_eq!(applied.recorded, recorded);
    let text = serde_json::to_string(&recorded).unwrap();
    let fresh = JukinetCs::builder(Clock::frozen(expanded.scenario.start))
        .dantai(
            *dantai,
            households,
            AccessKey::new("chiyoda-0123456789abcdef").unwrap(),
        )
        .build()
        .unwrap();
    fresh.replay(&serde_json::from_str(&text).unwrap()).unwrap();
    assert_eq!(
        fresh.person(*dantai, adult.juminhyo_code).unwrap(),
        cs.person(*dantai, adult.juminhyo_code).unwrap()
    );
}

#[test]
fn the_docs_list_every_refusal_and_every_route() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/jukinet-cs-api.md"
    ))
    .unwrap();
    let table = refusals_markdown();
    assert!(
        page.contains(&table),
        "docs/jukinet-cs-api.md に次の表がありません (そのまま貼り付けてください):\n\n{table}"
    );
    assert_eq!(
        Refusal::examples().len(),
        table.lines().count() - 2,
        "one row per example"
    );
    for route in renkei_simulator::jukinet::service::admin::ROUTES {
        assert!(
            renkei_simulator::admin::ROUTES.contains(route),
            "{route:?} is not in admin::ROUTES"
        );
        assert!(page.contains(route.1), "{} is not in the page", route.1);
    }
}
