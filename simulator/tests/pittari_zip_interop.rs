//! The 申請ZIP's files as a vendor's tools see them: the signed 申請書 with Debian's `xmlsec1`,
//! the three XML files against the published XSDs with `xmllint --schema`, the PDF with
//! `pdftotext` and with a minimal PDF reader written here.
//!
//! The tools must be on PATH (`apt-get install -y xmlsec1 libxml2-utils poppler-utils`; CI
//! installs them). A missing tool fails the test: a silently skipped interoperability test would
//! claim what nobody checked. Where one is known to be missing, `RENKEI_SKIP_XMLSEC=1`,
//! `RENKEI_SKIP_XMLLINT=1` or `RENKEI_SKIP_POPPLER=1` skips with a message.

mod pittari_zip_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pittari_zip_support::*;
use renkei_fixtures::catalog::Catalogs;
use renkei_simulator::pittari::zip::{
    self, FilledForm, KOUSEI_KANRI, SHINSEISHO_XML, SHOMEI_KENSHO_KEKKA, ShinseiDocument,
    ShinseiZip, ZipVariant, build, read,
};

/// The moment xmlsec1 judges at: 申請日時 in UTC.
const AT_UTC: &str = "2025-06-01 01:15:30";

/// Whether `tool` runs; fails the test when it does not, unless `skip_var=1` is set.
fn available(tool: &str, version_flag: &str, package: &str, skip_var: &str) -> bool {
    match Command::new(tool).arg(version_flag).output() {
        Ok(output) if output.status.success() => true,
        _ if std::env::var(skip_var).as_deref() == Ok("1") => {
            eprintln!("SKIPPED: {tool} is not on PATH and {skip_var}=1 is set");
            false
        }
        _ => panic!(
            "{tool} is not on PATH: run `apt-get install -y {package}` (or set {skip_var}=1 where it is known to be missing)"
        ),
    }
}

fn explain(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A 申請 of the tests, built and read back.
fn zip_of(pki: &Pki, attachments: &[zip::Attachment], variant: ZipVariant) -> ShinseiZip {
    read(&build(&document(&pki.cert, &pki.trust, attachments, variant)).unwrap()).unwrap()
}

#[test]
fn xmlsec1_accepts_the_signed_shinseisho_and_rejects_the_altered_one() {
    if !available("xmlsec1", "--version", "xmlsec1", "RENKEI_SKIP_XMLSEC") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let ca = write(
        dir.path(),
        "ca.pem",
        pki.jpki.signature_ca.cert_pem().as_bytes(),
    );
    let attachments = attachments();
    let verify = |name: &str, zip: &ShinseiZip| {
        // The flags of tests/jpki_xmlsec.rs: the CA as the only trust anchor, the time fixed.
        Command::new("xmlsec1")
            .arg("--verify")
            .args(["--enabled-key-data", "x509"])
            .arg("--trusted-pem")
            .arg(&ca)
            .args(["--verification-gmt-time", AT_UTC])
            .arg(write(dir.path(), name, zip.shinseisho_xml.as_bytes()))
            .output()
            .unwrap()
    };
    let valid = verify("valid.xml", &zip_of(&pki, &attachments, ZipVariant::Valid));
    assert!(
        valid.status.success(),
        "xmlsec1 must accept the 申請書 of a valid ZIP: {}",
        explain(&valid)
    );
    let tampered = verify(
        "tampered.xml",
        &zip_of(&pki, &attachments, ZipVariant::TamperedAfterSigning),
    );
    assert!(
        !tampered.status.success(),
        "xmlsec1 must reject the altered 申請書: {}",
        explain(&tampered)
    );
}

#[test]
fn the_xml_files_validate_against_the_published_xsds() {
    if !available(
        "xmllint",
        "--version",
        "libxml2-utils",
        "RENKEI_SKIP_XMLLINT",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/xsd/shinsei-zip");
    let pki = Pki::new();
    let attachments = attachments();
    let signed = zip_of(&pki, &attachments, ZipVariant::Valid);
    let unsigned = read(
        &build(&ShinseiDocument {
            signing: None,
            ..document(&pki.cert, &pki.trust, &[], ZipVariant::Valid)
        })
        .unwrap(),
    )
    .unwrap();
    let tampered = zip_of(&pki, &attachments, ZipVariant::TamperedAfterSigning);
    // A form with optional fields left empty (kosodate-02's 事由 is optional).
    let procedure = Catalogs::embedded().procedure("kosodate-02").unwrap();
    let required: Vec<(String, String)> = procedure
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| (f.id.clone(), SHIMEI.to_owned()))
        .collect();
    assert!(required.len() < procedure.fields.len());
    let sparse = read(
        &build(&ShinseiDocument {
            form: FilledForm::new(procedure, required).unwrap(),
            ..document(&pki.cert, &pki.trust, &[], ZipVariant::Valid)
        })
        .unwrap(),
    )
    .unwrap();

    let mut checked = 0;
    for (label, zip) in [
        ("signed", &signed),
        ("unsigned", &unsigned),
        ("tampered", &tampered),
        ("sparse", &sparse),
    ] {
        let files = [
            (KOUSEI_KANRI, zip.kousei_kanri.to_xml()),
            (SHINSEISHO_XML, zip.shinseisho_xml.clone()),
            (SHOMEI_KENSHO_KEKKA, zip.kensho_kekka.to_xml()),
        ];
        for (file, text) in files {
            let schema = xsd.join(file.replace(".xml", ".xsd"));
            let path = write(dir.path(), &format!("{label}-{file}"), text.as_bytes());
            let output = Command::new("xmllint")
                .arg("--noout")
                .arg("--schema")
                .arg(&schema)
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{label} {file} must validate against {}: {}",
                schema.display(),
                explain(&output)
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 12);

    // And the schemas are not vacuous: a missing element and a duplicated field id fail.
    let broken = signed
        .shinseisho_xml
        .replacen("<団体コード>131016</団体コード>", "", 1);
    let duplicated =
        signed
            .shinseisho_xml
            .replacen("<項目ID>denwa</項目ID>", "<項目ID>jusho</項目ID>", 1);
    for (name, text) in [("broken.xml", broken), ("duplicated.xml", duplicated)] {
        let output = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(xsd.join("shinseisho.xsd"))
            .arg(write(dir.path(), name, text.as_bytes()))
            .output()
            .unwrap();
        assert!(
            !output.status.success(),
            "{name} must fail validation: {}",
            explain(&output)
        );
    }
}

#[test]
fn pdftotext_reads_the_name_and_the_procedure_from_the_pdf() {
    if !available("pdftotext", "-v", "poppler-utils", "RENKEI_SKIP_POPPLER") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let zip = zip_of(&pki, &attachments(), ZipVariant::Valid);
    let path = write(dir.path(), "shinseisho.pdf", &zip.pdf);
    let output = Command::new("pdftotext")
        .arg("-raw")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", explain(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    // poppler maps the non-embedded font's codes through Adobe-Japan1: 𠮷, 髙, 﨑 and
    // half-width カナ come back; U+3000 becomes a space; the 外字 is shown (and read) as 〓.
    assert!(text.contains(&procedure().name), "{text}");
    assert!(text.contains("𠮷田〓 髙﨑"), "{text}");
    assert!(text.contains(KANA), "{text}");
    assert!(text.contains("170401000000001"), "{text}");
    assert!(text.contains("本人確認書類（写し）.pdf"), "{text}");

    let fonts = Command::new("pdffonts").arg(&path).output().unwrap();
    let fonts = String::from_utf8(fonts.stdout).unwrap();
    let font = fonts
        .lines()
        .find(|l| l.starts_with(zip::pdf::FONT))
        .unwrap_or_else(|| panic!("{fonts}"));
    let columns: Vec<&str> = font.split_whitespace().collect();
    assert_eq!(
        &columns[1..6],
        ["CID", "Type", "0", "UniJIS-UTF16-H", "no"],
        "a CID font, not embedded: {font}"
    );
}

#[test]
fn the_pdf_is_small_and_well_formed_on_one_page_or_more() {
    let pki = Pki::new();
    let zip = zip_of(&pki, &attachments(), ZipVariant::Valid);
    assert!(
        zip.pdf.len() < 8 * 1024,
        "a whole form in a few KB: {} bytes",
        zip.pdf.len()
    );
    let pdf = MiniPdf::parse(&zip.pdf);
    assert_eq!(pdf.page_contents.len(), 1);
    let text = pdf.text();
    assert!(text.contains(&procedure().name));
    assert!(
        text.contains("𠮷田〓\u{3000}髙﨑"),
        "the text layer is UTF-16 with 〓 for the 外字: {text}"
    );
    assert!(text.contains("ゆうちょ銀行 <&> \"〇一八\" 店"));
    assert!(
        pdf.font.contains("/BaseFont /KozMinPr6N-Regular")
            && pdf.font.contains("/Encoding /UniJIS-UTF16-H")
    );
    assert!(
        pdf.objects.iter().all(|o| !o.contains("/FontFile")),
        "the font is not embedded"
    );
    assert!(pdf.objects.iter().any(|o| o.contains("/Ordering (Japan1)")));

    // Long values flow onto further pages, each with its footer.
    let procedure = Catalogs::embedded().procedure("hisai-01").unwrap();
    let long = "被災した家屋の状況（〜～𠮷）を詳しく記入します。".repeat(20);
    let values: Vec<(String, String)> = procedure
        .fields
        .iter()
        .map(|f| (f.id.clone(), long.clone()))
        .collect();
    let doc = ShinseiDocument {
        form: FilledForm::new(procedure, values).unwrap(),
        ..document(&pki.cert, &pki.trust, &[], ZipVariant::Valid)
    };
    let zip = read(&build(&doc).unwrap()).unwrap();
    let pdf = MiniPdf::parse(&zip.pdf);
    let pages = pdf.page_contents.len();
    assert!(pages >= 2, "{pages} pages");
    let text = pdf.text();
    for page in 1..=pages {
        assert!(
            text.contains(&format!("{page} / {pages} ページ")),
            "footer of page {page}"
        );
    }
    // Each value is wrapped onto lines of its own; read back in order, every value is whole.
    assert_eq!(
        pdf.lines().concat().matches(&long).count(),
        procedure.fields.len()
    );
}

/// A minimal PDF reader: enough to check that the cross-reference table points at every object,
/// that each content stream's /Length is right, and to read the text back from the hex strings.
struct MiniPdf {
    objects: Vec<String>,
    font: String,
    page_contents: Vec<String>,
}

impl MiniPdf {
    fn parse(bytes: &[u8]) -> Self {
        assert!(bytes.starts_with(b"%PDF-1.4\n"));
        // Byte offsets matter: the binary comment of line 2 is the only non-ASCII in the file
        // (text is in hex strings), so it is read as '?' one for one.
        assert!(bytes[15..].iter().all(u8::is_ascii), "the body is ASCII");
        let text: String = bytes
            .iter()
            .map(|&b| if b.is_ascii() { b as char } else { '?' })
            .collect();
        let tail = text.rfind("startxref\n").expect("startxref");
        let xref: usize = text[tail + 10..].lines().next().unwrap().parse().unwrap();
        assert!(text.ends_with("%%EOF\n"));
        assert!(
            text[xref..].starts_with("xref\n0 "),
            "startxref points at the xref table"
        );
        let mut lines = text[xref..].lines().skip(1);
        let count: usize = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(lines.next(), Some("0000000000 65535 f "));
        let mut objects = Vec::new();
        for number in 1..count {
            let entry = lines.next().unwrap();
            assert_eq!(
                entry.len(),
                19,
                "20-byte entries (with the newline): {entry:?}"
            );
            let offset: usize = entry[..10].parse().unwrap();
            let header = format!("{number} 0 obj\n");
            assert!(
                bytes[offset..].starts_with(header.as_bytes()),
                "object {number} is at {offset}"
            );
            let end = text[offset..].find("\nendobj\n").unwrap();
            objects.push(text[offset + header.len()..offset + end].to_owned());
        }
        let trailer = &text[xref..];
        assert!(trailer.contains(&format!("/Size {count} /Root 1 0 R")));
        let object = |reference: usize| objects[reference - 1].clone();
        assert!(object(1).contains("/Type /Catalog /Pages 2 0 R"));
        let pages = object(2);
        let kids: Vec<usize> = pages[pages.find("/Kids [").unwrap() + 7..pages.find(']').unwrap()]
            .split(" 0 R")
            .filter_map(|k| k.trim().parse().ok())
            .collect();
        assert!(pages.contains(&format!("/Count {}", kids.len())));
        let mut page_contents = Vec::new();
        for kid in kids {
            let page = object(kid);
            assert!(page.contains("/MediaBox [0 0 595 842]"), "A4");
            let at = page.find("/Contents ").unwrap() + 10;
            let reference: usize = page[at..].split(' ').next().unwrap().parse().unwrap();
            let stream = object(reference);
            let length: usize = stream["<< /Length ".len()..stream.find(" >>").unwrap()]
                .parse()
                .unwrap();
            let body_at = stream.find("stream\n").unwrap() + 7;
            assert_eq!(
                &stream[body_at + length..],
                "endstream",
                "/Length is the stream's length"
            );
            page_contents.push(stream[body_at..body_at + length].to_owned());
        }
        let font = object(3);
        Self {
            objects,
            font,
            page_contents,
        }
    }

    /// Every text string of every page, decoded from UTF-16BE, one per line.
    fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for content in &self.page_contents {
            for op in content.lines().filter(|l| l.ends_with("Tj ET")) {
                let hex = &op[op.find('<').unwrap() + 1..op.find('>').unwrap()];
                let units: Vec<u16> = (0..hex.len())
                    .step_by(4)
                    .map(|i| u16::from_str_radix(&hex[i..i + 4], 16).unwrap())
                    .collect();
                lines.push(String::from_utf16(&units).unwrap());
            }
        }
        lines
    }

    fn text(&self) -> String {
        self.lines().join("\n")
    }
}
