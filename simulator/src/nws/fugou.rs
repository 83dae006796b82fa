//! 機関別符号 issuance: the 情報提供ネットワークシステム's end of 符号取得 (seed 004 §6.3).
//!
//! The 住基ネット relays a 団体's request as a 住民票コード and the 団体's 機関コード
//! ([`JukinetCs::relay_fugou_request`](crate::jukinet::service::JukinetCs::relay_fugou_request));
//! [`FugouIssuance`] answers with the person's 符号 for that 機関 and remembers it, so that
//! 情報照会 can later find whose 符号 it was and convert it to another 機関's.
//!
//! The real 符号 form is not public. renkei's is its own (`docs/chukan-fugou.md`):
//! [`FUGOU_PREFIX`] followed by the first 15 bytes of
//! SHA-256(domain tag ‖ seed length ‖ seed ‖ 住民票コード ‖ 機関コード) in upper-case hex,
//! [`FUGOU_LEN`] characters in all. Hence:
//!
//! - the same seed, person and 機関 always give the same 符号 (scenarios can name it);
//! - another 機関 gets an unrelated 符号 for the same person;
//! - the 符号 starts with letters, so it is never a 個人番号 nor a 住民票コード (both all digits),
//!   and without the seed it cannot be traced back to either.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use renkei_fixtures::ids::{JuminhyoCode, KikanCode};
use sha2::{Digest, Sha256};

use crate::jukinet::service::{Fugou, FugouIssueError, FugouIssuer};

/// The letters every renkei 符号 starts with.
pub const FUGOU_PREFIX: &str = "FG";

/// Bytes of the digest kept: 120 bits, so that two people meeting on one 符号 is not a
/// practical concern (and is refused, not hidden, if it ever happens).
const DIGEST_BYTES: usize = 15;

/// Length of every renkei 符号: the prefix and two hex digits per kept digest byte.
pub const FUGOU_LEN: usize = FUGOU_PREFIX.len() + 2 * DIGEST_BYTES;

/// Separates renkei's 符号 hash from any other use of SHA-256 with the same seed.
const DOMAIN_TAG: &[u8] = b"renkei/nws/kikanbetsu-fugou/v1\0";

/// The simulated 情報提供ネットワークシステム's 符号 issuance, with the register of every 符号 it
/// has issued.
///
/// ```
/// use renkei_fixtures::ids::{JuminhyoCode, KikanCode};
/// use renkei_simulator::jukinet::service::FugouIssuer;
/// use renkei_simulator::nws::{FUGOU_LEN, FugouIssuance};
///
/// let nws = FugouIssuance::new(b"scenario seed");
/// let person = JuminhyoCode::from_number(12_345_678_901);
/// let kikan = KikanCode::from_number(1_310_100_000_000_000);
/// let fugou = nws.issue(person, kikan).unwrap();
/// assert_eq!(fugou.as_str().len(), FUGOU_LEN);
/// assert_eq!(nws.person_of(&fugou), Some(person));
/// assert_eq!(nws.fugou_for(person, kikan), Some(fugou));
/// ```
#[derive(Debug)]
pub struct FugouIssuance {
    /// The secret that makes renkei's 符号 unguessable from the 住民票コード alone. A `Vec`:
    /// any length, chosen by the scenario.
    seed: Vec<u8>,
    /// A std `Mutex`: held only to look up or insert one entry, never while hashing or across
    /// an await.
    issued: Mutex<Issued>,
}

/// What has been issued, indexed both ways.
#[derive(Debug, Default)]
struct Issued {
    /// 符号 → whose, for which 機関: the lookup 符号 conversion needs. A `BTreeMap` so that a
    /// listing comes out in one order on every run.
    by_fugou: BTreeMap<Fugou, (JuminhyoCode, KikanCode)>,
    /// (person, 機関) → 符号: what a 機関 has been given. A `HashMap`: only point lookups.
    by_person: HashMap<(JuminhyoCode, KikanCode), Fugou>,
}

impl FugouIssuance {
    /// An issuance whose 符号 are derived from `seed`. Two issuances with the same seed issue
    /// the same 符号.
    pub fn new(seed: impl AsRef<[u8]>) -> Self {
        Self {
            seed: seed.as_ref().to_vec(),
            issued: Mutex::new(Issued::default()),
        }
    }

    /// The 符号 of `juminhyo_code` for `kikan`, computed without registering it.
    pub fn derive(&self, juminhyo_code: JuminhyoCode, kikan: KikanCode) -> Fugou {
        let mut hasher = Sha256::new();
        hasher.update(DOMAIN_TAG);
        hasher.update((self.seed.len() as u64).to_be_bytes());
        hasher.update(&self.seed);
        // Both codes are fixed-width digit texts, so their concatenation is unambiguous.
        hasher.update(juminhyo_code.as_str().as_bytes());
        hasher.update(kikan.as_str().as_bytes());
        let digest: [u8; 32] = hasher.finalize().into();
        let mut text = String::with_capacity(FUGOU_LEN);
        text.push_str(FUGOU_PREFIX);
        for byte in &digest[..DIGEST_BYTES] {
            text.push(hex_digit(byte >> 4));
            text.push(hex_digit(byte & 0x0f));
        }
        Fugou::new(text).expect("a prefixed hex text of FUGOU_LEN characters is a valid 符号")
    }

    /// Whose 符号 this is, if this issuance issued it.
    pub fn person_of(&self, fugou: &Fugou) -> Option<JuminhyoCode> {
        self.lock().by_fugou.get(fugou).map(|&(person, _)| person)
    }

    /// The 機関 this 符号 was issued to, if this issuance issued it.
    pub fn kikan_of(&self, fugou: &Fugou) -> Option<KikanCode> {
        self.lock().by_fugou.get(fugou).map(|&(_, kikan)| kikan)
    }

    /// The 符号 issued to `kikan` for `juminhyo_code`, if one has been issued.
    pub fn fugou_for(&self, juminhyo_code: JuminhyoCode, kikan: KikanCode) -> Option<Fugou> {
        self.lock().by_person.get(&(juminhyo_code, kikan)).cloned()
    }

    /// How many 符号 have been issued.
    pub fn issued_count(&self) -> usize {
        self.lock().by_fugou.len()
    }

    fn lock(&self) -> MutexGuard<'_, Issued> {
        // Each insertion writes both maps before the guard drops; a panic elsewhere cannot leave
        // one without the other.
        self.issued
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl FugouIssuer for FugouIssuance {
    fn issue(
        &self,
        juminhyo_code: JuminhyoCode,
        kikan: KikanCode,
    ) -> Result<Fugou, FugouIssueError> {
        let fugou = self.derive(juminhyo_code, kikan);
        let mut issued = self.lock();
        match issued.by_fugou.get(&fugou) {
            Some(&owner) if owner != (juminhyo_code, kikan) => {
                // 120 bits make this astronomically unlikely; if it happens, say so rather than
                // hand one 符号 to two people.
                Err(FugouIssueError::Unavailable {
                    reason: format!(
                        "符号{fugou}は既に別の住民または機関に発行されています (符号の衝突)"
                    ),
                })
            }
            Some(_) => Ok(fugou),
            None => {
                issued
                    .by_fugou
                    .insert(fugou.clone(), (juminhyo_code, kikan));
                issued
                    .by_person
                    .insert((juminhyo_code, kikan), fugou.clone());
                Ok(fugou)
            }
        }
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16)
        .expect("a nibble is below 16")
        .to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> JuminhyoCode {
        JuminhyoCode::from_number(12_345_678_901)
    }

    fn kikan(n: u64) -> KikanCode {
        KikanCode::from_number(1_310_100_000_000_000 + n)
    }

    #[test]
    fn the_form_is_the_prefix_and_upper_case_hex() {
        let fugou = FugouIssuance::new(b"seed").derive(person(), kikan(0));
        let text = fugou.as_str();
        assert_eq!(text.len(), FUGOU_LEN);
        assert!(text.starts_with(FUGOU_PREFIX));
        assert!(
            text[FUGOU_PREFIX.len()..]
                .chars()
                .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)),
            "{text}"
        );
    }

    #[test]
    fn the_seed_changes_every_fugou() {
        let (a, b) = (FugouIssuance::new(b"seed a"), FugouIssuance::new(b"seed b"));
        assert_ne!(a.derive(person(), kikan(0)), b.derive(person(), kikan(0)));
        assert_eq!(
            a.derive(person(), kikan(0)),
            FugouIssuance::new(b"seed a").derive(person(), kikan(0))
        );
    }

    #[test]
    fn issuing_registers_both_ways_and_deriving_does_not() {
        let nws = FugouIssuance::new(b"seed");
        let derived = nws.derive(person(), kikan(1));
        assert_eq!(nws.person_of(&derived), None);
        assert_eq!(nws.issued_count(), 0);
        let fugou = nws.issue(person(), kikan(1)).unwrap();
        assert_eq!(fugou, derived);
        assert_eq!(nws.person_of(&fugou), Some(person()));
        assert_eq!(nws.kikan_of(&fugou), Some(kikan(1)));
        assert_eq!(nws.fugou_for(person(), kikan(1)), Some(fugou.clone()));
        assert_eq!(nws.fugou_for(person(), kikan(2)), None);
        // Issuing again gives the same 符号 and registers nothing new.
        assert_eq!(nws.issue(person(), kikan(1)).unwrap(), fugou);
        assert_eq!(nws.issued_count(), 1);
    }
}
