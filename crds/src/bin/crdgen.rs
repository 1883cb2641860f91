//! crdgen: prints every ironbind CRD as one multi-document YAML stream, or
//! with `--out DIR` writes one file per kind (`<plural>.bindy.firestoned.io.yaml`)
//! and a `kustomization.yaml` listing them.

use std::path::PathBuf;
use std::process::ExitCode;

use ironbind_crds::generate;

const USAGE: &str = "usage: crdgen [--out DIR]\n  without --out: print all CRDs as one multi-document YAML stream\n  --out DIR: write DIR/<plural>.bindy.firestoned.io.yaml per kind and DIR/kustomization.yaml";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.as_slice() {
        [] => None,
        [flag, dir] if flag == "--out" => Some(PathBuf::from(dir)),
        [flag] if flag == "-h" || flag == "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let crds = generate::crds();
    let result = match out {
        None => generate::multi_document(&crds).map(|yaml| print!("{yaml}")),
        Some(dir) => generate::write_dir(&dir, &crds).map(|paths| {
            for p in paths {
                eprintln!("wrote {}", p.display());
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crdgen: {e}");
            ExitCode::FAILURE
        }
    }
}
