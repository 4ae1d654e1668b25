//! `spin-local build`: runs each component's `[component.x.build]` commands
//! through `sh -c` in its `workdir`, in manifest order, as `spin build` does.

use anyhow::{bail, Context, Result};

use crate::manifest::Manifest;

pub fn build(manifest: &Manifest, only: &[String]) -> Result<()> {
    for id in only {
        if !manifest.components.contains_key(id) {
            bail!("no component `{id}` in the manifest");
        }
    }
    for (id, component) in &manifest.components {
        if !only.is_empty() && !only.contains(id) {
            continue;
        }
        let Some(build) = &component.build else {
            eprintln!("[spin-local] component `{id}` has no build command");
            continue;
        };
        let workdir = match &build.workdir {
            Some(w) => manifest.dir.join(w),
            None => manifest.dir.clone(),
        };
        for command in build.command.commands() {
            eprintln!("[spin-local] building `{id}`: {command}");
            let status = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(&workdir)
                .status()
                .with_context(|| format!("cannot run the build command of `{id}`"))?;
            if !status.success() {
                bail!("build of component `{id}` failed ({status})");
            }
        }
    }
    Ok(())
}
