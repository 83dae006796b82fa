//! The world of one scenario: what its 前提 steps planned, the simulators once started, and the
//! evidence its steps collected.
//!
//! The simulators start lazily, at the first step that needs them, so that every 前提 step can
//! shape the scenario data first (residents, 申請, the clock, the file form). Starting writes the
//! scenario as a documented scenario file (docs/scenario.md) — kept as evidence, so anyone can
//! replay it with `renkei serve --scenario` — then each system's `renkei-config.json`, then calls
//! every system's `reset` job.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::ids::{DantaiCode, UketsukeBango};
use renkei_fixtures::population::{Household, Resident};
use renkei_fixtures::scenario::{Application, Expanded, FaultSpec, Scenario, Variant};
use renkei_reports::Evidence;
use renkei_simulator::stack::{Stack, StackOptions};
use time::OffsetDateTime;

use super::kizon::{KizonLive, KizonPlan, Person, SeihonRecord, sample_items};
use crate::requirements::{RequirementCatalog, Role};
use crate::steps::StepError;
use crate::sut::client::{JobOutcome, SutClient};
use crate::sut::config::{
    CONFIG_FORMAT, ChukanConfig, DailyCapsConfig, GyomuSystem, JukiMaster, JukinetConfig, KikanRef,
    KizonConfig, PittariConfig, RenkeiConfig, ScenarioRef, SeihonFile, Shokuin,
};

/// What every scenario of a run shares.
pub struct RunContext {
    pub suts: Vec<SutClient>,
    pub catalogs: &'static Catalogs,
    pub requirements: &'static RequirementCatalog,
    pub work_dir: PathBuf,
    /// The personal data of every scenario's residents, to mask the run with (docs/reports.md).
    pub personal: std::sync::Mutex<renkei_reports::mask::Masker>,
}

/// The scenario data the 前提 steps build up before the simulators start.
#[derive(Debug, Clone)]
pub struct Plan {
    pub dantai: DantaiCode,
    pub residents: u32,
    pub start: OffsetDateTime,
    pub seed: u64,
    /// (variant, count, procedures) in the order written.
    pub batches: Vec<(Variant, u32, Vec<String>)>,
    /// Faults to add once the 申請 have their 受付番号, and which 申請 each concerns.
    pub faults: Vec<(FaultSpec, FaultTarget)>,
    /// `csv` or `fixed`, for the 既存住基システム.
    pub jukinet_form: String,
    /// The 既存業務システム's 正本, the partner 団体, the 中間サーバー settings.
    pub kizon: KizonPlan,
}

impl Plan {
    fn new(catalogs: &Catalogs) -> Self {
        Plan {
            dantai: catalogs.default_dantai().code,
            residents: 200,
            // 令和8年4月6日(月) 9時: a weekday morning inside every service window.
            start: time::macros::datetime!(2026-04-06 09:00 +09:00),
            seed: 1,
            batches: Vec::new(),
            faults: Vec::new(),
            jukinet_form: "csv".into(),
            kizon: KizonPlan::default(),
        }
    }

    /// The plan as a scenario file (docs/scenario.md).
    pub fn scenario_toml(&self, name: &str, partner: DantaiCode) -> String {
        let from = self.start - time::Duration::days(30);
        let to = self.start - time::Duration::hours(1);
        let rfc = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .expect("scenario times format")
        };
        let mut text = format!(
            "# renkei run: {name}\nname = {name:?}\nseed = {}\nstart = \"{}\"\n\n[[dantai]]\ncode = \"{}\"\nresidents = {}\n\n[pittari]\ndantai = \"{}\"\nsubmitted_from = \"{}\"\nsubmitted_to = \"{}\"\n",
            self.seed,
            rfc(self.start),
            self.dantai,
            self.residents,
            self.dantai,
            rfc(from),
            rfc(to),
        );
        for (variant, count, procedures) in &self.batches {
            text.push_str(&format!(
                "\n[[pittari.batches]]\nvariant = \"{}\"\ncount = {count}\n",
                variant.as_str()
            ));
            if !procedures.is_empty() {
                text.push_str(&format!("procedures = {procedures:?}\n"));
            }
        }
        text.push_str(&self.kizon.scenario_toml(self.dantai, partner));
        for (login_id, password, role, tetsuzuki) in ACCOUNTS {
            text.push_str(&format!(
                "\n[[pittari.accounts]]\nlogin_id = \"{login_id}\"\npassword = \"{password}\"\nrole = \"{role}\"\n"
            ));
            if !tetsuzuki.is_empty() {
                text.push_str(&format!("tetsuzuki = {tetsuzuki:?}\n"));
            }
        }
        text
    }
}

/// The 申請 an injected fault concerns.
#[derive(Debug, Clone, Copy)]
pub enum FaultTarget {
    /// The n-th in list order (0-based).
    Nth(usize),
    /// Every 申請 of the variant (one fault each).
    Variant(Variant),
}

/// The download API's accounts in every scenario: (ログインID, password, role, procedures).
const ACCOUNTS: [(&str, &str, &str, &[&str]); 3] = [
    ("kanri01", "renkei-kanri-01", "アカウント管理ユーザ", &[]),
    ("tetsuzuki01", "renkei-tetsuzuki-01", "手続管理ユーザ", &[]),
    (
        "ippan01",
        "renkei-ippan-01",
        "手続一般ユーザ",
        &["kosodate-01", "kosodate-10"],
    ),
];

/// The simulators of a started scenario.
pub struct Live {
    pub stack: Stack,
    pub expanded: Expanded,
    /// The 申請 in the download API's list order (申請日時, then 受付番号): "n件目".
    pub order: Vec<UketsukeBango>,
    /// Each system's `renkei-config.json`, by index into [`RunContext::suts`].
    pub configs: Vec<PathBuf>,
    pub jukinet_key: String,
    /// The 既存業務システム's 正本 and what renkei's partner 団体 did.
    pub kizon: KizonLive,
    /// The partner system's 正本, when a second system plays the partner (a pair run).
    pub partner_kizon: Option<KizonLive>,
}

impl Live {
    /// Today on the simulators' clock (JST).
    pub fn today(&self) -> time::Date {
        self.stack
            .clock
            .now()
            .to_offset(renkei_fixtures::JST)
            .date()
    }

    pub fn application(&self, uketsuke: &UketsukeBango) -> &Application {
        self.expanded
            .applications
            .iter()
            .find(|a| a.uketsuke_bango == *uketsuke)
            .expect("every listed 申請 was expanded")
    }

    /// The residents of the scenario's 団体.
    pub fn households(&self) -> &[Household] {
        &self.expanded.populations[0].1
    }

    pub fn resident(&self, index: u64) -> &Resident {
        self.households()
            .iter()
            .flat_map(|h| &h.members)
            .find(|r| r.index == index)
            .expect("an application's applicant is a resident")
    }

    /// The 申請 of one variant, in list order.
    pub fn of_variant(&self, variant: Variant) -> Vec<UketsukeBango> {
        self.order
            .iter()
            .filter(|u| self.application(u).variant == variant)
            .copied()
            .collect()
    }
}

/// One scenario's state.
pub struct World {
    pub ctx: Arc<RunContext>,
    pub number: usize,
    pub feature: String,
    pub name: String,
    /// This scenario's folder under the run's work folder.
    pub dir: PathBuf,
    pub plan: Plan,
    pub live: Option<Live>,
    /// Evidence of the step now running; the runner takes it after each step.
    pub evidence: Vec<Evidence>,
    /// The last job's outcome (for steps that check a refusal).
    pub last_job: Option<JobOutcome>,
    /// Values steps hand on to later steps (a serial issued, a journal position).
    pub memo: BTreeMap<String, String>,
}

impl World {
    pub fn new(ctx: Arc<RunContext>, number: usize, feature: &str, name: &str) -> Self {
        let dir = ctx.work_dir.join(format!("scenario-{number:04}"));
        let plan = Plan::new(ctx.catalogs);
        World {
            ctx,
            number,
            feature: feature.to_owned(),
            name: name.to_owned(),
            dir,
            plan,
            live: None,
            evidence: Vec::new(),
            last_job: None,
            memo: BTreeMap::new(),
        }
    }

    pub fn note(&mut self, kind: &str, title: impl Into<String>, body: impl Into<String>) {
        self.evidence.push(Evidence::new(kind, title, body));
    }

    /// A 前提 that shapes the data must come before the simulators start.
    pub fn planning(&mut self) -> Result<&mut Plan, StepError> {
        if self.live.is_some() {
            return Err(StepError::Suite(
                "シミュレーターが動き出したあとでは、この前提は書けません (前提の手順を先に書きます)".into(),
            ));
        }
        Ok(&mut self.plan)
    }

    /// The system playing `role`, by index: the one playing it for the scenario's 団体 first.
    pub fn sut_index(&self, role: Role) -> Result<usize, StepError> {
        let suts = &self.ctx.suts;
        suts.iter()
            .position(|s| s.adapter.plays_for(role, self.plan.dantai))
            .or_else(|| suts.iter().position(|s| s.adapter.plays(role).is_some()))
            .ok_or(StepError::NotApplicable(role))
    }

    /// The partner 団体 of the 既存業務システム's scenarios (docs/kizon-gyomu.md).
    pub fn partner_code(&self) -> DantaiCode {
        super::kizon::partner_dantai(&self.ctx.suts, self.plan.dantai)
    }

    /// The second system playing 既存業務システム for the partner 団体, in a 機関間テスト scenario
    /// of a pair run: it, not renkei, plays the partner there. Elsewhere renkei plays the partner,
    /// so that one system's verdicts never depend on another's behaviour.
    pub fn partner_sut(&self) -> Option<usize> {
        if !self.feature.starts_with("機関間テスト/") {
            return None;
        }
        let partner = self.partner_code();
        if partner == self.plan.dantai {
            return None;
        }
        self.ctx
            .suts
            .iter()
            .position(|s| s.adapter.plays_for(Role::KizonGyomu, partner))
    }

    /// Starts the simulators if not yet, resets every system; the started state.
    pub async fn live(&mut self) -> Result<&mut Live, StepError> {
        if self.live.is_none() {
            let live = self.start().await?;
            self.live = Some(live);
        }
        Ok(self.live.as_mut().expect("started above"))
    }

    async fn start(&mut self) -> Result<Live, StepError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| StepError::Suite(format!("{} を作れません: {e}", self.dir.display())))?;
        let toml = self.plan.scenario_toml(
            &format!("{} {}", self.feature, self.name),
            self.partner_code(),
        );
        std::fs::write(self.dir.join("scenario.toml"), &toml)
            .map_err(|e| StepError::Suite(format!("シナリオファイルを書けません: {e}")))?;
        self.note(
            "note",
            "シナリオデータ (docs/scenario.md の形式)",
            toml.clone(),
        );
        let scenario = Scenario::from_toml(&toml).map_err(|e| StepError::Suite(e.to_string()))?;
        let expanded = scenario
            .expand(self.ctx.catalogs)
            .map_err(|e| StepError::Suite(e.to_string()))?;
        for (variant, count, _) in &self.plan.batches {
            let made = expanded
                .applications
                .iter()
                .filter(|a| a.variant == *variant)
                .count() as u32;
            let wanted: u32 = self
                .plan
                .batches
                .iter()
                .filter(|b| b.0 == *variant)
                .map(|b| b.1)
                .sum();
            if made != wanted {
                return Err(StepError::Suite(format!(
                    "{} の申請を {count} 件作れませんでした ({made} 件): 住民を増やしてください",
                    variant.as_str()
                )));
            }
        }
        let stack = Stack::start(&expanded, StackOptions::default())
            .await
            .map_err(|e| StepError::Suite(format!("シミュレーターを起動できません: {e}")))?;
        let order: Vec<UketsukeBango> = stack
            .pittari
            .applications()
            .into_iter()
            .map(|(u, ..)| u)
            .collect();
        for (fault, target) in &self.plan.faults {
            let targets: Vec<UketsukeBango> = match target {
                FaultTarget::Nth(n) => vec![*order.get(*n).ok_or_else(|| {
                    StepError::Suite(format!(
                        "{}件目の申請はありません ({} 件)",
                        n + 1,
                        order.len()
                    ))
                })?],
                FaultTarget::Variant(v) => expanded
                    .applications
                    .iter()
                    .filter(|a| a.variant == *v)
                    .map(|a| a.uketsuke_bango)
                    .collect(),
            };
            for uketsuke in targets {
                let mut fault = fault.clone();
                fault.uketsuke_bango = Some(uketsuke);
                stack
                    .pittari
                    .add_fault(fault)
                    .map_err(|e| StepError::Suite(format!("障害を入れられません: {e}")))?;
            }
        }
        let jukinet_key = stack
            .jukinet_keys
            .iter()
            .find(|(code, _)| *code == self.plan.dantai)
            .map(|(_, key)| key.clone())
            .unwrap_or_default();

        // Each 団体's 住民記録: the population file of docs/population.md (the scenario's 団体,
        // and the partner's when a second system plays it).
        let mut juki_dirs: BTreeMap<DantaiCode, PathBuf> = BTreeMap::new();
        for (code, _) in &expanded.populations {
            let dir = if *code == self.plan.dantai {
                self.dir.join("juki")
            } else {
                self.dir.join(format!("juki-{code}"))
            };
            let dantai =
                self.ctx.catalogs.dantai(code).ok_or_else(|| {
                    StepError::Suite(format!("団体 {code} はカタログにありません"))
                })?;
            let residents = if *code == self.plan.dantai {
                u64::from(self.plan.residents)
            } else {
                20
            };
            let spec = renkei_fixtures::population::PopulationSpec {
                dantai: *code,
                size: residents,
                seed: self.plan.seed,
                as_of: self.plan.start.to_offset(renkei_fixtures::JST).date(),
            };
            renkei_fixtures::population::write(
                &spec,
                dantai,
                &dir,
                &[renkei_fixtures::population::Format::Csv],
            )
            .map_err(|e| StepError::Suite(format!("住民記録を書けません: {e}")))?;
            juki_dirs.insert(*code, dir);
        }

        let addresses = stack.addresses;
        let certs = stack
            .chukan
            .write_certificates(&self.dir)
            .map_err(|e| StepError::Suite(format!("中間サーバーの証明書を書けません: {e}")))?;
        let kizon = self.kizon_live(&expanded, stack.clock.now(), self.plan.dantai)?;
        kizon.write_seihon()?;
        let partner_sut = self.partner_sut();
        let partner_kizon = match partner_sut {
            Some(_) => {
                let live = self.kizon_live(&expanded, stack.clock.now(), self.partner_code())?;
                live.write_seihon()?;
                Some(live)
            }
            None => None,
        };
        let mut configs = Vec::new();
        for (i, sut) in self.ctx.suts.iter().enumerate() {
            // Each system gets its own 団体's tenant, 住民記録 and 正本.
            let sut_dantai = sut
                .adapter
                .roles
                .first()
                .map(|(_, d)| *d)
                .unwrap_or(self.plan.dantai);
            let known = |code: DantaiCode| {
                stack.chukan.tenant_of(code).is_some() && juki_dirs.contains_key(&code)
            };
            let dantai = if known(sut_dantai) {
                sut_dantai
            } else {
                self.plan.dantai
            };
            let tenant = stack.chukan.tenant_of(dantai).ok_or_else(|| {
                StepError::Suite(format!("団体 {dantai} の中間サーバーがありません"))
            })?;
            let tenant_dir = certs.join(tenant.kikan().as_str());
            let chukan = ChukanConfig {
                base_url: format!("https://{}", addresses.chukan),
                ca_pem: tenant_dir.join("ca.pem").display().to_string(),
                client_pem: tenant_dir.join("client.pem").display().to_string(),
                client_key: tenant_dir.join("client.key").display().to_string(),
                kikan_code: tenant.kikan().as_str().to_owned(),
                msg_mode: tenant.mode.code().to_owned(),
                daily_caps: DailyCapsConfig {
                    records: Some(tenant.caps.records),
                    bytes: Some(tenant.caps.bytes),
                },
            };
            let kizon_config = if dantai == self.plan.dantai {
                self.kizon_config(&stack, &kizon, dantai)?
            } else {
                match &partner_kizon {
                    Some(p) => self.kizon_config(&stack, p, dantai)?,
                    None => self.kizon_config(&stack, &kizon, dantai)?,
                }
            };
            let config = RenkeiConfig {
                format: CONFIG_FORMAT,
                scenario: ScenarioRef {
                    number: self.number,
                    feature: self.feature.clone(),
                    name: self.name.clone(),
                },
                now: rfc3339(stack.clock.now()),
                clock_url: format!("http://{}/admin/v1/clock", addresses.admin),
                dantai: sut_dantai.to_string(),
                juki_master: JukiMaster {
                    path: juki_dirs[&dantai]
                        .join("residents.csv")
                        .display()
                        .to_string(),
                    format: "renkei-residents-csv/1",
                },
                pittari: PittariConfig {
                    base_url: format!("http://{}", addresses.pittari),
                    proxy_url: format!("http://{}", addresses.proxy),
                    login_id: "tetsuzuki01".into(),
                    password: "renkei-tetsuzuki-01".into(),
                    signature_ca_url: format!(
                        "http://{}/pittari/v1/jpki/signature/ca.pem",
                        addresses.pittari
                    ),
                    signature_crl_url: format!(
                        "http://{}/pittari/v1/jpki/signature/crl.der",
                        addresses.pittari
                    ),
                },
                jukinet: JukinetConfig {
                    base_url: format!("http://{}", addresses.jukinet),
                    access_key: jukinet_key.clone(),
                    form: self.plan.jukinet_form.clone(),
                },
                chukan,
                gyomu_systems: gyomu_systems(self.ctx.catalogs),
                shokuin: shokuin(),
                kizon: sut
                    .adapter
                    .plays(Role::KizonGyomu)
                    .map(|_| kizon_config.clone()),
            };
            let dir = self.dir.join(format!("sut-{}", i + 1));
            std::fs::create_dir_all(&dir)
                .map_err(|e| StepError::Suite(format!("{} を作れません: {e}", dir.display())))?;
            let path = dir.join("renkei-config.json");
            let json = serde_json::to_string_pretty(&config).expect("the config serialises");
            std::fs::write(&path, &json)
                .map_err(|e| StepError::Suite(format!("設定ファイルを書けません: {e}")))?;
            configs.push(path);
        }
        let live = Live {
            stack,
            expanded,
            order,
            configs,
            jukinet_key,
            kizon,
            partner_kizon,
        };
        for (i, sut) in self.ctx.suts.iter().enumerate() {
            let outcome = sut.job("reset", &live.configs[i], self.number, &[]).await;
            match outcome {
                Ok(outcome) => self.evidence.push(Evidence::new(
                    "job",
                    format!("{}: reset", sut.adapter.name),
                    format!("{outcome:?}"),
                )),
                Err(problem) => {
                    live.stack.shutdown().await;
                    return Err(StepError::Sut(problem));
                }
            }
        }
        Ok(live)
    }

    /// The 正本 of the plan, resolved against the residents.
    fn kizon_live(
        &self,
        expanded: &Expanded,
        now: OffsetDateTime,
        dantai: DantaiCode,
    ) -> Result<KizonLive, StepError> {
        let today = now.to_offset(renkei_fixtures::JST).date();
        let residents = |code: DantaiCode| -> Vec<&Resident> {
            expanded
                .populations
                .iter()
                .filter(|(c, _)| *c == code)
                .flat_map(|(_, households)| households.iter().flat_map(|h| &h.members))
                .collect()
        };
        let own = residents(self.plan.dantai);
        let partner = residents(self.partner_code());
        if dantai != self.plan.dantai {
            // The partner system's 正本 starts empty: the scenario's steps give it its records.
            return Ok(KizonLive {
                seihon_path: self.dir.join(format!("kizon-{dantai}")).join("seihon.json"),
                dantai: dantai.to_string(),
                ..KizonLive::default()
            });
        }
        let layouts = &self.ctx.catalogs.layouts;
        let mut seihon = Vec::new();
        for spec in &self.plan.kizon.seihon {
            let (list, n, whose) = match spec.person {
                Person::Own(n) => (&own, n, "住民"),
                Person::Partner(n) => (&partner, n, "他団体の住民"),
            };
            let person = list.get((n as usize).wrapping_sub(1)).ok_or_else(|| {
                StepError::Suite(format!("{whose} {n} はいません ({} 人)", list.len()))
            })?;
            let tokutei = spec.tokutei.parse().map_err(|_| {
                StepError::Suite(format!(
                    "「{}」は特定個人情報名コードではありません",
                    spec.tokutei
                ))
            })?;
            let layout = layouts.version_in_force(&tokutei, today).ok_or_else(|| {
                StepError::Suite(format!(
                    "{} のレイアウトが {today} にありません",
                    spec.tokutei
                ))
            })?;
            // The edition in force, or a later one for a dataset a revision adds.
            let dataset = layout
                .dataset(&spec.dataset)
                .or_else(|| {
                    layouts.tokutei(&tokutei).and_then(|t| {
                        t.layouts
                            .iter()
                            .rev()
                            .find_map(|l| l.dataset(&spec.dataset))
                    })
                })
                .ok_or_else(|| {
                    StepError::Suite(format!(
                        "{} のどの版にもデータセット {} はありません",
                        spec.tokutei, spec.dataset
                    ))
                })?;
            let mut items = sample_items(dataset, person.index + 1, &spec.record_key);
            for (name, value) in &spec.overrides {
                match items.iter_mut().find(|i| i.name == *name) {
                    Some(item) => {
                        item.value = Some(value.clone());
                        item.null_riyu = None;
                    }
                    None => {
                        return Err(StepError::Suite(format!(
                            "データセット {} に項目「{name}」はありません",
                            spec.dataset
                        )));
                    }
                }
            }
            seihon.push(SeihonRecord {
                seihon_id: spec.seihon_id.clone(),
                tougou_atena_bango: person.tougou_atena_bango.to_string(),
                tokutei: spec.tokutei.clone(),
                dataset: spec.dataset.clone(),
                record_key: spec.record_key.clone(),
                kokai_bi: today.to_string(),
                kokai_shuryo_bi: None,
                items,
            });
        }
        Ok(KizonLive {
            seihon_path: self.dir.join("kizon").join("seihon.json"),
            dantai: self.plan.dantai.to_string(),
            seihon,
            jidou_outou_fuka: self.plan.kizon.jidou_outou_fuka.clone(),
            partner_fukuhon: Vec::new(),
        })
    }

    /// `kizon` of the config: writes the catalogs beside the 正本.
    fn kizon_config(
        &self,
        stack: &Stack,
        kizon: &KizonLive,
        dantai: DantaiCode,
    ) -> Result<KizonConfig, StepError> {
        let dir = kizon
            .seihon_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.dir.join("kizon"));
        let write = |name: &str, text: &str| -> Result<String, StepError> {
            let path = dir.join(name);
            std::fs::write(&path, text)
                .map_err(|e| StepError::Suite(format!("{} を書けません: {e}", path.display())))?;
            Ok(path.display().to_string())
        };
        Ok(KizonConfig {
            source_system_id: "KIZON-01".into(),
            seihon: SeihonFile {
                path: kizon.seihon_path.display().to_string(),
                format: "renkei-seihon/1",
            },
            layouts: write("layouts.toml", renkei_fixtures::catalog::LAYOUTS_TOML)?,
            legal_basis: write(
                "legal_basis.toml",
                renkei_fixtures::catalog::LEGAL_BASIS_TOML,
            )?,
            kikan: stack
                .chukan
                .tenants()
                .filter(|t| t.dantai.code != dantai)
                .map(|t| KikanRef {
                    kikan_code: t.kikan().as_str().to_owned(),
                    dantai: t.dantai.code.to_string(),
                    name: t.dantai.name.clone(),
                    kind: match t.dantai.kind {
                        renkei_fixtures::catalog::DantaiKind::Municipality => "municipality",
                        renkei_fixtures::catalog::DantaiKind::Prefecture => "prefecture",
                        renkei_fixtures::catalog::DantaiKind::Kumiai => "kumiai",
                    },
                })
                .collect(),
            madoguchi: Some(crate::sut::config::Madoguchi {
                start: hh_mm(super::kizon::MADOGUCHI.0),
                end: hh_mm(super::kizon::MADOGUCHI.1),
            }),
        })
    }

    /// Runs a job of the system playing `role`.
    pub async fn job(
        &mut self,
        role: Role,
        name: &str,
        params: &[(&'static str, serde_json::Value)],
    ) -> Result<JobOutcome, StepError> {
        let index = self.sut_index(role)?;
        self.job_at(index, name, params).await
    }

    /// Runs a job of the system at `index` of the run.
    pub async fn job_at(
        &mut self,
        index: usize,
        name: &str,
        params: &[(&'static str, serde_json::Value)],
    ) -> Result<JobOutcome, StepError> {
        self.live().await?;
        let ctx = self.ctx.clone();
        let sut = &ctx.suts[index];
        let config = self.live.as_ref().expect("started").configs[index].clone();
        let outcome = sut.job(name, &config, self.number, params).await?;
        self.note(
            "job",
            format!("{}: {name} {}", sut.adapter.name, params_text(params)),
            format!("{outcome:?}"),
        );
        self.last_job = Some(outcome.clone());
        Ok(outcome)
    }

    /// Reads the observation interface of the system playing `role`; `None` on 404.
    pub async fn observe(
        &mut self,
        role: Role,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<serde_json::Value>, StepError> {
        let index = self.sut_index(role)?;
        self.observe_at(index, path, query).await
    }

    /// Reads the observation interface of the system at `index`; `None` on 404.
    pub async fn observe_at(
        &mut self,
        index: usize,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<serde_json::Value>, StepError> {
        self.live().await?;
        let ctx = self.ctx.clone();
        let observed = ctx.suts[index].observe(path, query).await?;
        let (body, found) = match observed {
            crate::sut::client::Observed::Found(v) => (
                serde_json::to_string_pretty(&v).unwrap_or_default(),
                Some(v),
            ),
            crate::sut::client::Observed::NotFound => ("404".to_owned(), None),
        };
        let query_text = query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        self.note("observe", format!("GET /{path}?{query_text}"), body);
        if let Some(value) = &found {
            crate::sut::schema::check_observation(path, value).map_err(|message| {
                StepError::Sut(crate::sut::client::SutProblem {
                    exited_early: false,
                    kind: crate::sut::client::ProblemKind::Malformed,
                    message,
                })
            })?;
        }
        Ok(found)
    }

    /// Stops the simulators, after telling the run's masker whose data the scenario held.
    pub async fn finish(&mut self) {
        if let Some(live) = &self.live {
            use renkei_reports::mask::PersonalKind;
            let mut masker = self.ctx.personal.lock().unwrap_or_else(|p| p.into_inner());
            let residents = live
                .expanded
                .populations
                .iter()
                .flat_map(|(_, households)| households.iter().flat_map(|h| &h.members));
            for r in residents {
                masker.add(PersonalKind::Shimei, &r.shimei);
                masker.add(PersonalKind::Shimei, &r.shimei_kana);
                masker.add(PersonalKind::Seinengappi, &r.seinengappi.to_string());
                masker.add(PersonalKind::Jusho, &r.jusho.zenbun);
                masker.add(PersonalKind::KojinBango, &r.kojin_bango.to_string());
                masker.add(PersonalKind::JuminhyoCode, &r.juminhyo_code.to_string());
            }
        }
        if let Some(live) = self.live.take() {
            live.stack.shutdown().await;
        }
    }
}

fn params_text(params: &[(&'static str, serde_json::Value)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `HH:MM` (the config's times of day).
fn hh_mm(t: time::Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(renkei_fixtures::JST)
        .format(&time::format_description::well_known::Rfc3339)
        .expect("times format")
}

/// The 業務システム of every scenario: one per procedure category (ING-18), the 子育て one keyed
/// by 団体内統合宛名番号 and the others by 宛名番号 (ING-11).
pub fn gyomu_systems(catalogs: &Catalogs) -> Vec<GyomuSystem> {
    use renkei_fixtures::catalog::Category;
    [
        (Category::Kosodate, "児童福祉システム", "団体内統合宛名番号"),
        (Category::Kaigo, "介護保険システム", "宛名番号"),
        (Category::Hisai, "被災者支援システム", "宛名番号"),
    ]
    .into_iter()
    .map(|(category, name, key)| GyomuSystem {
        name: name.into(),
        key: key.into(),
        tetsuzuki: catalogs
            .procedures
            .iter()
            .filter(|p| p.category == category)
            .map(|p| p.id.clone())
            .collect(),
    })
    .collect()
}

/// The staff of every scenario (ING-21).
pub fn shokuin() -> Vec<Shokuin> {
    vec![
        Shokuin {
            id: "shinsa01".into(),
            name: "審査 一郎".into(),
            tetsuzuki: Vec::new(),
        },
        Shokuin {
            id: "kosodate01".into(),
            name: "子育 花子".into(),
            tetsuzuki: vec!["kosodate-01".into(), "kosodate-10".into()],
        },
    ]
}
