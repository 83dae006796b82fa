//! 仕込んだ不具合 (`--defect ID`)。
//!
//! renkei の試験が不適合を本当に見つけるかを確かめるため、参照ベンダーは要件ごとに一つ、
//! ありそうな誤り方を持っています。`--defect` で一つだけ選ぶと、そのときだけその一点で誤り、
//! ほかはすべて適合するシステムと同じに振る舞います。どの不具合も、コードの中では
//! `seeded.has(DefectKind::…)` の分岐一つとして現れるので、`grep` で何が変わるかを追えます。

use serde::Serialize;

/// 不具合の種類。分岐はこの値で書きます (文字列の ID は表にだけあります)。
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefectKind {
    ProxyBypass,
    FirstPageOnly,
    ShutokuOnResponse,
    RedeliveryDuplicated,
    AttachmentsDropped,
    ValidWarned,
    EcdsaRejected,
    DigestNotChecked,
    AttachmentsNotCompared,
    CrlIgnored,
    ValidityUnchecked,
    StopOnBrokenZip,
    NoRetry,
    Kihon4First,
    AtenaForTougou,
    NoKihon4Fallback,
    FuzzyKihon4,
    ShinsaAnyTransition,
    IkkatsuAllStatuses,
    IkkatsuSilentDrop,
    ShoriJokyoFinalOnly,
    RouteAllToFirst,
    SearchToExclusive,
    NfkcNormalize,
    AssignmentIgnored,
    OutsideHoursAlarm,
    NoRelogin,
    FirstRowLost,
    UnresolvedDropped,
    DeltaRevocationsIgnored,
    RenewalNotLinked,
    LinksSnapshot,
    GaijiIgnored,
    TennyuFugouSkipped,
}

/// 表の一行: `--list-defects` が JSON で出すもの。
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Defect {
    /// `--defect` に渡す ID。
    pub id: &'static str,
    /// この不具合で不適合になるはずの要件 (docs/requirements.md)。
    pub requirement: &'static str,
    /// 何をどう誤るか (日本語)。
    pub description: &'static str,
    #[serde(skip)]
    pub kind: DefectKind,
}

const fn d(
    id: &'static str,
    requirement: &'static str,
    kind: DefectKind,
    description: &'static str,
) -> Defect {
    Defect {
        id,
        requirement,
        description,
        kind,
    }
}

/// 仕込んだ不具合のすべて。ID は変えません (過去の結果と比べるため)。誤り方を変えたときは新しい ID にします
/// (shutoku-before-store は shutoku-on-response になりました)。
pub static DEFECTS: &[Defect] = &[
    d(
        "proxy-bypass",
        "ING-01",
        DefectKind::ProxyBypass,
        "プロキシの設定誤り: ダウンロード API への要求をどれもまず連携サーバを通さずに直接送り、断られる (403 NOT_VIA_RENKEI_SERVER) かつながらなければ連携サーバ経由で送り直す (仕事は最後までできる)",
    ),
    d(
        "first-page-only",
        "ING-02",
        DefectKind::FirstPageOnly,
        "未取得の一覧の1ページ目だけを読む",
    ),
    d(
        "shutoku-on-response",
        "ING-03",
        DefectKind::ShutokuOnResponse,
        "ダウンロードの答えが 200 なら、本文を最後まで受け取る前に (ZIP を確かめ保管する前に) 取得済みにする。途中で切れた申請ZIPや壊れた申請ZIPが取得済みのまま失われる (500 で断られたものは取得済みにしない)",
    ),
    d(
        "redelivery-duplicated",
        "ING-04",
        DefectKind::RedeliveryDuplicated,
        "申請を届いた回ごとに保管するので、2度届いた申請が2件になり通知も2度上がる",
    ),
    d(
        "attachments-dropped",
        "ING-05",
        DefectKind::AttachmentsDropped,
        "shinseisho.xml・PDF・電子署名検証結果は保管するが tenpu/ の添付書類を保管しない",
    ),
    d(
        "valid-warned",
        "ING-06",
        DefectKind::ValidWarned,
        "署名は正しく検証して検証済みと記録するが、通知の対応表の誤りで、検証済みの申請に通常「申請ZIP取得」でなく警告「申請ZIP検証失敗」を上げる",
    ),
    d(
        "ecdsa-rejected",
        "ING-06",
        DefectKind::EcdsaRejected,
        "ダイジェスト・証明書チェーン・有効期間・CRL を確かめたあと、ECDSA の署名値を署名形式不正として拒む (RSA だけに対応しているかのように)",
    ),
    d(
        "digest-not-checked",
        "ING-07a",
        DefectKind::DigestNotChecked,
        "SignedInfo の署名値は確かめるが、文書の参照ダイジェストを計算し直さない",
    ),
    d(
        "attachments-not-compared",
        "ING-07b",
        DefectKind::AttachmentsNotCompared,
        "添付書類を署名された添付書類一覧と照らし合わせない",
    ),
    d(
        "crl-ignored",
        "ING-08a",
        DefectKind::CrlIgnored,
        "CRL を見ない",
    ),
    d(
        "validity-unchecked",
        "ING-08b",
        DefectKind::ValidityUnchecked,
        "証明書の有効期間を確かめない",
    ),
    d(
        "stop-on-broken-zip",
        "ING-09a",
        DefectKind::StopOnBrokenZip,
        "壊れた申請ZIPに当たると、その回の残りの申請を取り込まずにやめる",
    ),
    d(
        "no-retry",
        "ING-09b",
        DefectKind::NoRetry,
        "ダウンロードに失敗した受付番号を覚えておき、二度と取りに行かない",
    ),
    d(
        "kihon4-first",
        "ING-10",
        DefectKind::Kihon4First,
        "シリアル番号の紐付けより先に基本4情報で照合する",
    ),
    d(
        "atena-for-tougou",
        "ING-11",
        DefectKind::AtenaForTougou,
        "団体内統合宛名番号で識別する業務システムにも宛名番号を渡す",
    ),
    d(
        "no-kihon4-fallback",
        "ING-12",
        DefectKind::NoKihon4Fallback,
        "紐付けにないシリアル番号の申請者を、基本4情報を試さずに未特定にする",
    ),
    d(
        "fuzzy-kihon4",
        "ING-13",
        DefectKind::FuzzyKihon4,
        "シリアル番号で特定できないとき、氏名 (空白を除き全角半角をそろえる) と生年月日だけで照合し、住所と性別を見ない",
    ),
    d(
        "shinsa-any-transition",
        "ING-14",
        DefectKind::ShinsaAnyTransition,
        "どの審査ステータスの変更も受け付ける (未審査→審査完了、却下からの戻し)",
    ),
    d(
        "ikkatsu-all-statuses",
        "ING-15",
        DefectKind::IkkatsuAllStatuses,
        "振り分けた申請を審査ステータスにかかわらず一括取込に出す",
    ),
    d(
        "ikkatsu-silent-drop",
        "ING-16",
        DefectKind::IkkatsuSilentDrop,
        "整合性チェックで通らない申請をエラーリストに出さず、どちらのリストからも黙って外す",
    ),
    d(
        "shori-jokyo-final-only",
        "ING-17",
        DefectKind::ShoriJokyoFinalOnly,
        "処理状況は最後の審査完了・却下だけを報告し、受付済みと審査中を報告しない",
    ),
    d(
        "route-all-to-first",
        "ING-18",
        DefectKind::RouteAllToFirst,
        "すべての申請を設定の最初の業務システムに振り分ける",
    ),
    d(
        "search-to-exclusive",
        "ING-19",
        DefectKind::SearchToExclusive,
        "検索の to の日付をその日を含まないものとして扱う",
    ),
    d(
        "nfkc-normalize",
        "ING-20",
        DefectKind::NfkcNormalize,
        "保管する文字に Unicode の NFKC 正規化をかける (半角カナが全角に、～ が ~ になる)",
    ),
    d(
        "assignment-ignored",
        "ING-21",
        DefectKind::AssignmentIgnored,
        "職員への手続の割り当てを無視する (一覧でも審査でも)",
    ),
    d(
        "outside-hours-alarm",
        "ING-22",
        DefectKind::OutsideHoursAlarm,
        "サービス提供時間外で断られたときにエラー「障害発生」を上げる",
    ),
    d(
        "no-relogin",
        "ING-23",
        DefectKind::NoRelogin,
        "トークンをずっと使い回し、TOKEN_EXPIRED ならその回をあきらめる",
    ),
    d(
        "first-row-lost",
        "JUK-01",
        DefectKind::FirstRowLost,
        "証明書情報の CSV ファイルの見出しを1行多く読み飛ばし、最初の組を失う",
    ),
    d(
        "unresolved-dropped",
        "JUK-02",
        DefectKind::UnresolvedDropped,
        "住基マスタにない住民票コードの組を黙って捨てる (unresolved に入れない)",
    ),
    d(
        "delta-revocations-ignored",
        "JUK-03",
        DefectKind::DeltaRevocationsIgnored,
        "差分の新規・有効の行だけを当て、失効したシリアル番号を紐付けから外さない",
    ),
    d(
        "renewal-not-linked",
        "JUK-04",
        DefectKind::RenewalNotLinked,
        "差分で、更新 (同じ住民票コードの別の証明書が同じ更新日時に失効し、失効日が新しい証明書の発行日と同じ) による新しいシリアル番号を無視する (更新でない新規発行は紐付ける)",
    ),
    d(
        "links-snapshot",
        "JUK-05",
        DefectKind::LinksSnapshot,
        "申請管理システムの側が reset のあと最初の juki_renkei の終わりに紐付けの写しを取り、それからずっとその写しで申請者を特定する (既存住基システムの紐付けは更新される)",
    ),
    d(
        "gaiji-ignored",
        "JUK-06",
        DefectKind::GaijiIgnored,
        "固定長形式で外字例外ファイルを無視し、〓 のまま持つ",
    ),
    d(
        "tennyu-fugou-skipped",
        "JUK-07",
        DefectKind::TennyuFugouSkipped,
        "符号取得の対象を reset で読んだ住民記録の住民に限り、jumin_toroku で加えた住民 (転入者) には符号取得要求を一度も出さない (未要求のまま。ほかの住民の符号取得と状況の確認は正しく行う)",
    ),
];

/// いま有効な不具合 (なし、または一つ)。`Copy` なので、どのモジュールにも値で渡せます。
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seeded(Option<DefectKind>);

impl Seeded {
    /// 不具合なし: 適合するシステム。
    pub const NONE: Seeded = Seeded(None);

    /// ID から選ぶ。知らない ID なら `None`。
    pub fn from_id(id: &str) -> Option<Seeded> {
        DEFECTS
            .iter()
            .find(|d| d.id == id)
            .map(|d| Seeded(Some(d.kind)))
    }

    /// この不具合が有効か。
    pub fn has(self, kind: DefectKind) -> bool {
        self.0 == Some(kind)
    }

    /// 有効な不具合の ID (ログのため)。
    pub fn id(self) -> Option<&'static str> {
        let kind = self.0?;
        DEFECTS.iter().find(|d| d.kind == kind).map(|d| d.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_and_kinds_are_unique_and_requirement_ids_well_formed() {
        let ids: HashSet<_> = DEFECTS.iter().map(|d| d.id).collect();
        assert_eq!(ids.len(), DEFECTS.len());
        let kinds: HashSet<_> = DEFECTS.iter().map(|d| format!("{:?}", d.kind)).collect();
        assert_eq!(kinds.len(), DEFECTS.len());
        for d in DEFECTS {
            let (area, num) = d.requirement.split_once('-').expect("ID の形");
            assert!(["ING", "JUK"].contains(&area), "{}", d.requirement);
            assert!(
                num.len() >= 2 && num[..2].chars().all(|c| c.is_ascii_digit()),
                "{}",
                d.requirement
            );
            assert_eq!(Seeded::from_id(d.id).and_then(Seeded::id), Some(d.id));
        }
        assert!(Seeded::from_id("no-such").is_none());
    }
}
