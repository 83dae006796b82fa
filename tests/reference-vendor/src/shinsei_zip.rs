//! 申請ZIPを安全に展開し、中の3つの XML を読みます (docs/shinsei-zip.md)。
//!
//! 申請ZIPは自治体のネットワークの外から来るので、「安全な展開」の表の順に確かめ、最初に外れたもので
//! その申請を拒否します。どんなバイト列でもパニックしません。署名はここでは判定しません
//! (書き換えられた申請も ZIP としては開けるようにし、改ざんとして報告するため: ING-07 と ING-09 を取り違えない)。

use crate::model::{FormItem, Kihon4};
use crate::xml;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt;
use std::io::{Cursor, Read};
use zip::CompressionMethod;

/// 上限 (docs/shinsei-zip.md「安全な展開」。renkei が決めた値)。
pub const MAX_ENTRIES: usize = 100;
pub const MAX_ENTRY_SIZE: u64 = 32 * 1024 * 1024;
pub const MAX_TOTAL_SIZE: u64 = 128 * 1024 * 1024;

pub const SHINSEISHO_XML: &str = "shinseisho.xml";
pub const SHINSEISHO_PDF: &str = "shinseisho.pdf";
pub const KENSHO_KEKKA_XML: &str = "shomei_kensho_kekka.xml";
pub const KOUSEI_KANRI_XML: &str = "kousei_kanri.xml";
pub const TENPU_DIR: &str = "tenpu/";

/// 申請ZIPを拒否した理由。通知「障害発生」の文になります。
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipReadError(pub String);

impl fmt::Display for ZipReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, ZipReadError> {
    Err(ZipReadError(message.into()))
}

/// ZIP の中のファイル1つ (展開したもの)。
#[derive(Clone, Debug)]
pub struct Entry {
    pub path: String,
    pub content: Vec<u8>,
    pub sha256: String,
}

/// 構成管理情報と申請書に共通の、申請の識別。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub uketsuke_bango: String,
    pub dantai_code: String,
    pub tetsuzuki_id: String,
    pub tetsuzuki_name: String,
    pub category: String,
    pub shinsei_nichiji: String,
}

/// 構成管理情報のファイル1つ。
#[derive(Clone, Debug)]
pub struct ManifestFile {
    pub path: String,
    pub kind: String,
    pub size: u64,
    pub sha256: String,
}

/// 申請書の添付書類一覧の1つ (署名されたもの)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedAttachment {
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
}

/// 申請書の中身。
#[derive(Clone, Debug)]
pub struct Shinseisho {
    pub header: Header,
    pub form: Vec<FormItem>,
    pub attachments: Vec<SignedAttachment>,
}

/// 電子署名検証結果 (受付時にぴったりサービスが検証したもの)。
#[derive(Clone, Debug)]
pub struct KenshoKekkaXml {
    pub uketsuke_bango: String,
    pub kensho_kekka: String,
    /// 証明書のシリアル番号 (先頭0なしの10進数)。署名なしなら `None`。
    pub serial: Option<String>,
    pub kihon4: Option<Kihon4>,
}

/// 開いた申請ZIP。
#[derive(Clone, Debug)]
pub struct ShinseiZip {
    pub header: Header,
    /// ZIP の順のすべてのファイル。
    pub entries: Vec<Entry>,
    /// `shinseisho.xml` の生の文字列 (署名の検証はこれに対して行います)。
    pub shinseisho_xml: String,
    /// 申請書の中身。DOCTYPE のある申請書は解析しないので `None` (署名形式不正になります)。
    pub shinseisho: Option<Shinseisho>,
    pub kensho_kekka: KenshoKekkaXml,
}

impl ShinseiZip {
    /// `tenpu/` の添付書類。
    pub fn attachments(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.path.starts_with(TENPU_DIR))
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// 申請ZIPを開きます。
pub fn read(bytes: &[u8]) -> Result<ShinseiZip, ZipReadError> {
    let entries = unpack(bytes)?;
    let find = |path: &str| entries.iter().find(|e| e.path == path);

    // 10. 構成管理情報
    let manifest_entry =
        find(KOUSEI_KANRI_XML).map_or_else(|| err("kousei_kanri.xml がありません"), Ok)?;
    let manifest_text = utf8(manifest_entry)?;
    let (header, manifest) = parse_manifest(manifest_text)
        .map_err(|e| ZipReadError(format!("kousei_kanri.xml: {e}")))?;

    // 11. 構成管理情報と ZIP の中身の照合
    check_manifest(&entries, &manifest)?;

    // 12. 申請書と電子署名検証結果
    let shinseisho_xml =
        utf8(find(SHINSEISHO_XML).map_or_else(|| err("shinseisho.xml がありません"), Ok)?)?
            .to_owned();
    let shinseisho = if xml::has_doctype(&shinseisho_xml) {
        None
    } else {
        let s = parse_shinseisho(&shinseisho_xml)
            .map_err(|e| ZipReadError(format!("shinseisho.xml: {e}")))?;
        if s.header != header {
            return err(
                "shinseisho.xml の受付番号・団体コード・手続・申請日時が構成管理情報と違います",
            );
        }
        Some(s)
    };
    let kekka_text = utf8(
        find(KENSHO_KEKKA_XML).map_or_else(|| err("shomei_kensho_kekka.xml がありません"), Ok)?,
    )?;
    let kensho_kekka = parse_kensho_kekka(kekka_text)
        .map_err(|e| ZipReadError(format!("shomei_kensho_kekka.xml: {e}")))?;
    if kensho_kekka.uketsuke_bango != header.uketsuke_bango {
        return err("shomei_kensho_kekka.xml の受付番号が構成管理情報と違います");
    }
    Ok(ShinseiZip {
        header,
        entries,
        shinseisho_xml,
        shinseisho,
        kensho_kekka,
    })
}

fn utf8(entry: &Entry) -> Result<&str, ZipReadError> {
    std::str::from_utf8(&entry.content)
        .map_err(|_| ZipReadError(format!("{} が UTF-8 ではありません", entry.path)))
}

/// 1〜9: ZIP として安全に展開します。
fn unpack(bytes: &[u8]) -> Result<Vec<Entry>, ZipReadError> {
    // 1. 終端レコード
    if bytes.len() < 22 {
        return err("ZIP ではありません (終端レコードがありません)");
    }
    let has_eocd = bytes
        .windows(4)
        .rev()
        .take(65_557)
        .any(|w| w == [0x50, 0x4b, 0x05, 0x06]);
    if !has_eocd {
        return if bytes.starts_with(b"PK\x03\x04") {
            err("ZIP が途中で切れています (終端レコードがありません)")
        } else {
            err("ZIP ではありません")
        };
    }
    // 2・3. 中央ディレクトリ
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ZipReadError(format!("ZIP の中央ディレクトリを読めません: {e}")))?;
    if archive.len() > MAX_ENTRIES {
        return err(format!(
            "エントリが {} 個あります (上限 {MAX_ENTRIES})",
            archive.len()
        ));
    }
    // 4〜8. 名前と種類と大きさを、展開する前にすべて確かめる
    let mut names = Vec::with_capacity(archive.len());
    let mut seen = HashSet::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let file = archive
            .by_index_raw(i)
            .map_err(|e| ZipReadError(format!("{}番目のエントリを読めません: {e}", i + 1)))?;
        let name = std::str::from_utf8(file.name_raw())
            .map_err(|_| ZipReadError(format!("{}番目のエントリ名が UTF-8 ではありません", i + 1)))?
            .to_owned();
        check_path(&name)?;
        if file.enclosed_name().is_none() {
            return err(format!("エントリ「{name}」のパスがフォルダの外を指します"));
        }
        if !seen.insert(name.clone()) {
            return err(format!("エントリ「{name}」が2つあります"));
        }
        if file.encrypted() {
            return err(format!("エントリ「{name}」が暗号化されています"));
        }
        if file.is_symlink() || file.is_dir() {
            return err(format!("エントリ「{name}」が通常のファイルではありません"));
        }
        if !matches!(
            file.compression(),
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            return err(format!(
                "エントリ「{name}」の圧縮方式 {} は扱いません",
                file.compression()
            ));
        }
        if file.size() > MAX_ENTRY_SIZE {
            return err(format!(
                "エントリ「{name}」が展開後 {} バイトあります (上限 {MAX_ENTRY_SIZE})",
                file.size()
            ));
        }
        total = total.saturating_add(file.size());
        if total > MAX_TOTAL_SIZE {
            return err(format!(
                "展開後の合計が上限 {MAX_TOTAL_SIZE} バイトを超えます (エントリ「{name}」で)"
            ));
        }
        names.push((name, file.size()));
    }
    // 9. 展開: ヘッダのサイズ + 1 バイトで打ち切り、サイズと CRC-32 を確かめる
    let mut entries = Vec::with_capacity(names.len());
    for (i, (name, size)) in names.into_iter().enumerate() {
        let mut file = archive
            .by_index(i)
            .map_err(|e| ZipReadError(format!("エントリ「{name}」を開けません: {e}")))?;
        let mut content = Vec::with_capacity(size as usize);
        (&mut file)
            .take(size + 1)
            .read_to_end(&mut content)
            .map_err(|e| ZipReadError(format!("エントリ「{name}」が壊れています: {e}")))?;
        if content.len() as u64 != size {
            return err(format!(
                "エントリ「{name}」の展開後のサイズがヘッダ ({size} バイト) と違います"
            ));
        }
        // read_to_end が終わりまで読んだので、zip クレートは CRC-32 を確かめ終えています。
        let sha256 = sha256_hex(&content);
        entries.push(Entry {
            path: name,
            content,
            sha256,
        });
    }
    Ok(entries)
}

/// 5. パスがフォルダの外へ出ないこと。
fn check_path(name: &str) -> Result<(), ZipReadError> {
    let bad = name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.chars().any(char::is_control)
        || name.as_bytes().get(1) == Some(&b':')
        || name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        err(format!(
            "エントリ名「{}」は安全なパスではありません",
            name.escape_debug()
        ))
    } else {
        Ok(())
    }
}

fn kind_of(path: &str) -> Option<&'static str> {
    match path {
        SHINSEISHO_XML => Some("申請書"),
        SHINSEISHO_PDF => Some("申請書PDF"),
        KENSHO_KEKKA_XML => Some("電子署名検証結果"),
        p if p.starts_with(TENPU_DIR) && !p[TENPU_DIR.len()..].contains('/') => Some("添付書類"),
        _ => None,
    }
}

/// 11. 構成管理情報の各ファイルが ZIP にあり、ZIP の各ファイルが構成管理情報にあり、サイズと SHA-256 が合う。
fn check_manifest(entries: &[Entry], manifest: &[ManifestFile]) -> Result<(), ZipReadError> {
    let mut listed = HashSet::new();
    for m in manifest {
        if !listed.insert(m.path.as_str()) {
            return err(format!("構成管理情報に「{}」が2度載っています", m.path));
        }
        let Some(entry) = entries.iter().find(|e| e.path == m.path) else {
            return err(format!("構成管理情報の「{}」が ZIP にありません", m.path));
        };
        if entry.content.len() as u64 != m.size {
            return err(format!("「{}」のサイズが構成管理情報と違います", m.path));
        }
        if entry.sha256 != m.sha256 {
            return err(format!("「{}」の SHA-256 が構成管理情報と違います", m.path));
        }
        if kind_of(&m.path) != Some(m.kind.as_str()) {
            return err(format!(
                "「{}」の種別「{}」がパスに合いません",
                m.path, m.kind
            ));
        }
    }
    for e in entries {
        if e.path != KOUSEI_KANRI_XML && !listed.contains(e.path.as_str()) {
            return err(format!("ZIP の「{}」が構成管理情報にありません", e.path));
        }
    }
    for needed in [SHINSEISHO_XML, SHINSEISHO_PDF, KENSHO_KEKKA_XML] {
        if !listed.contains(needed) {
            return err(format!("{needed} が構成管理情報にありません"));
        }
    }
    Ok(())
}

fn digits(value: &str, n: usize, what: &str) -> Result<(), String> {
    if value.len() == n && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("{what}「{value}」が{n}桁の数字ではありません"))
    }
}

fn size_value(value: &str, what: &str) -> Result<u64, String> {
    let ok = !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit())
        && (value == "0" || !value.starts_with('0'));
    if !ok {
        return Err(format!(
            "{what}のサイズ「{value}」がバイト数の10進数ではありません"
        ));
    }
    value
        .parse()
        .map_err(|_| format!("{what}のサイズ「{value}」が大きすぎます"))
}

fn sha256_value(value: &str, what: &str) -> Result<String, String> {
    if value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "{what}の SHA256「{value}」が小文字の16進数64桁ではありません"
        ))
    }
}

fn parse_header(doc: &uppsala::Document<'_>, root: uppsala::NodeId) -> Result<Header, String> {
    let uketsuke_bango = xml::child_text(doc, root, "受付番号")?;
    digits(&uketsuke_bango, 15, "受付番号")?;
    let dantai_code = xml::child_text(doc, root, "団体コード")?;
    digits(&dantai_code, 6, "団体コード")?;
    let tetsuzuki = xml::child(doc, root, "手続")?;
    let shinsei_nichiji = xml::child_text(doc, root, "申請日時")?;
    crate::jst::parse(&shinsei_nichiji)?;
    Ok(Header {
        uketsuke_bango,
        dantai_code,
        tetsuzuki_id: xml::child_text(doc, tetsuzuki, "手続ID")?,
        tetsuzuki_name: xml::child_text(doc, tetsuzuki, "手続名")?,
        category: xml::child_text(doc, tetsuzuki, "カテゴリ")?,
        shinsei_nichiji,
    })
}

fn parse_manifest(text: &str) -> Result<(Header, Vec<ManifestFile>), String> {
    let doc = xml::parse(text)?;
    let root = xml::root(&doc, "構成管理情報")?;
    let header = parse_header(&doc, root)?;
    let list = xml::child(&doc, root, "ファイル一覧")?;
    let mut files = Vec::new();
    for f in xml::children(&doc, list, "ファイル") {
        let path = xml::child_text(&doc, f, "パス")?;
        files.push(ManifestFile {
            kind: xml::child_text(&doc, f, "種別")?,
            size: size_value(&xml::child_text(&doc, f, "サイズ")?, &path)?,
            sha256: sha256_value(&xml::child_text(&doc, f, "SHA256")?, &path)?,
            path,
        });
    }
    if files.is_empty() {
        return Err("ファイル一覧が空です".to_owned());
    }
    Ok((header, files))
}

/// 申請書を読みます。署名の検証は `signature` モジュールが同じ文字列に対して行います。
pub fn parse_shinseisho(text: &str) -> Result<Shinseisho, String> {
    let doc = xml::parse(text)?;
    let root = xml::root(&doc, "申請書")?;
    let header = parse_header(&doc, root)?;
    let list = xml::child(&doc, root, "申請項目一覧")?;
    let mut form = Vec::new();
    let mut ids = HashSet::new();
    for item in xml::children(&doc, list, "申請項目") {
        let id = xml::child_text(&doc, item, "項目ID")?;
        if !ids.insert(id.clone()) {
            return Err(format!("項目ID「{id}」が2つあります"));
        }
        let required = match xml::child_text(&doc, item, "必須")?.as_str() {
            "true" => true,
            "false" => false,
            other => {
                return Err(format!(
                    "項目「{id}」の必須「{other}」が true / false ではありません"
                ));
            }
        };
        form.push(FormItem {
            label: xml::child_text(&doc, item, "項目名")?,
            kind: xml::child_text(&doc, item, "型")?,
            required,
            value: xml::child_text(&doc, item, "値")?,
            id,
        });
    }
    let mut attachments = Vec::new();
    if let Some(list) = xml::optional_child(&doc, root, "添付書類一覧")? {
        for a in xml::children(&doc, list, "添付書類") {
            let file_name = xml::child_text(&doc, a, "ファイル名")?;
            attachments.push(SignedAttachment {
                size: size_value(&xml::child_text(&doc, a, "サイズ")?, &file_name)?,
                sha256: sha256_value(&xml::child_text(&doc, a, "SHA256")?, &file_name)?,
                file_name,
            });
        }
    }
    Ok(Shinseisho {
        header,
        form,
        attachments,
    })
}

fn parse_kensho_kekka(text: &str) -> Result<KenshoKekkaXml, String> {
    let doc = xml::parse(text)?;
    let root = xml::root(&doc, "電子署名検証結果")?;
    let uketsuke_bango = xml::child_text(&doc, root, "受付番号")?;
    digits(&uketsuke_bango, 15, "受付番号")?;
    let kensho_kekka = xml::child_text(&doc, root, "検証結果")?;
    let serial = match xml::optional_child(&doc, root, "電子証明書")? {
        Some(cert) => {
            let serial = xml::child_text(&doc, cert, "シリアル番号")?;
            let ok = !serial.is_empty()
                && serial.len() <= 20
                && serial.bytes().all(|b| b.is_ascii_digit())
                && !serial.starts_with('0');
            if !ok {
                return Err(format!(
                    "シリアル番号「{serial}」が先頭0なしの10進数ではありません"
                ));
            }
            Some(serial)
        }
        None => None,
    };
    let kihon4 = match xml::optional_child(&doc, root, "基本4情報")? {
        Some(k) => Some(Kihon4 {
            shimei: xml::child_text(&doc, k, "氏名")?,
            seinengappi: xml::child_text(&doc, k, "生年月日")?,
            seibetsu: xml::child_text(&doc, k, "性別")?,
            jusho: xml::child_text(&doc, k, "住所")?,
        }),
        None => None,
    };
    Ok(KenshoKekkaXml {
        uketsuke_bango,
        kensho_kekka,
        serial,
        kihon4,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_panics_on_garbage_or_cut_input() {
        assert!(read(b"").is_err());
        assert!(
            read(b"not a zip at all, just some text that is long enough")
                .unwrap_err()
                .0
                .contains("ZIP ではありません")
        );
        let mut fake = b"PK\x03\x04".to_vec();
        fake.extend_from_slice(&[0u8; 64]);
        assert!(read(&fake).unwrap_err().0.contains("途中で切れています"));
        // 終端レコードのシグネチャだけがあるゴミ
        let mut eocd = vec![0u8; 10];
        eocd.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06]);
        eocd.extend_from_slice(&[0xff; 18]);
        assert!(read(&eocd).is_err());
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for bad in [
            "/etc/passwd",
            "../x",
            "tenpu/../../x",
            "a//b",
            "C:x",
            "a\\b",
            "./a",
            "a/\u{7}",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
        assert!(check_path("tenpu/本人確認書類（写し）.pdf").is_ok());
    }

    #[test]
    fn kinds_follow_the_paths() {
        assert_eq!(kind_of("tenpu/a.pdf"), Some("添付書類"));
        assert_eq!(kind_of("tenpu/sub/a.pdf"), None);
        assert_eq!(kind_of("shinseisho.pdf"), Some("申請書PDF"));
        assert_eq!(kind_of("other.xml"), None);
    }
}
