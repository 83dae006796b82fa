//! `renkei-reference-vendor`: ライブラリの [`renkei_reference_vendor::main_with_args`] を呼ぶだけの薄いバイナリ。

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    renkei_reference_vendor::main_with_args(&args)
}
