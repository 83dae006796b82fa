//! `renkei serve`: the national side of a scenario on fixed, documented ports until Ctrl-C.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::scenario::Scenario;
use renkei_simulator::stack::{Ports, Stack, StackOptions};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Scenario file (docs/scenario.md); the embedded default scenario when omitted.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port of the ぴったりサービス download API; the 連携サーバ, 住基ネットCS, 中間サーバー and admin
    /// API use the next ones (+1, +2, +3, +10). 0 puts every simulator on a free port.
    #[arg(long, default_value_t = Ports::DEFAULT.pittari)]
    pub port: u16,
    /// Let the clock run from the scenario's start (default: frozen there; move it with the admin API).
    #[arg(long)]
    pub running_clock: bool,
    /// Keep state in DIR/renkei.sqlite and resume from it on the next start (in memory without it).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Serve the ぴったりサービス download API over https, with a certificate of renkei's test CA
    /// (fetch the CA from the admin API's /admin/v1/pittari/ca.pem, or DIR/pittari-tls/ca.pem
    /// with --data); plain http without it.
    #[arg(long)]
    pub tls: bool,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let scenario = match &args.scenario {
        None => Scenario::default_scenario(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("シナリオ {} を読めません", path.display()))?;
            Scenario::from_toml(&text).with_context(|| path.display().to_string())?
        }
    };
    let expanded = scenario.expand(Catalogs::embedded())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let (reload, mut reloads) = tokio::sync::mpsc::channel(1);
        let options = StackOptions {
            // Port 0: every simulator on a free port (they are printed).
            ports: if args.port == 0 {
                Ports {
                    bind: args.bind,
                    ..Ports::EPHEMERAL
                }
            } else {
                Ports {
                    bind: args.bind,
                    pittari: args.port,
                    proxy: args.port.saturating_add(1),
                    jukinet: args.port.saturating_add(2),
                    chukan: args.port.saturating_add(3),
                    admin: args.port.saturating_add(10),
                }
            },
            frozen_clock: !args.running_clock,
            data_dir: args.data.clone(),
            reload: Some(reload),
            pittari_tls: args.tls,
            ..StackOptions::default()
        };
        let mut stack = Stack::start(&expanded, options.clone()).await?;
        print_banner(&stack, &expanded, args.data.as_deref());
        loop {
            tokio::select! {
                signal = tokio::signal::ctrl_c() => {
                    signal?;
                    break;
                }
                Some(load) = reloads.recv() => {
                    // POST /admin/v1/scenario: every simulator again, with the new scenario.
                    println!("シナリオを読み込み直します: {}", load.expanded.scenario.name);
                    stack.shutdown().await;
                    stack = Stack::start(&load.expanded, options.clone()).await?;
                    print_banner(&stack, &load.expanded, args.data.as_deref());
                }
            }
        }
        println!("停止します…");
        stack.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn print_banner(
    stack: &Stack,
    expanded: &renkei_fixtures::scenario::Expanded,
    data: Option<&std::path::Path>,
) {
    let a = &stack.addresses;
    println!("renkei serve — {}", stack.scenario_name);
    if stack.resumed {
        println!("  状態            前回の状態ファイルから再開しました");
    }
    println!(
        "  時計            {} ({})",
        stack.clock.now(),
        if stack.clock.is_frozen() {
            "停止中: 管理APIで進めます"
        } else {
            "進行中"
        }
    );
    println!(
        "  ぴったりサービス {}/pittari/v1/   (docs/pittari-api.md)",
        stack.pittari_url()
    );
    if stack.pittari_ca_pem.is_some() {
        let file = data.map_or_else(String::new, |dir| {
            format!(
                " または {}",
                dir.join(renkei_simulator::pittari::tls::CA_FILE).display()
            )
        });
        println!(
            "  TLS の CA       http://{}/admin/v1/pittari/ca.pem{file}",
            a.admin
        );
    }
    println!(
        "  連携サーバ      http://{}            (HTTP プロキシ: docs/renkei-server-proxy.md)",
        a.proxy
    );
    println!(
        "  住基ネットCS    http://{}/jukinet/v1/  (docs/jukinet-cs-api.md)",
        a.jukinet
    );
    println!(
        "  中間サーバー    https://{}/ws/          (相互TLS: docs/chukan-api.md)",
        a.chukan
    );
    println!(
        "  管理API         http://{}/admin/v1/    (docs/serve.md)",
        a.admin
    );
    println!("  申請            {} 件", expanded.applications.len());
    if let Some(pittari) = &expanded.scenario.pittari {
        for account in &pittari.accounts {
            println!(
                "  アカウント      {} / {} ({})",
                account.login_id,
                account.password,
                account.role.as_str()
            );
        }
    }
    for (code, key) in &stack.jukinet_keys {
        println!("  住基CSキー      {code}: {key}");
    }
    for tenant in stack.chukan.tenants() {
        println!(
            "  中間サーバー    {} {} ({}環境): 証明書は http://{}/admin/v1/chukan/tenants/{}/client.pem",
            tenant.kikan(),
            tenant.dantai.name,
            tenant.mode.label(),
            a.admin,
            tenant.kikan()
        );
    }
    println!("Ctrl-C で停止します。");
}
