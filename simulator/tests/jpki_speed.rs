//! Speed of the synthetic JPKI against renkei's budget: 10,000 signed 申請ZIPs in ≤ 10 s on a
//! 2-core machine. Timing needs an optimised build and a quiet machine, so the test is ignored
//! by default; run it with
//!
//! ```text
//! cargo test --release -p renkei-simulator --test jpki_speed -- --ignored --nocapture
//! ```
//!
//! It prints µs per issue, per sign and per verify and fails when the worst case (every 申請 from
//! a different resident, so one issue and one signature each) would use more than half the
//! budget, leaving the other half for building the ZIPs.

use std::time::{Duration, Instant};

use renkei_fixtures::ids::CertSerial;
use renkei_simulator::jpki::{
    self, CertKind, CertRequest, Jpki, Kihon4, TrustStore, VerifyOutcome,
};
use time::macros::{date, datetime};

const N: u64 = 2_000;
const BUDGET_FOR_10_000: Duration = Duration::from_secs(5);

fn request(serial: u64) -> CertRequest {
    CertRequest {
        kind: CertKind::Signature,
        serial: CertSerial::new(serial).unwrap(),
        not_before: date!(2024 - 04 - 01),
        not_after: date!(2029 - 03 - 31),
        holder: Some(Kihon4 {
            shimei: format!("𠮷田\u{3000}髙志{serial}"),
            seinengappi: date!(1985 - 07 - 07),
            seibetsu: "男".to_owned(),
            jusho: "東京都千代田区霞が関２丁目１番２号".to_owned(),
        }),
    }
}

fn per_item(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e6 / N as f64
}

#[test]
#[ignore = "timing: run in release mode, see the module docs"]
fn issuing_and_signing_fit_the_10_000_zip_budget() {
    let started = Instant::now();
    let jpki = Jpki::generate(1);
    let generate = started.elapsed();

    let started = Instant::now();
    let certs: Vec<_> = (1..=N)
        .map(|serial| jpki.issue(&request(serial)).unwrap())
        .collect();
    let issue = started.elapsed();

    let documents: Vec<String> = (1..=N)
        .map(|i| {
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<申請書 手続=\"児童手当認定請求\">\
                 <受付番号>{i:015}</受付番号><申請者><氏名>𠮷田\u{3000}髙志{i}</氏名>\
                 <住所>東京都千代田区霞が関２丁目１番２号</住所></申請者>\
                 <請求内容>児童手当の認定を請求します。</請求内容></申請書>\n"
            )
        })
        .collect();
    let started = Instant::now();
    let signed: Vec<String> = documents
        .iter()
        .zip(&certs)
        .map(|(document, cert)| jpki::sign_enveloped(document, cert).unwrap())
        .collect();
    let sign = started.elapsed();

    let crl = jpki
        .signature_ca
        .crl(
            &[],
            datetime!(2025-06-01 0:00 +9),
            datetime!(2025-06-02 0:00 +9),
        )
        .unwrap();
    let trust = TrustStore::new([&jpki.signature_ca])
        .with_crl(&crl)
        .unwrap();
    let at = datetime!(2025-06-01 12:00 +9);
    let started = Instant::now();
    for document in &signed {
        assert!(matches!(
            jpki::verify(document, &trust, at),
            VerifyOutcome::Valid { .. }
        ));
    }
    let verify = started.elapsed();

    let worst_case_10_000 = (issue + sign) * (10_000 / N as u32);
    println!(
        "Jpki::generate {:.0} µs; per item over {N}: issue {:.1} µs, sign {:.1} µs, verify {:.1} µs; \
         10,000 申請 each from a new resident (issue + sign): {:.2} s",
        generate.as_secs_f64() * 1e6,
        per_item(issue),
        per_item(sign),
        per_item(verify),
        worst_case_10_000.as_secs_f64()
    );
    assert!(
        worst_case_10_000 <= BUDGET_FOR_10_000,
        "issuing and signing 10,000 申請 would take {worst_case_10_000:?}, over {BUDGET_FOR_10_000:?}"
    );
}
