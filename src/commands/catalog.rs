//! `renkei fixtures catalog [WHICH]`: the catalogs as tables.
//!
//! `WHICH` is one of `procedures`, `layouts`, `legal-basis`, `dantai`, or for details a
//! procedure id (`kosodate-01`), a 特定個人情報名コード (`TM00000000000002`), a 事務コード
//! (`JM00000000000074`: what the 事務 may ask) or a 団体コード (`131016`: its towns).
//! Without it every catalog is printed.

use std::fmt::Write as _;

use anyhow::bail;
use renkei_fixtures::catalog::{
    Catalogs, Dantai, DantaiKind, FieldType, Jimu, Occurrence, Procedure, TokuteiKojinJoho,
};
use renkei_fixtures::ids::{DantaiCode, JimuCode, TokuteiKojinJohoMeiCode};
use tabled::Table;
use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Style, Width};

/// Prints the catalog(s) selected by `which` (all when `None`) to stdout.
pub fn print(catalogs: &Catalogs, which: Option<&str>) -> anyhow::Result<()> {
    print!("{}", render(catalogs, which)?);
    Ok(())
}

/// The text [`print`] writes, or an error listing the valid choices.
pub fn render(catalogs: &Catalogs, which: Option<&str>) -> anyhow::Result<String> {
    let mut out = String::new();
    match which {
        None => {
            procedures(&mut out, catalogs);
            out.push('\n');
            layouts(&mut out, catalogs);
            out.push('\n');
            legal_basis(&mut out, catalogs);
            out.push('\n');
            dantai(&mut out, catalogs);
        }
        Some("procedures") => procedures(&mut out, catalogs),
        Some("layouts") => layouts(&mut out, catalogs),
        Some("legal-basis") => legal_basis(&mut out, catalogs),
        Some("dantai") => dantai(&mut out, catalogs),
        Some(other) => {
            if let Some(procedure) = catalogs.procedure(other) {
                procedure_details(&mut out, catalogs, procedure);
            } else if let Some(tokutei) = other
                .parse::<TokuteiKojinJohoMeiCode>()
                .ok()
                .and_then(|code| catalogs.layouts.tokutei(&code))
            {
                tokutei_details(&mut out, tokutei);
            } else if let Some(jimu) = other
                .parse::<JimuCode>()
                .ok()
                .and_then(|code| catalogs.legal_basis.jimu(&code))
            {
                jimu_details(&mut out, catalogs, jimu);
            } else if let Some(found) = other
                .parse::<DantaiCode>()
                .ok()
                .and_then(|code| catalogs.dantai(&code))
            {
                dantai_details(&mut out, catalogs, found);
            } else {
                bail!(unknown_choice(catalogs, other));
            }
        }
    }
    Ok(out)
}

/// The error for an unknown `WHICH`, listing what is accepted.
fn unknown_choice(catalogs: &Catalogs, which: &str) -> String {
    let join = |items: Vec<String>| items.join(", ");
    format!(
        "「{which}」というカタログはありません。指定できるもの: procedures, layouts, legal-basis, dantai、\
         または手続 id ({})、特定個人情報名コード ({})、事務コード ({})、団体コード ({})",
        join(catalogs.procedures.iter().map(|p| p.id.clone()).collect()),
        join(
            catalogs
                .layouts
                .iter()
                .map(|t| t.code.to_string())
                .collect()
        ),
        join(
            catalogs
                .legal_basis
                .jimu_list()
                .iter()
                .map(|j| j.code.to_string())
                .collect()
        ),
        join(catalogs.dantai.iter().map(|d| d.code.to_string()).collect()),
    )
}

fn table(builder: Builder) -> Table {
    let mut table = builder.build();
    table.with(Style::sharp());
    table
}

fn heading(out: &mut String, title: &str) {
    let _ = writeln!(out, "■ {title}");
}

fn yes_no(value: bool) -> &'static str {
    if value { "○" } else { "" }
}

fn with_commas(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn procedures(out: &mut String, catalogs: &Catalogs) {
    heading(out, "手続とプリセット様式 (seed 001 §2.1, 図表2, 図表32)");
    let mut b = Builder::default();
    b.push_record(["id", "分類", "手続名", "事務コード", "項目数", "必須"]);
    for p in catalogs.procedures.iter() {
        b.push_record([
            p.id.clone(),
            p.category.to_string(),
            p.name.clone(),
            p.jimu.map(|j| j.to_string()).unwrap_or_default(),
            p.fields.len().to_string(),
            p.fields.iter().filter(|f| f.required).count().to_string(),
        ]);
    }
    let _ = writeln!(out, "{}", table(b));
}

fn procedure_details(out: &mut String, catalogs: &Catalogs, p: &Procedure) {
    heading(out, &format!("{} {} ({})", p.id, p.name, p.category));
    for alias in &p.aliases {
        let _ = writeln!(out, "  別名: {alias}");
    }
    if let Some(jimu) = p.jimu.and_then(|code| catalogs.legal_basis.jimu(&code)) {
        let _ = writeln!(out, "  事務: {} {}", jimu.code, jimu.name);
    }
    let mut b = Builder::default();
    b.push_record(["項目 id", "表示名", "型", "必須", "最大長"]);
    for f in &p.fields {
        b.push_record([
            f.id.clone(),
            f.label.clone(),
            match &f.field_type {
                FieldType::Select { options } => format!("select: {}", options.join(" / ")),
                other => other.name().to_owned(),
            },
            yes_no(f.required).to_owned(),
            f.max_len.map(|n| n.to_string()).unwrap_or_default(),
        ]);
    }
    let mut t = table(b);
    t.modify(Columns::one(2), Width::wrap(40));
    let _ = writeln!(out, "{t}");
}

fn layouts(out: &mut String, catalogs: &Catalogs) {
    heading(out, "データ標準レイアウト (seed 004 §2.2)");
    let mut editions = Builder::default();
    editions.push_record(["版", "名称", "情報連携開始日"]);
    for e in catalogs.layouts.editions() {
        editions.push_record([
            e.version.clone(),
            e.name.clone(),
            e.linkage_start
                .map(|d| d.to_string())
                .unwrap_or_else(|| "(資料に記載なし)".to_owned()),
        ]);
    }
    let _ = writeln!(out, "{}", table(editions));
    let mut b = Builder::default();
    b.push_record([
        "特定個人情報名コード",
        "番号",
        "略称",
        "版",
        "改版の類型",
        "データセット",
        "照会キー",
        "版数",
        "項目数",
    ]);
    for t in catalogs.layouts.iter() {
        for layout in &t.layouts {
            for d in &layout.datasets {
                b.push_record([
                    t.code.to_string(),
                    t.number.to_string(),
                    t.short_name.clone(),
                    layout.version.clone(),
                    layout.revision.map(|r| r.to_string()).unwrap_or_default(),
                    format!("{} {}", d.code, d.name),
                    d.query_key.to_string(),
                    d.version_label(),
                    d.items.len().to_string(),
                ]);
            }
        }
    }
    let _ = writeln!(out, "{}", table(b));
}

fn tokutei_details(out: &mut String, t: &TokuteiKojinJoho) {
    heading(
        out,
        &format!("{} 特定個人情報番号{} {}", t.code, t.number, t.short_name),
    );
    let _ = writeln!(out, "  {}", t.name);
    if t.code_assumed {
        let _ = writeln!(out, "  (コードは renkei の仮定: 公開されていません)");
    }
    for layout in &t.layouts {
        let _ = write!(out, "\n{}版", layout.version);
        if let Some(revision) = layout.revision {
            let _ = write!(out, " — {revision}: {}", revision.fukuhon_policy());
        }
        out.push('\n');
        let mut b = Builder::default();
        b.push_record([
            "データセット",
            "照会キー",
            "版数",
            "項目名",
            "型",
            "桁数",
            "出現",
            "必須",
            "提供除外",
            "説明",
        ]);
        for d in &layout.datasets {
            for item in &d.items {
                b.push_record([
                    format!("{} {}", d.code, d.name),
                    d.query_key.to_string(),
                    d.version_label(),
                    item.name.clone(),
                    item.data_type.to_string(),
                    item.digits.to_string(),
                    match item.occurrence {
                        Occurrence::One => "1".to_owned(),
                        Occurrence::Many { max } => format!("N({max})"),
                    },
                    yes_no(item.required).to_owned(),
                    yes_no(item.provision_excluded).to_owned(),
                    item.note.clone().unwrap_or_default(),
                ]);
            }
        }
        let mut table = table(b);
        table.modify(Columns::one(9), Width::wrap(36));
        let _ = writeln!(out, "{table}");
    }
}

fn legal_basis(out: &mut String, catalogs: &Catalogs) {
    heading(
        out,
        "法令根拠 (番号法 別表第二の一部; 出典の区別は docs/catalogs.md)",
    );
    let lb = &catalogs.legal_basis;
    let mut jimu = Builder::default();
    jimu.push_record(["事務コード", "事務", "照会者", "根拠", "出典"]);
    let mut tetsuzuki = Builder::default();
    tetsuzuki.push_record(["事務手続コード", "事務手続", "事務コード"]);
    for j in lb.jimu_list() {
        jimu.push_record([
            j.code.to_string(),
            j.name.clone(),
            kinds(&j.requesters),
            j.basis.clone(),
            j.basis_source.to_string(),
        ]);
        for t in &j.tetsuzuki {
            tetsuzuki.push_record([t.code.to_string(), t.name.clone(), j.code.to_string()]);
        }
    }
    let mut jimu = table(jimu);
    jimu.modify(Columns::one(1), Width::wrap(40))
        .modify(Columns::one(3), Width::wrap(36));
    let _ = writeln!(out, "{jimu}");
    let _ = writeln!(out, "{}", table(tetsuzuki));
    permissions(out, catalogs, lb.permissions().iter());
}

fn permissions<'a>(
    out: &mut String,
    catalogs: &Catalogs,
    rows: impl Iterator<Item = &'a renkei_fixtures::catalog::Permission>,
) {
    let mut b = Builder::default();
    b.push_record([
        "事務コード",
        "事務手続コード",
        "特定個人情報",
        "提供者",
        "根拠",
        "出典",
    ]);
    for p in rows {
        let tokutei = catalogs
            .layouts
            .tokutei(&p.tokutei)
            .map(|t| format!("{} {}", p.tokutei, t.short_name))
            .unwrap_or_else(|| p.tokutei.to_string());
        b.push_record([
            p.jimu.to_string(),
            p.tetsuzuki.to_string(),
            tokutei,
            kinds(&p.providers),
            p.basis.clone(),
            p.basis_source.to_string(),
        ]);
    }
    let mut t = table(b);
    t.modify(Columns::one(4), Width::wrap(40));
    let _ = writeln!(out, "{t}");
}

fn jimu_details(out: &mut String, catalogs: &Catalogs, jimu: &Jimu) {
    heading(out, &format!("{} {}", jimu.code, jimu.name));
    let _ = writeln!(out, "  照会者: {}", kinds(&jimu.requesters));
    let _ = writeln!(out, "  根拠: {} ({})", jimu.basis, jimu.basis_source);
    for t in &jimu.tetsuzuki {
        let _ = writeln!(out, "  事務手続: {} {}", t.code, t.name);
    }
    let _ = writeln!(out, "この事務が照会できるもの:");
    permissions(
        out,
        catalogs,
        catalogs.legal_basis.permitted_for(&jimu.code),
    );
}

fn kinds<K: std::fmt::Display>(kinds: &[K]) -> String {
    kinds
        .iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join("・")
}

fn dantai(out: &mut String, catalogs: &Catalogs) {
    heading(
        out,
        "団体と副本アップロード上限 (seed 004 §2.5; 1KB = 1,000バイト)",
    );
    let mut b = Builder::default();
    b.push_record([
        "団体コード",
        "機関コード",
        "名称",
        "種類",
        "人口 (概数)",
        "構成団体",
        "番号ブロック",
        "町名数",
        "件数上限/日",
        "サイズ上限/日 (KB)",
    ]);
    for d in catalogs.dantai.iter() {
        let caps = d.fukuhon_daily_caps();
        b.push_record([
            d.code.to_string(),
            d.kikan_code.to_string(),
            d.name.clone(),
            d.kind.to_string(),
            population(d),
            d.members
                .iter()
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            d.number_block.to_string(),
            d.towns.len().to_string(),
            with_commas(caps.records),
            with_commas(caps.kilobytes()),
        ]);
    }
    let _ = writeln!(out, "{}", table(b));
}

fn population(d: &Dantai) -> String {
    match d.kind {
        DantaiKind::Kumiai => format!("{} (構成団体の合計)", with_commas(d.population)),
        _ => with_commas(d.population),
    }
}

fn dantai_details(out: &mut String, catalogs: &Catalogs, d: &Dantai) {
    heading(out, &format!("{} {} ({})", d.code, d.name, d.kind));
    let caps = d.fukuhon_daily_caps();
    let _ = writeln!(out, "  機関コード: {} (renkei 定義)", d.kikan_code);
    let _ = writeln!(out, "  人口: {}", population(d));
    let _ = writeln!(
        out,
        "  副本アップロード上限/日: {} 件, {} KB",
        with_commas(caps.records),
        with_commas(caps.kilobytes())
    );
    for member in &d.members {
        if let Some(m) = catalogs.dantai(member) {
            let _ = writeln!(
                out,
                "  構成団体: {} {} (人口 {})",
                m.code,
                m.name,
                with_commas(m.population)
            );
        }
    }
    if !d.towns.is_empty() {
        let mut b = Builder::default();
        b.push_record(["町名", "郵便番号"]);
        for town in &d.towns {
            b.push_record([
                town.name.clone(),
                format!("{}-{}", &town.postal_code[..3], &town.postal_code[3..]),
            ]);
        }
        let _ = writeln!(out, "{}", table(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_is_printed() {
        let text = render(Catalogs::embedded(), None).unwrap();
        for expected in [
            "罹災証明書の発行申請",
            "地方税関係情報",
            "千代田区",
            "JM00000000000074",
            "3,770,000",
        ] {
            assert!(text.contains(expected), "{expected} missing");
        }
    }

    #[test]
    fn details_by_id_and_code() {
        let catalogs = Catalogs::embedded();
        let form = render(catalogs, Some("kosodate-01")).unwrap();
        assert!(
            form.contains("口座種別") && form.contains("select: 普通 / 当座"),
            "{form}"
        );
        let layout = render(catalogs, Some("TM00000000000016")).unwrap();
        assert!(
            layout.contains("メジャー改版") && layout.contains("一部支給停止適用除外区分"),
            "{layout}"
        );
        let jimu = render(catalogs, Some("JM00000000000093")).unwrap();
        assert!(jimu.contains("JT00000000009301"), "{jimu}");
        let town = render(catalogs, Some("131016")).unwrap();
        assert!(town.contains("102-0083"), "{town}");
    }

    #[test]
    fn an_unknown_choice_lists_the_valid_ones() {
        let error = render(Catalogs::embedded(), Some("no-such-thing"))
            .unwrap_err()
            .to_string();
        for expected in [
            "no-such-thing",
            "procedures",
            "legal-basis",
            "kosodate-01",
            "TM00000000000002",
        ] {
            assert!(error.contains(expected), "{expected} missing from {error}");
        }
    }

    #[test]
    fn commas() {
        assert_eq!(with_commas(0), "0");
        assert_eq!(with_commas(999), "999");
        assert_eq!(with_commas(2_000_000), "2,000,000");
    }
}
