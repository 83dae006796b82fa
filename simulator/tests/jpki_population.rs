//! The synthetic population's マイナンバーカード histories, issued by the synthetic JPKI: every
//! certificate signs a 申請書, and renkei's verification agrees with the status the population
//! files state for it (有効 / 失効 / 期限切れ), with the 基本4情報 read back from the certificate.

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::population::{self, CertStatus, PopulationSpec, Resident};
use renkei_simulator::jpki::{
    self, CertKind, CertRequest, Jpki, JpkiCa, TrustStore, VerifyOutcome,
};
use time::macros::offset;
use time::{Date, Duration, OffsetDateTime, Time};

/// 00:00 JST: a revocation recorded for a day takes effect from its start.
fn start_of_day_jst(day: Date) -> OffsetDateTime {
    day.with_time(Time::MIDNIGHT).assume_offset(offset!(+9))
}

fn residents(size: u64, seed: u64) -> Vec<Resident> {
    let spec = PopulationSpec {
        dantai: "131016".parse().unwrap(),
        size,
        seed,
        as_of: PopulationSpec::DEFAULT_AS_OF,
    };
    let dantai = population::dantai_for(Catalogs::embedded(), &spec.dantai).unwrap();
    population::generate(&spec, dantai)
        .unwrap()
        .into_iter()
        .flat_map(|household| household.members)
        .collect()
}

/// The CA's CRL as of the population's reference day: every certificate it revoked so far.
fn crl_of(ca: &JpkiCa, residents: &[Resident], as_of: OffsetDateTime) -> Vec<u8> {
    let revoked: Vec<_> = residents
        .iter()
        .flat_map(|resident| &resident.certificates)
        .filter(|cert| CertKind::from(cert.kind) == ca.kind())
        .filter_map(|cert| Some((cert.serial, start_of_day_jst(cert.revoked?))))
        .filter(|(_, revoked_at)| *revoked_at <= as_of)
        .collect();
    ca.crl(
        &revoked,
        as_of - Duration::hours(1),
        as_of + Duration::days(1),
    )
    .unwrap()
}

#[test]
fn verification_agrees_with_the_population_certificate_statuses() {
    let residents = residents(300, 5);
    let jpki = Jpki::generate(5);
    // Noon on the reference day, when the population's statuses hold.
    let at = start_of_day_jst(PopulationSpec::DEFAULT_AS_OF) + Duration::hours(12);
    let trust = TrustStore::new([&jpki.signature_ca, &jpki.auth_ca])
        .with_crl(&crl_of(&jpki.signature_ca, &residents, at))
        .unwrap()
        .with_crl(&crl_of(&jpki.auth_ca, &residents, at))
        .unwrap();

    let mut seen = std::collections::BTreeMap::new();
    for resident in &residents {
        for history in &resident.certificates {
            let request = CertRequest::of(resident, history);
            let (kind, holder) = (request.kind, request.holder.clone());
            assert_eq!(holder.is_some(), kind == CertKind::Signature);
            if let Some(holder) = &holder {
                assert_eq!(
                    (&holder.shimei, &holder.jusho, holder.seinengappi),
                    (
                        &resident.shimei,
                        &resident.jusho.zenbun,
                        resident.seinengappi
                    )
                );
                assert_eq!(holder.seibetsu, resident.seibetsu.as_str());
            }
            let cert = jpki.issue(&request).unwrap();
            let shinseisho = format!(
                "<申請書><氏名>{}</氏名><住所>{}</住所></申請書>",
                resident.shimei, resident.jusho.zenbun
            );
            let signed = jpki::sign_enveloped(&shinseisho, &cert).unwrap();
            let status = match jpki::verify(&signed, &trust, at) {
                VerifyOutcome::Valid {
                    serial,
                    kind: verified_kind,
                    holder: verified_holder,
                } => {
                    assert_eq!((serial, verified_kind), (history.serial, kind));
                    assert_eq!(verified_holder, holder, "基本4情報 of {}", resident.shimei);
                    CertStatus::Yuukou
                }
                VerifyOutcome::Revoked { .. } => CertStatus::Shikkou,
                VerifyOutcome::Expired { .. } => CertStatus::KigenGire,
                other => panic!("{} ({kind}): unexpected {other:?}", history.serial),
            };
            assert_eq!(status, history.status, "{} ({kind})", history.serial);
            *seen.entry((kind, status)).or_insert(0) += 1;
        }
    }
    for needed in [
        (CertKind::Signature, CertStatus::Yuukou),
        (CertKind::Authentication, CertStatus::Yuukou),
        (CertKind::Signature, CertStatus::Shikkou),
    ] {
        assert!(
            seen.contains_key(&needed),
            "no {needed:?} in the sample: {seen:?}"
        );
    }
}
