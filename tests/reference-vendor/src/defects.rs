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
    FugouPendingNotRechecked,
    FukuhonOldVersion,
    FukuhonCountSent,
    FukuhonCapRecordsIgnored,
    FukuhonCapBytesIgnored,
    FukuhonCarryoverResent,
    FukuhonErrorNotResent,
    FukuhonDeletionIgnored,
    FukuhonNoTotsugou,
    JidouOutouFukaIgnored,
    JogaiMasterMissing,
    MajorNewVersionLate,
    OldVersionDeletedEarly,
    AddedDatasetPastIncluded,
    AbolishedDeletedAtStart,
    MinorAllYears,
    ShoukaiWithoutFugou,
    ShoukaiWithoutLegalCheck,
    ShoukaiResultNotFetched,
    ShoukaiInStopWindow,
    GaitouNashiAsError,
    ToriyameKeepsPolling,
    TeikyouWeekOnly,
    TeikyouCurrentEditionOnly,
    JizenTsuuchiIgnored,
    KirokuGaitouNashiDropped,
    KikanTestZeimuOnly,
    KikanTestSentIsSuccess,
    MsgModeFixedTest,
    IkkatsuNoSplit,
    ShoukaiWeekdayHoursEveryDay,
    KirokuJiyuuIgnored,
    KirokuFukaijiIgnored,
    TlsCertCached,
    ToiawaseUnmasked,
    SetsuzokuNotChecked,
    OldAddressKept,
    TeijiBurst,
    OverloadDropped,
    IkkatsuMadoguchi,
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
    d(
        "fugou-pending-not-rechecked",
        "KIK-01b",
        DefectKind::FugouPendingNotRechecked,
        "符号取得中の住民の状況を確かめ直さない (IF_FGU_10112_R01 を送らない) ので、払出しに日数のかかるテスト環境では符号取得中のまま",
    ),
    // ---- 既存業務システム (docs/kizon-gyomu.md) ----
    d(
        "fukuhon-old-version",
        "FUK-01",
        DefectKind::FukuhonOldVersion,
        "副本のメジャーバージョンに、その日に有効な版でなく layouts のいちばん古い版のものを書く (項目は有効な版のまま。版でメジャーバージョンの変わらないデータセットでは正しい)",
    ),
    d(
        "fukuhon-count-sent",
        "FUK-02",
        DefectKind::FukuhonCountSent,
        "/fukuhon の touroku_kensuu (と突合の jisha_kensuu) に、送ったレコードを処理結果がエラーだったものまで数える (ほかは正しい)",
    ),
    d(
        "fukuhon-cap-records-ignored",
        "FUK-03",
        DefectKind::FukuhonCapRecordsIgnored,
        "daily_caps.records (1日の登録・削除件数の上限) を見ずに送る (バイト数の上限は守る)",
    ),
    d(
        "fukuhon-cap-bytes-ignored",
        "FUK-04",
        DefectKind::FukuhonCapBytesIgnored,
        "daily_caps.bytes (1日のアップロードサイズの上限) を見ずに送る (件数の上限は守る)",
    ),
    d(
        "fukuhon-carryover-resent",
        "FUK-05",
        DefectKind::FukuhonCarryoverResent,
        "処理中(翌日繰越) のファイルを処理が終わったものとみなし、結果の取れないレコードを失われたとして送り直す",
    ),
    d(
        "fukuhon-error-not-resent",
        "FUK-11",
        DefectKind::FukuhonErrorNotResent,
        "処理結果がエラーになったレコードを、正本が直されても二度と送らない",
    ),
    d(
        "fukuhon-deletion-ignored",
        "FUK-12",
        DefectKind::FukuhonDeletionIgnored,
        "正本からなくなったレコードの削除を送らない (登録・更新は正しく送る)",
    ),
    d(
        "fukuhon-no-totsugou",
        "FUK-13",
        DefectKind::FukuhonNoTotsugou,
        "突合用ファイル fukuhon-kanri.csv を取らないので、/fukuhon の totsugou がずっと null",
    ),
    d(
        "jidou-outou-fuka-ignored",
        "FUK-14",
        DefectKind::JidouOutouFukaIgnored,
        "正本の jidou_outou_fuka を中間サーバーに設定しない (IF_TKY_10814_R01 を呼ばない)",
    ),
    d(
        "jogai-master-missing",
        "FUK-15",
        DefectKind::JogaiMasterMissing,
        "提供除外項目マスタを登録しない (IF_DBM_20115_R01 を呼ばない): レイアウトの提供除外項目が相手に提供される",
    ),
    d(
        "major-new-version-late",
        "FUK-06",
        DefectKind::MajorNewVersionLate,
        "メジャー改版の新しい版の副本を、連携開始日の前には登録せず、連携開始日 (新しい版が有効になった日) から登録する (旧版の副本の削除の時期は正しい)",
    ),
    d(
        "old-version-deleted-early",
        "FUK-07",
        DefectKind::OldVersionDeletedEarly,
        "メジャー改版で、新しい版の副本が登録されたら、連携開始日を待たずに旧版の副本を削除する (新しい版の副本は正しく連携開始日の前に登録する)",
    ),
    d(
        "added-dataset-past-included",
        "FUK-08",
        DefectKind::AddedDatasetPastIncluded,
        "新しい版で追加されたデータセットに、本人ごとの最新の1件だけでなく、正本のすべてのレコード (過去分を含む) を登録する",
    ),
    d(
        "abolished-deleted-at-start",
        "FUK-09",
        DefectKind::AbolishedDeletedAtStart,
        "廃止されたデータセットの副本を、連携開始日から30日 (提供の求めの有効期間) を待たずに連携開始日に削除する",
    ),
    d(
        "minor-all-years",
        "FUK-10",
        DefectKind::MinorAllYears,
        "マイナー改版の連携開始日に、当年分だけでなくすべての年のレコードを新しい版で登録し直す (更新)",
    ),
    d(
        "shoukai-without-fugou",
        "SKI-01",
        DefectKind::ShoukaiWithoutFugou,
        "照会の前に本人の符号を確かめ・取得せずに送り、断られた (SK22) ことをエラーとして記録する",
    ),
    d(
        "shoukai-without-legal-check",
        "SKI-02",
        DefectKind::ShoukaiWithoutLegalCheck,
        "照会の前に法令根拠を確かめずに中間サーバーに送る (断られたらエラーとして記録する)",
    ),
    d(
        "shoukai-result-not-fetched",
        "SKI-03",
        DefectKind::ShoukaiResultNotFetched,
        "照会の結果 (IF_SKI_10713_R01) を取らないので、/shoukai の kekka がずっと null (状況は正しく更新する)",
    ),
    d(
        "shoukai-in-stop-window",
        "SKI-07",
        DefectKind::ShoukaiInStopWindow,
        "サービス提供時間の判定で平日 21:00〜24:00 の停止時間帯を忘れ、その間にも照会を送る (ほかの時間外は守る)",
    ),
    d(
        "gaitou-nashi-as-error",
        "SKI-09",
        DefectKind::GaitouNashiAsError,
        "該当なしで終わった照会を、/shoukai で status エラーと error つきで答える",
    ),
    d(
        "toriyame-keeps-polling",
        "SKI-10",
        DefectKind::ToriyameKeepsPolling,
        "照会の取りやめ (IF_SKI_10714_R01) は送るが、取りやめた照会の状況をその後の shoukai_kekka でも IF_SKI_10712_R01 で聞き続ける",
    ),
    d(
        "teikyou-week-only",
        "TKY-01",
        DefectKind::TeikyouWeekOnly,
        "teikyou ジョブで、提供の求めの日時から 7 日を過ぎたものを有効期間切れとみなし、確認・送信許可しない (7 日のうちのものには正しく答える)",
    ),
    d(
        "kiroku-gaitou-nashi-dropped",
        "TKM-01",
        DefectKind::KirokuGaitouNashiDropped,
        "情報提供等記録の取り込みで、提供結果が該当なしの記録を捨てる",
    ),
    d(
        "kikan-test-zeimu-only",
        "KIK-02",
        DefectKind::KikanTestZeimuOnly,
        "機関間テストで、ふだん照会する地方税関係情報の行しか照会せず、計画のほかの特定個人情報の行を飛ばす (未完了のまま)",
    ),
    d(
        "kikan-test-sent-is-success",
        "KIK-03",
        DefectKind::KikanTestSentIsSuccess,
        "機関間テストで、照会が登録された (又は中間サーバーに断られた) だけで、どう終わったかを見ずにその行を成功と記録する",
    ),
    d(
        "msg-mode-fixed-test",
        "KIK-04",
        DefectKind::MsgModeFixedTest,
        "既存業務システムの電文と一括照会ファイルの MSGMode を、設定の chukan.msg_mode でなくいつもテストの 1 にする",
    ),
    d(
        "ikkatsu-no-split",
        "SKI-04",
        DefectKind::IkkatsuNoSplit,
        "一括照会を 3,000 件ごとのファイルに分けず、依頼された照会をすべて1つの一括照会要求ファイルで送る (前のファイルの明細が処理待ちでなくなるのも待たない)",
    ),
    d(
        "shoukai-weekday-hours-every-day",
        "SKI-08",
        DefectKind::ShoukaiWeekdayHoursEveryDay,
        "照会の登録と取りやめのサービス提供時間の判定で、どの日も平日の時間 (08:00〜21:00 と 21:00〜24:00 の停止時間帯) を使い、土・日・祝日・年末年始の 17:00〜21:00 にも送る",
    ),
    d(
        "kiroku-jiyuu-ignored",
        "TKM-02a",
        DefectKind::KirokuJiyuuIgnored,
        "kiroku_henkou で記録事項変更事由を中間サーバーに送らない (不開示の設定・解除は正しく送る)",
    ),
    d(
        "kiroku-fukaiji-ignored",
        "TKM-02b",
        DefectKind::KirokuFukaijiIgnored,
        "kiroku_henkou で不開示を中間サーバーに送らない (記録事項変更事由は正しく送る)",
    ),
    d(
        "tls-cert-cached",
        "SEC-01",
        DefectKind::TlsCertCached,
        "既存業務システムが中間サーバーへのクライアント証明書と鍵を reset のときに一度だけ読み、シナリオの間ずっとそれを使う (入れ替えられたファイルを読み直さない)",
    ),
    d(
        "teikyou-current-edition-only",
        "TKY-02",
        DefectKind::TeikyouCurrentEditionOnly,
        "teikyou ジョブで、提供する副本のデータセットがいま有効な版のレイアウトにない提供の求め (切替の前に受けた、廃止されたデータセットのもの) を確認・送信許可しない",
    ),
    d(
        "jizen-tsuuchi-ignored",
        "TKY-03",
        DefectKind::JizenTsuuchiIgnored,
        "teikyou ジョブで通知 (IF_OSR_10611_R01) を読まないので、有効期間切れ事前通知を受けた提供の求めを先にせず、/teikyou の jizen_tsuuchi がいつも false (提供の求めにはすべて正しく答える)",
    ),
    d(
        "toiawase-unmasked",
        "SEC-02",
        DefectKind::ToiawaseUnmasked,
        "問合せ資料 (toiawase) の電文とエラーメッセージを、団体内統合宛名番号・個人番号・氏名などをマスキングせずにそのまま載せる",
    ),
    d(
        "setsuzoku-not-checked",
        "KIK-01a",
        DefectKind::SetsuzokuNotChecked,
        "機関間テスト (kikan_test) で接続確認の結果を見ずに計画の照会を出す (接続確認そのものは正しく行い記録するが、失敗していても確かめ直さずに機関間テストに入る)",
    ),
    d(
        "old-address-kept",
        "KIK-05",
        DefectKind::OldAddressKept,
        "設定ファイル (renkei-config.json) を reset のときに読んだきりで、ジョブのたびに読み直さない (中間サーバーの接続先が変わっても旧い接続先に送り続ける)",
    ),
    d(
        "teiji-burst",
        "SKI-05",
        DefectKind::TeijiBurst,
        "定時起動の単件の照会を、15 分に 1,000 件の間隔をあけずに、依頼されたものをすべて一度に登録する (一括照会の間隔、過負荷のあとの待ちは正しい)",
    ),
    d(
        "overload-dropped",
        "SKI-11",
        DefectKind::OverloadDropped,
        "過負荷 (SK40) で断られた単件の照会、エラーになった一括の明細を、最後のエラーとして記録し、照会し直さない (ほかの時間外の断りは正しく待って送り直す)",
    ),
    d(
        "ikkatsu-madoguchi",
        "SKI-12",
        DefectKind::IkkatsuMadoguchi,
        "明細 1,000 件を超える大量の一括照会を、窓口業務の時間かどうか、その日のうちに終わるかを見ずに、依頼されたらすぐ登録する (3,000 件ごとに分け、前のファイルを待つのは正しい)",
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
            assert!(
                ["ING", "JUK", "FUK", "SKI", "TKY", "TKM", "KIK", "SEC"].contains(&area),
                "{}",
                d.requirement
            );
            assert!(
                num.len() >= 2 && num[..2].chars().all(|c| c.is_ascii_digit()),
                "{}",
                d.requirement
            );
            assert_eq!(Seeded::from_id(d.id).and_then(Seeded::id), Some(d.id));
        }
        assert!(Seeded::from_id("no-such").is_none());
    }

    #[test]
    fn each_kizon_requirement_has_exactly_one_defect() {
        for req in [
            "FUK-01", "FUK-02", "FUK-03", "FUK-04", "FUK-05", "FUK-06", "FUK-07", "FUK-08",
            "FUK-09", "FUK-10", "FUK-11", "FUK-12", "FUK-13", "FUK-14", "SKI-01", "SKI-02",
            "SKI-03", "SKI-07", "SKI-09", "SKI-10", "TKY-01", "TKM-01", "KIK-02", "KIK-03",
            "KIK-04", "SKI-04", "SKI-08", "TKM-02a", "TKM-02b", "SEC-01", "TKY-02", "TKY-03",
            "KIK-01a", "KIK-05", "SEC-02", "SKI-05", "SKI-11", "SKI-12",
        ] {
            assert_eq!(
                DEFECTS.iter().filter(|d| d.requirement == req).count(),
                1,
                "{req}"
            );
        }
    }
}
