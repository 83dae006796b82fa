//! The 申請ZIP as a 申請管理システム receives it: built, read back, broken on purpose, and read
//! safely whatever the bytes.

mod pittari_zip_support;

use pittari_zip_support::*;
use proptest::prelude::*;
use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::ids::CertSerial;
use renkei_fixtures::population::{self, EdgeCase, PopulationSpec};
use renkei_simulator::jpki::{self, CertKind, CertRequest, Kihon4, VerifyOutcome};
use renkei_simulator::pittari::zip::{
    self, Attachment, FilledForm, KenshoKekka, ManifestProblem, ShinseiDocument, Shubetsu,
    ZipBuildError, ZipReadError, ZipVariant, build, read,
};
use time::Duration;
use time::macros::date;

#[test]
fn a_built_zip_reads_back_with_every_character_and_value() {
    assert_every_field_type();
    let pki = Pki::new();
    let attachments = attachments();
    let bytes = build(&document(
        &pki.cert,
        &pki.trust,
        &attachments,
        ZipVariant::Valid,
    ))
    .unwrap();
    let zip = read(&bytes).unwrap();

    // The form: every field of kosodate-01, in form order, each value exactly as typed (ING-20).
    let ids: Vec<&str> = zip
        .shinseisho
        .komoku
        .iter()
        .map(|k| k.id.as_str())
        .collect();
    let form_ids: Vec<&str> = procedure().fields.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, form_ids);
    for (id, value) in values() {
        assert_eq!(zip.shinseisho.value(id), Some(value.as_str()), "{id}");
    }
    for (item, field) in zip.shinseisho.komoku.iter().zip(&procedure().fields) {
        assert_eq!(
            (item.label.as_str(), item.kata.as_str(), item.hissu),
            (
                field.label.as_str(),
                field.field_type.name(),
                field.required
            )
        );
    }
    assert_eq!(zip.shinseisho.shimei_kana(), Some(KANA));
    assert!(
        zip.shinseisho_xml.contains(SHIMEI) && zip.shinseisho_xml.contains(JUSHO),
        "the raw XML carries the characters themselves, not references"
    );

    // The 申請's identity, the same in the 構成管理情報 and the 申請書.
    let manifest = &zip.kousei_kanri;
    assert_eq!(manifest.uketsuke_bango.as_str(), "170401000000001");
    assert_eq!(manifest.dantai_code.as_str(), "131016");
    assert_eq!(manifest.tetsuzuki.id, PROCEDURE);
    assert_eq!(manifest.tetsuzuki.name, procedure().name);
    assert_eq!(manifest.tetsuzuki.category, "子育て");
    assert_eq!(manifest.shinsei_nichiji, SHINSEI_NICHIJI);
    let paths: Vec<(&str, Shubetsu)> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.shubetsu))
        .collect();
    assert_eq!(
        paths,
        [
            ("shinseisho.xml", Shubetsu::Shinseisho),
            ("shinseisho.pdf", Shubetsu::ShinseishoPdf),
            ("shomei_kensho_kekka.xml", Shubetsu::KenshoKekka),
            ("tenpu/本人確認書類（写し）.pdf", Shubetsu::Tenpu),
            ("tenpu/通帳〜表紙～.jpg", Shubetsu::Tenpu),
        ]
    );

    // The 検証結果 at receipt: the serial and the 基本4情報 as the certificate states them.
    let kensho = &zip.kensho_kekka;
    assert_eq!(kensho.kekka, KenshoKekka::Kenshozumi);
    assert_eq!(kensho.nichiji, SHINSEI_NICHIJI);
    assert_eq!(kensho.taisho, "shinseisho.xml");
    let cert = kensho.shomeisho.as_ref().unwrap();
    assert_eq!(cert.serial, CertSerial::new(SERIAL).unwrap());
    assert_eq!(cert.kind, CertKind::Signature);
    assert_eq!(
        (cert.not_before, cert.not_after),
        (pki.cert.not_before(), pki.cert.not_after())
    );
    assert_eq!(kensho.kihon4.as_ref(), Some(&kihon4()));

    // The attachments, under their exact names.
    assert_eq!(zip.attachments.len(), 2);
    for (read, given) in zip.attachments.iter().zip(&attachments) {
        assert_eq!(
            (&read.name, &read.media_type, &read.bytes),
            (&given.name, &given.media_type, &given.bytes)
        );
    }
    assert_eq!(
        zip.attachment(HONNIN_KAKUNIN).unwrap().bytes,
        attachments[0].bytes
    );
    assert!(zip.pdf.starts_with(b"%PDF-1.4\n") && zip.pdf.ends_with(b"%%EOF\n"));
    assert_eq!(
        zip::zip_file_name(&manifest.uketsuke_bango),
        "170401000000001.zip"
    );
}

#[test]
fn entries_have_ascii_or_utf8_flagged_names_in_a_fixed_order() {
    let pki = Pki::new();
    let attachments = attachments();
    let bytes = build(&document(
        &pki.cert,
        &pki.trust,
        &attachments,
        ZipVariant::Valid,
    ))
    .unwrap();
    let headers = local_headers(&bytes);
    let names: Vec<String> = headers
        .iter()
        .map(|(_, name)| String::from_utf8(name.clone()).unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "kousei_kanri.xml",
            "shinseisho.xml",
            "shinseisho.pdf",
            "shomei_kensho_kekka.xml",
            "tenpu/本人確認書類（写し）.pdf",
            "tenpu/通帳〜表紙～.jpg"
        ]
    );
    let (flags, raw) = &headers[4];
    assert_eq!(
        raw.as_slice(),
        "tenpu/本人確認書類（写し）.pdf".as_bytes(),
        "the name is UTF-8, byte for byte"
    );
    assert_ne!(
        flags & 0x0800,
        0,
        "the UTF-8 flag (general purpose bit 11) is set for a Japanese name"
    );
    // And the central directory says the same, as the zip crate reads it.
    let archive = ::zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
    let entry = archive.by_index_data(4).unwrap();
    assert_eq!(entry.name().unwrap(), "tenpu/本人確認書類（写し）.pdf");
    let time = entry.last_modified().unwrap();
    assert_eq!(
        (
            time.year(),
            time.month(),
            time.day(),
            time.hour(),
            time.minute(),
            time.second()
        ),
        (2025, 6, 1, 10, 15, 30)
    );
}

#[test]
fn the_same_application_gives_the_same_bytes() {
    let pki = Pki::new();
    let attachments = attachments();
    let doc = document(&pki.cert, &pki.trust, &attachments, ZipVariant::Valid);
    let first = build(&doc).unwrap();
    assert_eq!(build(&doc).unwrap(), first);
    // Rebuilt from scratch (a new JPKI from the same seed, a new form): still the same bytes.
    let again = Pki::new();
    assert_eq!(
        build(&document(
            &again.cert,
            &again.trust,
            &attachments,
            ZipVariant::Valid
        ))
        .unwrap(),
        first
    );
    // And any change shows.
    let later = ShinseiDocument {
        shinsei_nichiji: SHINSEI_NICHIJI + Duration::seconds(2),
        ..doc.clone()
    };
    assert_ne!(build(&later).unwrap(), first);
    for variant in ZipVariant::ALL {
        let doc = ShinseiDocument {
            variant,
            ..doc.clone()
        };
        assert_eq!(build(&doc).unwrap(), build(&doc).unwrap(), "{variant:?}");
    }
}

#[test]
fn a_value_altered_after_signing_reads_but_fails_verification() {
    let pki = Pki::new();
    let attachments = attachments();
    let valid = read(
        &build(&document(
            &pki.cert,
            &pki.trust,
            &attachments,
            ZipVariant::Valid,
        ))
        .unwrap(),
    )
    .unwrap();
    let tampered = read(
        &build(&document(
            &pki.cert,
            &pki.trust,
            &attachments,
            ZipVariant::TamperedAfterSigning,
        ))
        .unwrap(),
    )
    .unwrap();

    assert_eq!(
        jpki::verify(&valid.shinseisho_xml, &pki.trust, SHINSEI_NICHIJI),
        VerifyOutcome::Valid {
            serial: pki.cert.serial(),
            kind: CertKind::Signature,
            holder: Some(kihon4()),
        }
    );
    assert!(
        valid
            .verify(&pki.trust, SHINSEI_NICHIJI + Duration::days(1))
            .is_valid()
    );
    assert!(matches!(
        jpki::verify(&tampered.shinseisho_xml, &pki.trust, SHINSEI_NICHIJI),
        VerifyOutcome::Tampered { .. }
    ));
    assert!(matches!(
        tampered.verify(&pki.trust, SHINSEI_NICHIJI),
        VerifyOutcome::Tampered { .. }
    ));

    // Exactly one value differs: the amount-like number field (口座番号), its last digit.
    let changed: Vec<(&str, &str, &str)> = valid
        .shinseisho
        .komoku
        .iter()
        .zip(&tampered.shinseisho.komoku)
        .filter(|(a, b)| a.value != b.value)
        .map(|(a, b)| (a.id.as_str(), a.value.as_str(), b.value.as_str()))
        .collect();
    assert_eq!(changed, [("koza_bango", "1234567", "1234568")]);
    // The 検証結果 and the PDF are as the ぴったりサービス made them at receipt.
    assert_eq!(tampered.kensho_kekka, valid.kensho_kekka);
    assert_eq!(tampered.pdf, valid.pdf);
}

#[test]
fn a_form_without_a_number_gets_its_name_altered() {
    let pki = Pki::new();
    let procedure = Catalogs::embedded().procedure("kosodate-15").unwrap();
    assert!(
        procedure
            .fields
            .iter()
            .all(|f| f.field_type.name() != "number")
    );
    let values: Vec<(String, String)> = procedure
        .fields
        .iter()
        .map(|f| {
            (
                f.id.clone(),
                if f.field_type.name() == "text" {
                    SHIMEI.to_owned()
                } else {
                    "1".to_owned()
                },
            )
        })
        .collect();
    let doc = ShinseiDocument {
        form: FilledForm::new(procedure, values).unwrap(),
        ..document(&pki.cert, &pki.trust, &[], ZipVariant::TamperedAfterSigning)
    };
    let zip = read(&build(&doc).unwrap()).unwrap();
    let first_text = procedure
        .fields
        .iter()
        .find(|f| f.field_type.name() == "text")
        .unwrap();
    assert_eq!(
        zip.shinseisho.value(&first_text.id),
        Some("吉田\u{E000}\u{3000}髙﨑")
    );
    assert!(matches!(
        zip.verify(&pki.trust, SHINSEI_NICHIJI),
        VerifyOutcome::Tampered { .. }
    ));
}

#[test]
fn truncated_and_corrupt_zips_are_refused_with_their_own_errors() {
    let pki = Pki::new();
    let attachments = attachments();
    let valid = build(&document(
        &pki.cert,
        &pki.trust,
        &attachments,
        ZipVariant::Valid,
    ))
    .unwrap();
    let truncated = build(&document(
        &pki.cert,
        &pki.trust,
        &attachments,
        ZipVariant::Truncated,
    ))
    .unwrap();
    assert!(truncated.len() < valid.len() && valid.starts_with(&truncated));
    let error = read(&truncated).unwrap_err();
    assert!(
        matches!(error, ZipReadError::Truncated { len, .. } if len == truncated.len()),
        "{error}"
    );
    assert!(error.to_string().contains("途中で切れています"));

    let corrupt = build(&document(
        &pki.cert,
        &pki.trust,
        &attachments,
        ZipVariant::Corrupt,
    ))
    .unwrap();
    assert_eq!(corrupt.len(), valid.len());
    assert_eq!(
        corrupt.iter().zip(&valid).filter(|(a, b)| a != b).count(),
        4,
        "four bytes flipped"
    );
    let error = read(&corrupt).unwrap_err();
    assert!(matches!(error, ZipReadError::Corrupt { .. }), "{error}");
    assert!(
        ::zip::ZipArchive::new(std::io::Cursor::new(&corrupt[..])).is_err(),
        "no ZIP reader can list it"
    );

    assert!(matches!(
        read(b"").unwrap_err(),
        ZipReadError::NotZip { len: 0 }
    ));
    assert!(matches!(
        read(b"<html>503 Service Unavailable</html>").unwrap_err(),
        ZipReadError::NotZip { .. }
    ));
}

#[test]
fn paths_that_climb_out_are_refused_naming_the_entry() {
    for (name, word) in [
        ("../evil.txt", ".."),
        ("/etc/passwd", "絶対パス"),
        ("tenpu/../../evil.txt", ".."),
        ("..\\evil.txt", "\\"),
    ] {
        let bytes = raw_zip(&[RawEntry {
            name: name.as_bytes(),
            data: b"x",
            declared_size: 1,
        }]);
        let error = read(&bytes).unwrap_err();
        assert!(
            matches!(&error, ZipReadError::UnsafePath { entry, .. } if entry == name),
            "{name}: {error}"
        );
        assert!(
            error.to_string().contains(name) && error.to_string().contains(word),
            "{error}"
        );
    }
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_inflated() {
    // Declared 1 GB: refused from the header alone, naming the entry.
    let bytes = raw_zip(&[RawEntry {
        name: "tenpu/bomb.bin".as_bytes(),
        data: b"tiny",
        declared_size: 1_000_000_000,
    }]);
    let error = read(&bytes).unwrap_err();
    assert!(
        matches!(&error, ZipReadError::EntryTooLarge { entry, size: 1_000_000_000, .. } if entry == "tenpu/bomb.bin"),
        "{error}"
    );
    assert!(error.to_string().contains("tenpu/bomb.bin") && error.to_string().contains("zip bomb"));

    // Entries small on their own, too large together.
    let big = vec![0u8; 20 * 1024 * 1024];
    let many: Vec<RawEntry<'_>> = ["a", "b", "c", "d", "e", "f", "g"]
        .iter()
        .map(|n| RawEntry {
            name: n.as_bytes(),
            data: &big,
            declared_size: big.len() as u32,
        })
        .collect();
    let error = read(&raw_zip(&many)).unwrap_err();
    assert!(
        matches!(&error, ZipReadError::TotalTooLarge { entry, .. } if entry == "g"),
        "{error}"
    );

    // A header that lies (declares 1,000 bytes, inflates to 16 MiB): inflating stops after 1,001.
    let honest = rezip(
        &raw_zip(&[]),
        |_, _| None,
        vec![("tenpu/liar.bin".to_owned(), vec![0u8; 16 * 1024 * 1024])],
    );
    let lying = patch_central_size(&honest, 1_000);
    let error = read(&lying).unwrap_err();
    assert!(
        matches!(&error, ZipReadError::SizeMismatch { entry, declared: 1_000, actual: 1_001 } if entry == "tenpu/liar.bin")
            || matches!(&error, ZipReadError::Corrupt { entry: Some(entry), .. } if entry == "tenpu/liar.bin"),
        "{error}"
    );

    // More entries than the limit: refused from the end record.
    let names: Vec<String> = (0..101).map(|i| format!("f{i}")).collect();
    let entries: Vec<RawEntry<'_>> = names
        .iter()
        .map(|n| RawEntry {
            name: n.as_bytes(),
            data: b"",
            declared_size: 0,
        })
        .collect();
    assert!(matches!(
        read(&raw_zip(&entries)).unwrap_err(),
        ZipReadError::TooManyEntries {
            count: 101,
            max: 100
        }
    ));
}

/// The first central directory header's uncompressed size set to `size`.
fn patch_central_size(bytes: &[u8], size: u32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = out.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    out[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
    out
}

#[test]
fn names_that_are_not_utf8_and_duplicate_entries_are_refused() {
    // 本 in Shift_JIS, without the UTF-8 flag mattering: the reader decodes names as UTF-8 only.
    let bytes = raw_zip(&[RawEntry {
        name: b"tenpu/\x96\x7b.pdf",
        data: b"x",
        declared_size: 1,
    }]);
    assert!(
        matches!(read(&bytes).unwrap_err(), ZipReadError::NameNotUtf8 { hex } if hex == "74656e70752f967b2e706466")
    );
    let twice = raw_zip(&[
        RawEntry {
            name: b"shinseisho.xml",
            data: b"a",
            declared_size: 1,
        },
        RawEntry {
            name: b"shinseisho.xml",
            data: b"b",
            declared_size: 1,
        },
    ]);
    let error = read(&twice).unwrap_err();
    assert!(
        matches!(&error, ZipReadError::DuplicateEntry { entry } if entry == "shinseisho.xml"),
        "{error}"
    );
}

#[test]
fn every_disagreement_with_the_manifest_names_the_file() {
    let pki = Pki::new();
    let attachments = attachments();
    let valid = build(&document(
        &pki.cert,
        &pki.trust,
        &attachments,
        ZipVariant::Valid,
    ))
    .unwrap();
    let expect = |bytes: Vec<u8>, file: &str, problem: fn(&ManifestProblem) -> bool| {
        let error = read(&bytes).unwrap_err();
        match &error {
            ZipReadError::Manifest {
                file: f,
                problem: p,
            } if f == file && problem(p) => {}
            other => panic!("expected a manifest error on {file}, got: {other}"),
        }
        assert!(error.to_string().contains(file), "{error}");
    };
    // One byte of the PDF changed, same size.
    expect(
        rezip(
            &valid,
            |name, mut data| {
                if name == "shinseisho.pdf" {
                    data[20] ^= 1;
                }
                Some((name.to_owned(), data))
            },
            vec![],
        ),
        "shinseisho.pdf",
        |p| matches!(p, ManifestProblem::Sha256 { .. }),
    );
    // An attachment grown by a byte.
    expect(
        rezip(
            &valid,
            |name, mut data| {
                if name == "tenpu/本人確認書類（写し）.pdf" {
                    data.push(b'\n');
                }
                Some((name.to_owned(), data))
            },
            vec![],
        ),
        "tenpu/本人確認書類（写し）.pdf",
        |p| matches!(p, ManifestProblem::Size { .. }),
    );
    // A file dropped, a file added, the manifest dropped.
    expect(
        rezip(
            &valid,
            |name, data| (name != "shomei_kensho_kekka.xml").then(|| (name.to_owned(), data)),
            vec![],
        ),
        "shomei_kensho_kekka.xml",
        |p| matches!(p, ManifestProblem::Missing),
    );
    expect(
        rezip(
            &valid,
            |name, data| Some((name.to_owned(), data)),
            vec![("tenpu/追加.txt".to_owned(), b"x".to_vec())],
        ),
        "tenpu/追加.txt",
        |p| matches!(p, ManifestProblem::NotListed),
    );
    expect(
        rezip(
            &valid,
            |name, data| (name != "kousei_kanri.xml").then(|| (name.to_owned(), data)),
            vec![],
        ),
        "kousei_kanri.xml",
        |p| matches!(p, ManifestProblem::NoManifest),
    );
}

#[test]
fn an_attachment_swapped_after_signing_fails_verification_not_reading() {
    let pki = Pki::new();
    let attachments = attachments();
    let valid = build(&document(
        &pki.cert,
        &pki.trust,
        &attachments,
        ZipVariant::Valid,
    ))
    .unwrap();
    // Swapped, and the unsigned 構成管理情報 rewritten to match, as someone covering their tracks.
    let forged_pdf = b"%PDF-1.4\n% someone else's ID\n".to_vec();
    let mut zip = read(&valid).unwrap();
    let record = zip
        .kousei_kanri
        .files
        .iter_mut()
        .find(|f| f.path == format!("tenpu/{HONNIN_KAKUNIN}"))
        .unwrap();
    *record = zip::FileRecord::of(
        record.path.clone(),
        Shubetsu::Tenpu,
        "application/pdf",
        &forged_pdf,
    );
    let manifest = zip.kousei_kanri.to_xml();
    let swapped = rezip(
        &valid,
        |name, data| match name {
            "kousei_kanri.xml" => Some((name.to_owned(), manifest.clone().into_bytes())),
            n if n.ends_with(HONNIN_KAKUNIN) => Some((name.to_owned(), forged_pdf.clone())),
            _ => Some((name.to_owned(), data)),
        },
        vec![],
    );
    let zip = read(&swapped).unwrap();
    assert!(
        jpki::verify(&zip.shinseisho_xml, &pki.trust, SHINSEI_NICHIJI).is_valid(),
        "the 申請書 itself is intact"
    );
    match zip.verify(&pki.trust, SHINSEI_NICHIJI) {
        VerifyOutcome::Tampered { reason } => assert!(reason.contains(HONNIN_KAKUNIN), "{reason}"),
        other => panic!("expected Tampered, got {other}"),
    }
}

#[test]
fn certificate_choices_show_in_the_result_at_receipt_and_at_download() {
    let pki = Pki::new();
    let read_kensho = |doc: &ShinseiDocument<'_>| read(&build(doc).unwrap()).unwrap();

    // Revoked before 申請日時: the ぴったりサービス recorded 証明書失効 (ING-08).
    let revoked = issue(
        &pki.jpki,
        5_000_002,
        date!(2024 - 04 - 01),
        date!(2029 - 01 - 07),
    );
    let revoked_at = SHINSEI_NICHIJI - Duration::days(3);
    let crl_before = trust_with(&pki.jpki, &[(revoked.serial(), revoked_at)]);
    let zip = read_kensho(&document(&revoked, &crl_before, &[], ZipVariant::Valid));
    assert_eq!(zip.kensho_kekka.kekka, KenshoKekka::Shikkou);
    assert!(
        zip.kensho_kekka.shosai.contains("5000002"),
        "{}",
        zip.kensho_kekka.shosai
    );
    assert_eq!(KenshoKekka::Shikkou.tsuchi(), ("警告", "申請ZIP検証失敗"));

    // Revoked after 申請日時: 検証済み at receipt, 失効 when the 申請管理システム checks at download.
    let revoked_later = SHINSEI_NICHIJI + Duration::days(2);
    let crl_at_receipt = trust_with(&pki.jpki, &[]);
    let zip = read_kensho(&document(&revoked, &crl_at_receipt, &[], ZipVariant::Valid));
    assert_eq!(zip.kensho_kekka.kekka, KenshoKekka::Kenshozumi);
    let crl_at_download = trust_with(&pki.jpki, &[(revoked.serial(), revoked_later)]);
    assert_eq!(
        zip.verify(&crl_at_download, SHINSEI_NICHIJI + Duration::days(3)),
        VerifyOutcome::Revoked {
            serial: revoked.serial(),
            revoked_at: revoked_later
        }
    );

    // Expired before 申請日時.
    let expired = issue(
        &pki.jpki,
        5_000_003,
        date!(2020 - 04 - 01),
        date!(2025 - 01 - 07),
    );
    let zip = read_kensho(&document(&expired, &pki.trust, &[], ZipVariant::Valid));
    assert_eq!(zip.kensho_kekka.kekka, KenshoKekka::KigenGire);

    // 基本4情報 that differ from 住基 (a certificate issued before a move): carried as the
    // certificate states them, never corrected from the form or from 住基.
    let moved = pki
        .jpki
        .issue(&CertRequest {
            kind: CertKind::Signature,
            serial: CertSerial::new(5_000_004).unwrap(),
            not_before: date!(2024 - 04 - 01),
            not_after: date!(2029 - 01 - 07),
            holder: Some(Kihon4 {
                jusho: "大阪府大阪市北区中之島１丁目３番２０号".to_owned(),
                ..kihon4()
            }),
        })
        .unwrap();
    let zip = read_kensho(&document(&moved, &pki.trust, &[], ZipVariant::Valid));
    assert_eq!(zip.kensho_kekka.kekka, KenshoKekka::Kenshozumi);
    assert_eq!(
        zip.kensho_kekka.kihon4.as_ref().unwrap().jusho,
        "大阪府大阪市北区中之島１丁目３番２０号"
    );
    assert_eq!(zip.shinseisho.value("jusho"), Some(JUSHO));

    // A look-alike CA: 発行者不明.
    let forger = pittari_zip_support::issue(
        &jpki::Jpki::generate(666),
        SERIAL,
        date!(2024 - 04 - 01),
        date!(2029 - 01 - 07),
    );
    let zip = read_kensho(&document(&forger, &pki.trust, &[], ZipVariant::Valid));
    assert_eq!(zip.kensho_kekka.kekka, KenshoKekka::HakkoshaFumei);
}

#[test]
fn a_procedure_sent_without_a_signature_says_so() {
    let pki = Pki::new();
    let doc = ShinseiDocument {
        signing: None,
        ..document(&pki.cert, &pki.trust, &[], ZipVariant::Valid)
    };
    let zip = read(&build(&doc).unwrap()).unwrap();
    assert_eq!(zip.kensho_kekka.kekka, KenshoKekka::ShomeiNashi);
    assert_eq!(
        (
            zip.kensho_kekka.shomeisho.as_ref(),
            zip.kensho_kekka.kihon4.as_ref()
        ),
        (None, None)
    );
    assert!(!zip.shinseisho_xml.contains("Signature"));
    assert!(matches!(
        zip.verify(&pki.trust, SHINSEI_NICHIJI),
        VerifyOutcome::Malformed(_)
    ));
    let error = build(&ShinseiDocument {
        variant: ZipVariant::TamperedAfterSigning,
        ..doc
    })
    .unwrap_err();
    assert!(
        matches!(error, ZipBuildError::NothingToTamper(_)),
        "{error}"
    );
}

#[test]
fn bad_attachments_and_times_are_refused_when_building() {
    let pki = Pki::new();
    let build_with = |attachments: &[Attachment]| {
        build(&document(
            &pki.cert,
            &pki.trust,
            attachments,
            ZipVariant::Valid,
        ))
    };
    let pdf = |name: &str| Attachment::new(name, "application/pdf", b"%PDF".to_vec());
    assert!(
        matches!(build_with(&[pdf("../evil.pdf")]).unwrap_err(), ZipBuildError::AttachmentName { name, .. } if name == "../evil.pdf")
    );
    assert!(
        matches!(build_with(&[pdf("a.pdf"), pdf("a.pdf")]).unwrap_err(), ZipBuildError::DuplicateAttachment { name } if name == "a.pdf")
    );
    assert!(matches!(
        build_with(&[Attachment::new("a.pdf", "pdf", vec![])]).unwrap_err(),
        ZipBuildError::MediaType { media_type, .. } if media_type == "pdf"
    ));
    let too_many: Vec<Attachment> = (0..97).map(|i| pdf(&format!("{i}.pdf"))).collect();
    assert!(matches!(
        build_with(&too_many).unwrap_err(),
        ZipBuildError::TooManyAttachments { count: 97, max: 96 }
    ));
    let doc = ShinseiDocument {
        shinsei_nichiji: time::macros::datetime!(1979-12-31 23:59 +9),
        ..document(&pki.cert, &pki.trust, &[], ZipVariant::Valid)
    };
    assert!(matches!(
        build(&doc).unwrap_err(),
        ZipBuildError::NichijiOutOfRange { .. }
    ));
}

#[test]
fn residents_of_the_synthetic_population_survive_with_their_edge_cases() {
    let catalogs = Catalogs::embedded();
    let spec = PopulationSpec {
        dantai: "131016".parse().unwrap(),
        size: 2_000,
        seed: 7,
        as_of: PopulationSpec::DEFAULT_AS_OF,
    };
    let dantai = population::dantai_for(catalogs, &spec.dantai).unwrap();
    // Two residents of each edge case: enough to see every kind, few enough to sign quickly.
    let mut per_kind = std::collections::BTreeMap::<EdgeCase, usize>::new();
    let residents: Vec<_> = population::generate(&spec, dantai)
        .unwrap()
        .into_iter()
        .flat_map(|h| h.members)
        .filter(|r| {
            r.edge_cases.iter().any(|&kind| {
                let count = per_kind.entry(kind).or_default();
                *count += 1;
                *count <= 2
            })
        })
        .collect();
    let pki = Pki::new();
    let procedure = Catalogs::embedded().procedure("hisai-01").unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for (i, resident) in residents.iter().enumerate() {
        seen.extend(resident.edge_cases.iter().copied());
        let cert = pki
            .jpki
            .issue(&CertRequest {
                kind: CertKind::Signature,
                serial: CertSerial::new(6_000_000 + i as u64).unwrap(),
                not_before: date!(2024 - 04 - 01),
                not_after: date!(2029 - 03 - 31),
                holder: Some(Kihon4::of(resident)),
            })
            .unwrap();
        let values: Vec<(String, String)> = procedure
            .fields
            .iter()
            .map(|f| {
                let value = match f.field_type.name() {
                    "kana" => resident.shimei_kana.clone(),
                    "text" => format!("{}／{}", resident.shimei, resident.jusho.zenbun),
                    _ => "1".to_owned(),
                };
                (f.id.clone(), value)
            })
            .collect();
        let doc = ShinseiDocument {
            form: FilledForm::new(procedure, values.clone()).unwrap(),
            ..document(&cert, &pki.trust, &[], ZipVariant::Valid)
        };
        let zip = read(&build(&doc).unwrap()).unwrap();
        for (id, value) in &values {
            assert_eq!(
                zip.shinseisho.value(id),
                Some(value.as_str()),
                "resident {} {id}",
                resident.index
            );
        }
        assert_eq!(zip.kensho_kekka.kihon4, Some(Kihon4::of(resident)));
        assert_eq!(zip.kensho_kekka.kekka, KenshoKekka::Kenshozumi);
    }
    for kind in [
        EdgeCase::OutsideBmp,
        EdgeCase::NotInJisX0208,
        EdgeCase::PuaGaiji,
        EdgeCase::HalfWidthKana,
        EdgeCase::WaveDash,
        EdgeCase::FullwidthTilde,
    ] {
        assert!(
            seen.contains(&kind),
            "the population has no {kind:?} resident"
        );
    }
}

/// A valid 申請ZIP for the property tests, made once.
fn valid_zip() -> &'static [u8] {
    static ZIP: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    ZIP.get_or_init(|| {
        let pki = Pki::new();
        let attachments = attachments();
        build(&document(
            &pki.cert,
            &pki.trust,
            &attachments,
            ZipVariant::Valid,
        ))
        .unwrap()
    })
}

// 256 cases each by default; `PROPTEST_CASES=20000` for a deeper run.
proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        prop_assert!(read(&bytes).is_err());
    }

    #[test]
    fn every_truncation_is_refused_without_panicking(cut in 0usize..1_000_000) {
        let zip = valid_zip();
        let cut = cut % zip.len();
        prop_assert!(read(&zip[..cut]).is_err());
    }

    #[test]
    fn flipped_bytes_never_panic_the_reader(flips in proptest::collection::vec((0usize..1_000_000, 1u8..=255), 1..8)) {
        let mut zip = valid_zip().to_vec();
        for (at, mask) in flips {
            let at = at % zip.len();
            zip[at] ^= mask;
        }
        // Most flips break something the reader checks. One that does not (a time stamp, a
        // letter of the unsigned 手続名) must not change any file the 構成管理情報 protects.
        if let Ok(read_back) = read(&zip) {
            let original = read(valid_zip()).unwrap();
            prop_assert_eq!(read_back.shinseisho_xml, original.shinseisho_xml);
            prop_assert_eq!(read_back.pdf, original.pdf);
            prop_assert_eq!(read_back.kensho_kekka, original.kensho_kekka);
            prop_assert_eq!(read_back.attachments, original.attachments);
        }
    }
}

/// Speed against renkei's budget: 10,000 signed 申請ZIPs in ≤ 10 s on a 2-core machine, the CA
/// and the residents' certificates issued once. Measured on one thread (the budget must hold
/// there) and on two (how a simulator filling a download queue would run). Run with
///
/// ```text
/// cargo test --release -p renkei-simulator --test pittari_zip -- --ignored --nocapture
/// ```
#[test]
#[ignore = "timing: run in release mode"]
fn ten_thousand_signed_zips_fit_the_budget() {
    const N: u64 = 10_000;
    const RESIDENTS: u64 = 100;
    let pki = Pki::new();
    let certs: Vec<_> = (0..RESIDENTS)
        .map(|i| {
            issue(
                &pki.jpki,
                7_000_000 + i,
                date!(2024 - 04 - 01),
                date!(2029 - 01 - 07),
            )
        })
        .collect();
    let attachments = vec![Attachment::new(
        HONNIN_KAKUNIN,
        "application/pdf",
        vec![b'x'; 20_000],
    )];
    let build_range = |range: std::ops::Range<u64>| -> usize {
        range
            .map(|i| {
                let doc = ShinseiDocument {
                    uketsuke_bango: renkei_fixtures::ids::UketsukeBango::from_number(
                        170_401_000_000_000 + i,
                    ),
                    shinsei_nichiji: SHINSEI_NICHIJI + Duration::seconds(i as i64),
                    ..document(
                        &certs[(i % RESIDENTS) as usize],
                        &pki.trust,
                        &attachments,
                        ZipVariant::Valid,
                    )
                };
                build(&doc).unwrap().len()
            })
            .sum()
    };

    let started = std::time::Instant::now();
    let bytes_total = build_range(0..N);
    let one_thread = started.elapsed();
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        let first = scope.spawn(|| build_range(0..N / 2));
        let second = build_range(N / 2..N);
        assert_eq!(first.join().unwrap() + second, bytes_total);
    });
    let two_threads = started.elapsed();

    let one = build(&document(&pki.cert, &pki.trust, &[], ZipVariant::Valid)).unwrap();
    let zip = read(&one).unwrap();
    println!(
        "{N} signed 申請ZIPs (build + sign + 検証 at receipt): one thread {:.2} s, {:.0} µs each; \
         two threads {:.2} s. {} bytes each with a 20,000-byte attachment; without attachments \
         {} bytes (shinseisho.xml {} B, shinseisho.pdf {} B)",
        one_thread.as_secs_f64(),
        one_thread.as_secs_f64() * 1e6 / N as f64,
        two_threads.as_secs_f64(),
        bytes_total / N as usize,
        one.len(),
        zip.shinseisho_xml.len(),
        zip.pdf.len(),
    );
    assert!(
        one_thread.as_secs_f64() <= 10.0,
        "10,000 ZIPs on one thread took {one_thread:?}"
    );
}
