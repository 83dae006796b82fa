//! 電子署名検証結果 (`shomei_kensho_kekka.xml`): the signature check as the ぴったりサービス made it
//! when it received the 申請.
//!
//! The 申請ZIP carries the signer certificate's シリアル番号 and the 基本4情報 (氏名, 生年月日,
//! 性別, 住所) read from it, with the verdict (seed 001 §5 ③-3; seed 000 §1 (2), §4 shows
//! 検証結果 and 検証日時 per 申請). The 申請管理システム identifies the applicant from these
//! (ING-10 … ING-13). The verdict is the one at receipt: a 申請管理システム must still verify the
//! signature itself at download (ING-06 … ING-08), because the ZIP may have been altered since and
//! the certificate may have been revoked since.

use renkei_fixtures::ids::{CertSerial, UketsukeBango};
use time::OffsetDateTime;

use super::xml::{self, Walker, XmlWriter};
use crate::jpki::{CertKind, IssuedCert, Kihon4, VerifyOutcome};

/// The document element.
pub const ROOT: &str = "電子署名検証結果";

/// 検証結果: the verdict, one word per [`VerifyOutcome`], plus 署名なし.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KenshoKekka {
    /// 検証済み: intact, signed with a trusted, valid, unrevoked certificate.
    Kenshozumi,
    /// 改ざん検知: the digest or the signature value does not match.
    Kaizan,
    /// 証明書失効: the certificate was revoked at or before the time of verification.
    Shikkou,
    /// 証明書期限切れ: the certificate's validity ended before the time of verification.
    KigenGire,
    /// 証明書有効期間前: the certificate's validity starts after the time of verification.
    YukoKikanMae,
    /// 発行者不明: not issued by a trusted JPKI CA.
    HakkoshaFumei,
    /// 失効確認不可: no current CRL of the issuing CA.
    ShikkouKakuninFuka,
    /// 署名形式不正: no single signature in renkei's profile over the whole 申請書.
    KeishikiFusei,
    /// 署名なし: a procedure sent without a signature.
    ShomeiNashi,
}

impl KenshoKekka {
    /// Every verdict, in the order of the docs' table.
    pub const ALL: [KenshoKekka; 9] = [
        Self::Kenshozumi,
        Self::Kaizan,
        Self::Shikkou,
        Self::KigenGire,
        Self::YukoKikanMae,
        Self::HakkoshaFumei,
        Self::ShikkouKakuninFuka,
        Self::KeishikiFusei,
        Self::ShomeiNashi,
    ];

    /// The word written in `<検証結果>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kenshozumi => "検証済み",
            Self::Kaizan => "改ざん検知",
            Self::Shikkou => "証明書失効",
            Self::KigenGire => "証明書期限切れ",
            Self::YukoKikanMae => "証明書有効期間前",
            Self::HakkoshaFumei => "発行者不明",
            Self::ShikkouKakuninFuka => "失効確認不可",
            Self::KeishikiFusei => "署名形式不正",
            Self::ShomeiNashi => "署名なし",
        }
    }

    /// The verdict written as `word`.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// The verdict for a verification outcome.
    pub fn of(outcome: &VerifyOutcome) -> Self {
        match outcome {
            VerifyOutcome::Valid { .. } => Self::Kenshozumi,
            VerifyOutcome::Tampered { .. } => Self::Kaizan,
            VerifyOutcome::Revoked { .. } => Self::Shikkou,
            VerifyOutcome::Expired { .. } => Self::KigenGire,
            VerifyOutcome::NotYetValid { .. } => Self::YukoKikanMae,
            VerifyOutcome::UntrustedIssuer { .. } => Self::HakkoshaFumei,
            VerifyOutcome::RevocationUnknown { .. } => Self::ShikkouKakuninFuka,
            VerifyOutcome::Malformed(_) => Self::KeishikiFusei,
        }
    }

    /// The notification the J-LIS 連携・振分サーバ shows for a 申請 with this verdict (seed 000 §4):
    /// (レベル, タイトル). What a 申請管理システム is expected to raise (ING-06 … ING-08).
    pub fn tsuchi(self) -> (&'static str, &'static str) {
        match self {
            Self::Kenshozumi | Self::ShomeiNashi => ("通常", "申請ZIP取得"),
            Self::Kaizan => ("警告", "申請ZIP改ざん検知"),
            Self::Shikkou
            | Self::KigenGire
            | Self::YukoKikanMae
            | Self::HakkoshaFumei
            | Self::ShikkouKakuninFuka
            | Self::KeishikiFusei => ("警告", "申請ZIP検証失敗"),
        }
    }
}

impl std::fmt::Display for KenshoKekka {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signer's certificate as the 検証結果 describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shomeisho {
    /// シリアル番号: the first key for finding the applicant (ING-10).
    pub serial: CertSerial,
    /// 証明書種別: 署名用 (a 申請書 signed with 利用者証明用 is out of profile, but recorded).
    pub kind: CertKind,
    /// 有効期間開始.
    pub not_before: OffsetDateTime,
    /// 有効期間終了.
    pub not_after: OffsetDateTime,
}

impl Shomeisho {
    /// The description of an issued certificate.
    pub fn of(cert: &IssuedCert) -> Self {
        Self {
            serial: cert.serial(),
            kind: cert.kind(),
            not_before: cert.not_before(),
            not_after: cert.not_after(),
        }
    }
}

/// The 電子署名検証結果 of one 申請.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShomeiKenshoKekka {
    /// 受付番号.
    pub uketsuke_bango: UketsukeBango,
    /// 検証対象: the file whose signature was verified (`shinseisho.xml`).
    pub taisho: String,
    /// 検証結果.
    pub kekka: KenshoKekka,
    /// 検証結果詳細: the verdict as a sentence (the serial, the date of revocation, what did not
    /// match), for the 審査 screen.
    pub shosai: String,
    /// 検証日時: when the ぴったりサービス verified (= 申請日時 in renkei).
    pub nichiji: OffsetDateTime,
    /// 電子証明書: the signer's certificate; `None` for 署名なし.
    pub shomeisho: Option<Shomeisho>,
    /// 基本4情報 as written in the certificate; `None` for 署名なし and for a 利用者証明用
    /// certificate, which carries none.
    pub kihon4: Option<Kihon4>,
}

impl ShomeiKenshoKekka {
    /// `shomei_kensho_kekka.xml`.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new(ROOT);
        w.leaf("受付番号", self.uketsuke_bango.as_str());
        w.leaf("検証対象", &self.taisho);
        w.leaf("検証結果", self.kekka.as_str());
        w.leaf("検証結果詳細", &self.shosai);
        w.leaf("検証日時", &xml::format_nichiji(self.nichiji));
        if let Some(cert) = &self.shomeisho {
            w.open("電子証明書");
            w.leaf("シリアル番号", &cert.serial.to_string());
            w.leaf("証明書種別", cert.kind.as_str());
            w.leaf("有効期間開始", &xml::format_nichiji(cert.not_before));
            w.leaf("有効期間終了", &xml::format_nichiji(cert.not_after));
            w.close("電子証明書");
        }
        if let Some(kihon4) = &self.kihon4 {
            w.open("基本4情報");
            w.leaf("氏名", &kihon4.shimei);
            w.leaf("生年月日", &xml::format_hizuke(kihon4.seinengappi));
            w.leaf("性別", &kihon4.seibetsu);
            w.leaf("住所", &kihon4.jusho);
            w.close("基本4情報");
        }
        w.finish(ROOT)
    }

    /// Reads `shomei_kensho_kekka.xml`; the message names the element path.
    pub fn from_xml(text: &str) -> Result<Self, String> {
        let root = xml::parse(text)?;
        let doc = Walker::root(&root, ROOT)?;
        doc.expect_children(&[
            "受付番号",
            "検証対象",
            "検証結果",
            "検証結果詳細",
            "検証日時",
            "電子証明書?",
            "基本4情報?",
        ])?;
        let nichiji = |w: &Walker<'_>, name: &str| {
            w.parsed(name, "日時 (YYYY-MM-DDThh:mm:ss+09:00)", xml::parse_nichiji)
        };
        let shomeisho = match doc.optional("電子証明書")? {
            None => None,
            Some(cert) => {
                cert.expect_children(&[
                    "シリアル番号",
                    "証明書種別",
                    "有効期間開始",
                    "有効期間終了",
                ])?;
                Some(Shomeisho {
                    serial: cert.parsed(
                        "シリアル番号",
                        "シリアル番号 (先頭0なしの10進数)",
                        |t| t.parse().ok(),
                    )?,
                    kind: cert.parsed(
                        "証明書種別",
                        "証明書種別 (署名用 / 利用者証明用)",
                        |t| {
                            [CertKind::Signature, CertKind::Authentication]
                                .into_iter()
                                .find(|k| k.as_str() == t)
                        },
                    )?,
                    not_before: nichiji(&cert, "有効期間開始")?,
                    not_after: nichiji(&cert, "有効期間終了")?,
                })
            }
        };
        let kihon4 = match doc.optional("基本4情報")? {
            None => None,
            Some(k) => {
                k.expect_children(&["氏名", "生年月日", "性別", "住所"])?;
                Some(Kihon4 {
                    shimei: k.text("氏名")?,
                    seinengappi: k.parsed("生年月日", "日付 (YYYY-MM-DD)", xml::parse_hizuke)?,
                    seibetsu: k.text("性別")?,
                    jusho: k.text("住所")?,
                })
            }
        };
        let kekka = doc.parsed(
            "検証結果",
            "検証結果の語 (docs/shinsei-zip.md「検証結果」)",
            KenshoKekka::parse,
        )?;
        if (kekka == KenshoKekka::ShomeiNashi) != shomeisho.is_none() {
            return Err(format!(
                "{ROOT}: 電子証明書は検証結果が「署名なし」のときだけ省きます (検証結果「{kekka}」)"
            ));
        }
        Ok(Self {
            uketsuke_bango: doc
                .parsed("受付番号", "15桁の受付番号", |t| t.parse().ok())?,
            taisho: doc.text("検証対象")?,
            kekka,
            shosai: doc.text("検証結果詳細")?,
            nichiji: nichiji(&doc, "検証日時")?,
            shomeisho,
            kihon4,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn every_verdict_has_its_own_word() {
        for kekka in KenshoKekka::ALL {
            assert_eq!(KenshoKekka::parse(kekka.as_str()), Some(kekka));
        }
        assert_eq!(KenshoKekka::parse("有効"), None);
        assert_eq!(KenshoKekka::Kaizan.tsuchi(), ("警告", "申請ZIP改ざん検知"));
        assert_eq!(KenshoKekka::Shikkou.tsuchi(), ("警告", "申請ZIP検証失敗"));
    }

    #[test]
    fn the_result_reads_back_with_and_without_a_certificate() {
        let signed = ShomeiKenshoKekka {
            uketsuke_bango: "170401000000004".parse().unwrap(),
            taisho: "shinseisho.xml".into(),
            kekka: KenshoKekka::Shikkou,
            shosai: "電子証明書 (シリアル番号 7) は失効しています".into(),
            nichiji: datetime!(2017-10-04 04:04:04 +9),
            shomeisho: Some(Shomeisho {
                serial: CertSerial::new(7).unwrap(),
                kind: CertKind::Signature,
                not_before: datetime!(2016-04-01 00:00 +9),
                not_after: datetime!(2021-03-31 23:59:59 +9),
            }),
            kihon4: Some(Kihon4 {
                shimei: "𠮷田\u{3000}髙﨑\u{E000}".into(),
                seinengappi: date!(1989 - 01 - 07),
                seibetsu: "女".into(),
                jusho: "東京都千代田区霞が関２丁目１番２号\u{3000}メゾン〜霞～101".into(),
            }),
        };
        assert_eq!(
            ShomeiKenshoKekka::from_xml(&signed.to_xml()).unwrap(),
            signed
        );
        let unsigned = ShomeiKenshoKekka {
            kekka: KenshoKekka::ShomeiNashi,
            shomeisho: None,
            kihon4: None,
            ..signed.clone()
        };
        assert_eq!(
            ShomeiKenshoKekka::from_xml(&unsigned.to_xml()).unwrap(),
            unsigned
        );
        let inconsistent = ShomeiKenshoKekka {
            shomeisho: None,
            ..signed
        };
        assert!(
            ShomeiKenshoKekka::from_xml(&inconsistent.to_xml())
                .unwrap_err()
                .contains("署名なし")
        );
    }
}
