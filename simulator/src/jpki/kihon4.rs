//! 基本4情報 (氏名, 生年月日, 性別, 住所) as the 署名用電子証明書 carries them.
//!
//! The real 署名用 certificate puts them in subjectAltName `otherName` entries under the JPKI arc
//! 1.2.392.200149.8.5.5 (DOMAIN.md "Identifiers"). Which sub-OID holds which item is not in our
//! sources; public code that reads real cards agrees on the mapping below, and renkei adopts it as
//! its assumption (`docs/jpki.md`). The 申請管理システム reads these to find the applicant when
//! the serial number is not in its link table (seed 001 §5 ③-3 iii).

use rcgen::{OtherNameValue, SanType};
use renkei_fixtures::population::Resident;
use time::{Date, Month};

/// The JPKI personal-data arc, 1.2.392.200149.8.5.5.
const ARC: [u64; 8] = [1, 2, 392, 200149, 8, 5, 5, 0];

/// 1.2.392.200149.8.5.5.1: 氏名.
pub const OID_SHIMEI: &str = "1.2.392.200149.8.5.5.1";
/// 1.2.392.200149.8.5.5.2: 氏名代替文字の使用位置 (where a substitute character replaced one the
/// card cannot hold). renkei writes it empty: fixture names keep every character, PUA included.
pub const OID_SHIMEI_DAITAI: &str = "1.2.392.200149.8.5.5.2";
/// 1.2.392.200149.8.5.5.3: 性別.
pub const OID_SEIBETSU: &str = "1.2.392.200149.8.5.5.3";
/// 1.2.392.200149.8.5.5.4: 生年月日, `EYYYYMMDD` (era code, then the Gregorian date).
pub const OID_SEINENGAPPI: &str = "1.2.392.200149.8.5.5.4";
/// 1.2.392.200149.8.5.5.5: 住所.
pub const OID_JUSHO: &str = "1.2.392.200149.8.5.5.5";
/// 1.2.392.200149.8.5.5.6: 住所代替文字の使用位置; written empty, as for 氏名.
pub const OID_JUSHO_DAITAI: &str = "1.2.392.200149.8.5.5.6";

/// 基本4情報: the four facts that identify a resident, as a 署名用 certificate states them.
///
/// Plain `String`s, not newtypes: a name may hold any Unicode scalar (𠮷 outside the BMP, 外字 in
/// the private use area), and the certificate must carry it unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Kihon4 {
    /// 氏名, as registered (姓 and 名 separated by a full-width space in renkei's fixtures).
    pub shimei: String,
    /// 生年月日.
    pub seinengappi: Date,
    /// 性別, as text (renkei's fixtures write 男 / 女; the real encoding is not public).
    pub seibetsu: String,
    /// 住所, one line.
    pub jusho: String,
}

impl Kihon4 {
    /// The 基本4情報 of a synthetic resident.
    pub fn of(resident: &Resident) -> Self {
        Self {
            shimei: resident.shimei.clone(),
            seinengappi: resident.seinengappi,
            seibetsu: resident.seibetsu.as_str().to_owned(),
            jusho: resident.jusho.zenbun.clone(),
        }
    }

    /// The six subjectAltName `otherName` entries, in OID order.
    ///
    /// Fails only for a birth date before 明治, which has no era code.
    pub(crate) fn to_san(&self) -> Result<Vec<SanType>, String> {
        let entries = [
            (1, self.shimei.clone()),
            (2, String::new()),
            (3, self.seibetsu.clone()),
            (4, encode_birth_date(self.seinengappi)?),
            (5, self.jusho.clone()),
            (6, String::new()),
        ];
        Ok(entries
            .into_iter()
            .map(|(last, value)| {
                let mut oid = ARC.to_vec();
                oid[7] = last;
                SanType::OtherName((oid, OtherNameValue::Utf8String(value)))
            })
            .collect())
    }

    /// Rebuild the 基本4情報 from `(dotted OID, UTF-8 value)` pairs read from a certificate.
    ///
    /// `Ok(None)` when the certificate has none of them (a 利用者証明用 certificate);
    /// an error when some are there but not all, or the birth date does not parse.
    pub(crate) fn from_other_names<'a>(
        entries: impl IntoIterator<Item = (String, &'a str)>,
    ) -> Result<Option<Self>, String> {
        let (mut shimei, mut seibetsu, mut birth, mut jusho) = (None, None, None, None);
        let mut any = false;
        for (oid, value) in entries {
            let slot = match oid.as_str() {
                OID_SHIMEI => &mut shimei,
                OID_SEIBETSU => &mut seibetsu,
                OID_SEINENGAPPI => &mut birth,
                OID_JUSHO => &mut jusho,
                OID_SHIMEI_DAITAI | OID_JUSHO_DAITAI => {
                    any = true;
                    continue;
                }
                _ => continue,
            };
            any = true;
            if slot.replace(value).is_some() {
                return Err(format!("subjectAltName に {oid} が2つあります"));
            }
        }
        if !any {
            return Ok(None);
        }
        let missing =
            |what: &str, oid: &str| format!("subjectAltName に{what} ({oid}) がありません");
        Ok(Some(Self {
            shimei: shimei
                .ok_or_else(|| missing("氏名", OID_SHIMEI))?
                .to_owned(),
            seinengappi: decode_birth_date(
                birth.ok_or_else(|| missing("生年月日", OID_SEINENGAPPI))?,
            )?,
            seibetsu: seibetsu
                .ok_or_else(|| missing("性別", OID_SEIBETSU))?
                .to_owned(),
            jusho: jusho.ok_or_else(|| missing("住所", OID_JUSHO))?.to_owned(),
        }))
    }
}

/// Era codes as the JPKI `EYYYYMMDD` form uses them (1 明治 … 5 令和). Public code reading real
/// cards shows 4 for a 1990 birth and 5 for a 2020 one; the rest follow the same order.
/// The era boundaries themselves come from [`renkei_fixtures::wareki`], their one home.
const ERA_CODES: [(&str, char); 5] = [
    ("明治", '1'),
    ("大正", '2'),
    ("昭和", '3'),
    ("平成", '4'),
    ("令和", '5'),
];

/// 生年月日 → `EYYYYMMDD`, e.g. 1990-01-02 → `419900102`.
pub(crate) fn encode_birth_date(date: Date) -> Result<String, String> {
    let wareki = renkei_fixtures::wareki::to_wareki(date);
    let code = ERA_CODES
        .iter()
        .find(|(era, _)| wareki.starts_with(era))
        .map(|(_, code)| *code)
        .ok_or_else(|| format!("生年月日 {date} は明治より前で、元号コードがありません"))?;
    Ok(format!(
        "{code}{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

/// `EYYYYMMDD` → 生年月日; the era code must match the date.
pub(crate) fn decode_birth_date(text: &str) -> Result<Date, String> {
    let bad = |why: &str| format!("生年月日「{text}」: {why} (EYYYYMMDD)");
    if text.len() != 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("9桁の数字であるべきです"));
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u16>().expect("ASCII digits");
    let month = Month::try_from(number(5..7) as u8).map_err(|_| bad("月が不正です"))?;
    let date = Date::from_calendar_date(i32::from(number(1..5)), month, number(7..9) as u8)
        .map_err(|_| bad("日付が不正です"))?;
    if encode_birth_date(date)? != text {
        return Err(bad("元号コードが日付と合いません"));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn birth_dates_carry_the_era_code() {
        assert_eq!(
            encode_birth_date(date!(1990 - 01 - 02)).unwrap(),
            "419900102"
        );
        assert_eq!(
            encode_birth_date(date!(2020 - 01 - 02)).unwrap(),
            "520200102"
        );
        assert_eq!(
            encode_birth_date(date!(2019 - 04 - 30)).unwrap(),
            "420190430"
        );
        assert_eq!(
            encode_birth_date(date!(2019 - 05 - 01)).unwrap(),
            "520190501"
        );
        assert_eq!(
            encode_birth_date(date!(1926 - 12 - 25)).unwrap(),
            "319261225"
        );
        assert!(encode_birth_date(date!(1800 - 01 - 01)).is_err());
    }

    #[test]
    fn birth_dates_round_trip_and_bad_ones_are_refused() {
        assert_eq!(
            decode_birth_date("319450815").unwrap(),
            date!(1945 - 08 - 15)
        );
        assert!(
            decode_birth_date("419450815")
                .unwrap_err()
                .contains("元号コード")
        );
        assert!(decode_birth_date("31945081").unwrap_err().contains("9桁"));
        assert!(decode_birth_date("319451315").unwrap_err().contains("月"));
    }

    #[test]
    fn the_san_holds_six_entries_and_reads_back() {
        let kihon4 = Kihon4 {
            shimei: "𠮷田\u{3000}髙子\u{E000}".to_owned(),
            seinengappi: date!(1980 - 02 - 29),
            seibetsu: "女".to_owned(),
            jusho: "東京都千代田区霞が関２丁目１番２号".to_owned(),
        };
        let san = kihon4.to_san().unwrap();
        assert_eq!(san.len(), 6);
        let pairs: Vec<(String, String)> = san
            .iter()
            .map(|entry| match entry {
                SanType::OtherName((oid, OtherNameValue::Utf8String(value))) => (
                    oid.iter().map(u64::to_string).collect::<Vec<_>>().join("."),
                    value.clone(),
                ),
                other => panic!("unexpected SAN entry {other:?}"),
            })
            .collect();
        assert_eq!(
            pairs[3],
            (OID_SEINENGAPPI.to_owned(), "319800229".to_owned())
        );
        let back = Kihon4::from_other_names(pairs.iter().map(|(o, v)| (o.clone(), v.as_str())));
        assert_eq!(back.unwrap(), Some(kihon4));
    }

    #[test]
    fn partial_or_absent_personal_data_is_told_apart() {
        assert_eq!(Kihon4::from_other_names(Vec::new()).unwrap(), None);
        let only_name = vec![(OID_SHIMEI.to_owned(), "山田")];
        assert!(
            Kihon4::from_other_names(only_name)
                .unwrap_err()
                .contains("生年月日")
        );
    }
}
