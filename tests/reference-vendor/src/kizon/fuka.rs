//! 照会の量と時間帯 (docs/kizon-gyomu.md「照会の量と時間帯」、seed 004 §2.11)。
//!
//! 1. **どの 15 分にも 1,000 件まで** (SKI-05): 自分が登録した照会を中間サーバーにかける負荷の時刻で数えます
//!    (単件は登録の時刻に 1 件、一括のファイルの k 番目 (0 から) の明細は登録の時刻 + k × 0.9 秒)。どの
//!    `[t, t + 15 分)` にも 1,000 件を超えないように出します ([`Fuka`])。
//! 2. **過負荷のあとは 60 分待つ** (SKI-11): SK40 で断られた (明細がエラーになった) 時刻から 60 分は、照会を
//!    登録しません ([`kafuka_made`]、[`set_kafuka`])。
//! 3. **大量の一括照会は窓口業務のあと** (SKI-12): 明細 1,000 件を超えるファイルは、窓口の開く日 (平日) は
//!    窓口の終わりから、その日のサービス提供時間の終わりまでに 1 件 1.2 秒の計画で終わるときだけ出します
//!    ([`tairyou`])。
//!
//! 記録は `meta` に置きます: 負荷の記録は 1 行 1 登録 (`Unix ミリ秒,件数,t|i`)、過負荷の待ちは RFC 3339 の時刻。

use super::jikan;
use crate::config::Madoguchi;
use crate::error::Result;
use crate::store::Store;
use time::{Duration, OffsetDateTime, Time};

/// 数える窓の長さ (15 分) と、その中の上限 (seed 004 §2.11 a)。
pub const MADO_MS: i64 = 15 * 60 * 1_000;
pub const MADO_MAX: usize = 1_000;
/// 中間サーバーが一括照会の明細 1 件にかける時間 (docs/chukan-shoukai.md「一括照会の処理と単件の優先」)。
pub const MEISAI_MS: i64 = 900;
/// 大量の一括照会の計画に使う 1 件の時間 (1,000 件につき 20 分、seed 004 §2.11 の目安の遅い方)。
pub const KEIKAKU_MS: i64 = 1_200;
/// これより多い明細の一括照会のファイルが「大量」(SKI-12)。
pub const TAIRYOU: usize = 1_000;
/// 過負荷のあと照会を待つ時間 (中間サーバーが数える 1 時間)。
pub const KAFUKA_MATSU: Duration = Duration::minutes(60);

const META_LOG: &str = "kizon_touroku_fuka";
const META_KAFUKA: &str = "kizon_kafuka_made";

/// 登録 1 回の負荷。
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Touroku {
    /// 登録の時刻 (Unix ミリ秒)。
    at: i64,
    /// 照会の件数 (一括ならファイルの明細の数)。
    n: u32,
    /// 一括か (明細を 0.9 秒ずつ広げて数える)。
    ikkatsu: bool,
}

impl Touroku {
    fn last(&self) -> i64 {
        if self.ikkatsu {
            self.at + MEISAI_MS * i64::from(self.n.saturating_sub(1))
        } else {
            self.at
        }
    }

    fn points(&self, out: &mut Vec<i64>) {
        for k in 0..i64::from(self.n) {
            out.push(if self.ikkatsu {
                self.at + k * MEISAI_MS
            } else {
                self.at
            });
        }
    }
}

fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// 自分が登録した照会の負荷 (SKI-05)。
#[derive(Clone, Debug, Default)]
pub struct Fuka {
    log: Vec<Touroku>,
}

impl Fuka {
    /// 保管した記録を読みます。読めない行は飛ばします。`now` より 15 分以上前に終わった負荷は、もうどの窓にも
    /// 今の照会と一緒には入らないので捨てます。
    pub fn load(store: &Store, now: OffsetDateTime) -> Result<Fuka> {
        let text = store.meta(META_LOG)?.unwrap_or_default();
        let mut log: Vec<Touroku> = text
            .lines()
            .filter_map(|line| {
                let mut f = line.split(',');
                let at = f.next()?.parse().ok()?;
                let n = f.next()?.parse().ok()?;
                let ikkatsu = f.next()? == "i";
                Some(Touroku { at, n, ikkatsu })
            })
            .collect();
        let since = ms(now) - MADO_MS;
        log.retain(|t| t.last() > since);
        Ok(Fuka { log })
    }

    pub fn save(&self, store: &Store) -> Result<()> {
        let text: Vec<String> = self
            .log
            .iter()
            .map(|t| format!("{},{},{}", t.at, t.n, if t.ikkatsu { "i" } else { "t" }))
            .collect();
        store.set_meta(META_LOG, &text.join("\n"))
    }

    /// 登録を記録します (同じ時刻の単件はまとめます)。
    pub fn record(&mut self, at: OffsetDateTime, n: usize, ikkatsu: bool) {
        let at = ms(at);
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if !ikkatsu
            && let Some(last) = self.log.last_mut()
            && !last.ikkatsu
            && last.at == at
        {
            last.n = last.n.saturating_add(n);
            return;
        }
        self.log.push(Touroku { at, n, ikkatsu });
    }

    /// `now` に新しく登録 `new` を足しても、どの 15 分にも 1,000 件を超えないか。
    fn fits(&self, new: Touroku) -> bool {
        let mut points = Vec::new();
        for t in &self.log {
            t.points(&mut points);
        }
        let mut added = Vec::new();
        new.points(&mut added);
        let (Some(&first), Some(&last)) = (added.first(), added.last()) else {
            return true;
        };
        points.extend(added);
        points.sort_unstable();
        // 新しい照会を含む窓の始まり t は (first − 15 分, last]。窓の数が増えるのは、点が窓に入る
        // t = p − 15 分 + 1 ミリ秒と、範囲の始まりだけです。
        let lo = first - MADO_MS + 1;
        let starts = std::iter::once(lo).chain(
            points
                .iter()
                .map(|p| p - MADO_MS + 1)
                .filter(|t| *t >= lo && *t <= last),
        );
        starts
            .map(|t| {
                let from = points.partition_point(|p| *p < t);
                let to = points.partition_point(|p| *p < t + MADO_MS);
                to - from
            })
            .all(|count| count <= MADO_MAX)
    }

    /// `now` にあと何件の単件を出せるか。
    pub fn tanken_room(&self, now: OffsetDateTime) -> usize {
        let at = ms(now);
        let fits = |k: usize| {
            self.fits(Touroku {
                at,
                n: k as u32,
                ikkatsu: false,
            })
        };
        // 件数が増えるほど窓の数も増えるので、二分探索で出せる最大を探します。
        let (mut ok, mut ng) = (0usize, MADO_MAX + 1);
        while ng - ok > 1 {
            let mid = (ok + ng) / 2;
            if fits(mid) { ok = mid } else { ng = mid }
        }
        ok
    }

    /// `now` に明細 `n` 件の一括照会のファイルを出せるか。
    pub fn ikkatsu_fits(&self, now: OffsetDateTime, n: usize) -> bool {
        self.fits(Touroku {
            at: ms(now),
            n: u32::try_from(n).unwrap_or(u32::MAX),
            ikkatsu: true,
        })
    }
}

/// 過負荷のあと、照会を出せるようになる時刻 (まだ待つなら)。
pub fn kafuka_made(store: &Store, now: OffsetDateTime) -> Result<Option<OffsetDateTime>> {
    Ok(store
        .meta(META_KAFUKA)?
        .and_then(|t| crate::jst::parse(&t).ok())
        .filter(|made| *made > now))
}

/// 過負荷 (SK40) を `now` に受けた: 60 分は照会を出しません。
pub fn set_kafuka(store: &Store, now: OffsetDateTime) -> Result<OffsetDateTime> {
    let made = now + KAFUKA_MATSU;
    let later = kafuka_made(store, now)?.map_or(made, |m| m.max(made));
    store.set_meta(META_KAFUKA, &crate::jst::format(later))?;
    Ok(later)
}

/// 明細 `n` 件の一括照会のファイルを `now` に出せるか (SKI-12)。大量 (1,000 件を超える) でなければいつでも
/// 出せます。出せないならその理由。
pub fn tairyou(
    now: OffsetDateTime,
    n: usize,
    madoguchi: Option<&Madoguchi>,
) -> std::result::Result<(), String> {
    if n <= TAIRYOU {
        return Ok(());
    }
    let t = now.to_offset(crate::jst::JST);
    let heijitsu = jikan::is_heijitsu(t.date());
    if heijitsu && let Some(m) = madoguchi {
        // 設定は読むときに確かめてあります。読めなければ窓口は一日開いているとみなします (出さない方へ)。
        let end = m.jikan().map(|(_, end)| end).unwrap_or(Time::MAX);
        if t.time() < end {
            return Err(format!(
                "明細 {n} 件の大量の一括照会は、窓口業務の終わり ({}) のあとに登録します",
                m.end
            ));
        }
    }
    let owari = if heijitsu {
        time::macros::time!(21:00)
    } else {
        time::macros::time!(17:00)
    };
    let keikaku = t + Duration::milliseconds(KEIKAKU_MS * n as i64);
    if keikaku.date() != t.date() || keikaku.time() > owari {
        return Err(format!(
            "明細 {n} 件の大量の一括照会は、1,000 件につき 20 分の計画で {} までかかり、サービス提供時間の終わり ({:02}:{:02}) に間に合わないので、次の日に回します",
            crate::jst::format(keikaku),
            owari.hour(),
            owari.minute()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn at(t: time::PrimitiveDateTime) -> OffsetDateTime {
        t.assume_offset(crate::jst::JST)
    }

    #[test]
    fn a_thousand_single_requests_per_fifteen_minutes() {
        let mut f = Fuka::default();
        let nine = at(datetime!(2026-04-06 09:00));
        assert_eq!(f.tanken_room(nine), 1_000);
        f.record(nine, 1_000, false);
        assert_eq!(f.tanken_room(nine), 0);
        assert_eq!(f.tanken_room(nine + Duration::minutes(14)), 0);
        // 9:15 の照会は 9:00 の照会と同じ [t, t + 15 分) に入らない
        assert_eq!(f.tanken_room(nine + Duration::minutes(15)), 1_000);
        f.record(nine + Duration::minutes(15), 200, false);
        assert_eq!(f.tanken_room(nine + Duration::minutes(15)), 800);
    }

    #[test]
    fn a_bulk_file_spreads_over_its_processing_time() {
        let mut f = Fuka::default();
        let t = at(datetime!(2026-04-06 17:30));
        // 3,000 件のファイルは 0.9 秒ずつで、どの 15 分も 1,000 件
        assert!(f.ikkatsu_fits(t, 3_000));
        f.record(t, 3_000, true);
        // 処理中に単件を出すと、その 15 分が 1,000 件を超える
        assert_eq!(f.tanken_room(t + Duration::minutes(10)), 0);
        // 明細をすべて処理し終えたあと (45 分) なら次のファイルも出せる
        assert!(f.ikkatsu_fits(t + Duration::minutes(45), 3_000));
        assert!(!f.ikkatsu_fits(t + Duration::minutes(30), 10));
    }

    #[test]
    fn the_log_survives_saving_and_forgets_what_is_past() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let nine = at(datetime!(2026-04-06 09:00));
        let mut f = Fuka::load(&store, nine).unwrap();
        f.record(nine, 600, false);
        f.record(nine, 400, false);
        f.save(&store).unwrap();
        assert_eq!(Fuka::load(&store, nine).unwrap().tanken_room(nine), 0);
        let later = nine + Duration::minutes(15);
        assert!(Fuka::load(&store, later).unwrap().log.is_empty());
    }

    #[test]
    fn after_an_overload_wait_sixty_minutes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let nine = at(datetime!(2026-04-06 09:00));
        assert_eq!(kafuka_made(&store, nine).unwrap(), None);
        let made = set_kafuka(&store, nine).unwrap();
        assert_eq!(made, nine + Duration::minutes(60));
        assert_eq!(
            kafuka_made(&store, nine + Duration::minutes(59)).unwrap(),
            Some(made)
        );
        // 60 分ちょうどからは出せる (中間サーバーはちょうど 60 分前の登録を数えない)
        assert_eq!(kafuka_made(&store, made).unwrap(), None);
    }

    #[test]
    fn a_large_bulk_file_waits_for_the_counter_to_close() {
        let m = Madoguchi {
            start: "08:30".into(),
            end: "17:15".into(),
        };
        // 月曜 (平日)
        let monday =
            |h: i64, mi: i64| at(datetime!(2026-04-06 00:00)) + Duration::minutes(h * 60 + mi);
        assert!(
            tairyou(monday(9, 0), 1_000, Some(&m)).is_ok(),
            "1,000 件は大量ではない"
        );
        assert!(tairyou(monday(9, 0), 1_001, Some(&m)).is_err());
        assert!(
            tairyou(monday(8, 0), 2_000, Some(&m)).is_err(),
            "窓口の前の朝も"
        );
        assert!(tairyou(monday(17, 14), 2_000, Some(&m)).is_err());
        assert!(tairyou(monday(17, 15), 2_000, Some(&m)).is_ok());
        // 3,000 件は 60 分の計画: 20:00 なら 21:00 ちょうどに終わる、20:01 は間に合わない
        assert!(tairyou(monday(20, 0), 3_000, Some(&m)).is_ok());
        assert!(tairyou(monday(20, 1), 3_000, Some(&m)).is_err());
        // 窓口がなければ平日の朝でも
        assert!(tairyou(monday(9, 0), 2_000, None).is_ok());
        // 土曜は窓口が開かず、17:00 までに終わるなら
        let saturday = at(datetime!(2026-04-11 09:00));
        assert!(tairyou(saturday, 3_000, Some(&m)).is_ok());
        assert!(tairyou(saturday + Duration::hours(7), 2_000, Some(&m)).is_ok());
        assert!(tairyou(saturday + Duration::minutes(450), 2_000, Some(&m)).is_err());
    }
}
