//! The site the pages load their styles, script and WASM from: the settings in `Leptos.toml`
//! (read from the working directory at start; built-in values without it), with appreg's own
//! site root and address over them.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use leptos::config::{Env, LeptosOptions};

/// The site settings file, in the working directory.
pub const LEPTOS_TOML: &str = "Leptos.toml";

/// The file in which the build lists the hashes in the site's file names. `hash-file-name` in
/// Cargo.toml puts it in the site root, so it always describes the site beside it, whichever
/// build (debug or release) made that site last.
const HASH_FILE: &str = "hash.txt";

/// The site settings: `Leptos.toml` in the working directory when there is one, else the same
/// values built in (the file is a development convenience; a deployment may go without it).
pub fn settings() -> anyhow::Result<LeptosOptions> {
    settings_in(Path::new(LEPTOS_TOML))
}

fn settings_in(file: &Path) -> anyhow::Result<LeptosOptions> {
    if !file.is_file() {
        return Ok(built_in());
    }
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the site settings {}", file.display()))?;
    leptos::config::get_config_from_str(&text)
        .with_context(|| format!("the site settings {} are not valid", file.display()))
}

/// What `Leptos.toml` says, for a desk started without it.
fn built_in() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("appreg")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .site_addr(SocketAddr::from(([127, 0, 0, 1], 3000)))
        .env(Env::PROD)
        .build()
}

/// The settings pages render with: `base` with the site under `site_root`, listening on
/// `address`, and its files' hashed names when the build left a [`HASH_FILE`] there.
pub fn options(base: &LeptosOptions, site_root: &Path, address: SocketAddr) -> LeptosOptions {
    let hash_file = std::path::absolute(site_root.join(HASH_FILE))
        .unwrap_or_else(|_| site_root.join(HASH_FILE));
    let mut options = base.clone();
    options.site_root = Arc::from(site_root.display().to_string());
    options.site_addr = address;
    // No live reload: the desk serves built files.
    options.env = Env::PROD;
    // Leptos reads this path joined to the executable's folder: an absolute path replaces it.
    options.hash_files = hash_file.is_file();
    options.hash_file = Arc::from(hash_file.display().to_string());
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_file(name: &str) -> String {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name))
            .unwrap()
    }

    #[test]
    fn leptos_toml_is_in_step_with_the_build_settings_in_cargo_toml() {
        let site: toml::Value = toml::from_str(&workspace_file(LEPTOS_TOML)).unwrap();
        let site = &site["package"]["metadata"]["leptos"];
        let cargo: toml::Value = toml::from_str(&workspace_file("Cargo.toml")).unwrap();
        let build = &cargo["workspace"]["metadata"]["leptos"][0];
        assert_eq!(site["output-name"], build["name"]);
        for key in [
            "site-root",
            "site-pkg-dir",
            "site-addr",
            "reload-port",
            "hash-files",
            "hash-file-name",
        ] {
            assert_eq!(site.get(key), build.get(key), "{key}");
        }
    }

    #[test]
    fn leptos_toml_says_what_the_built_in_settings_say() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(LEPTOS_TOML);
        std::fs::write(&file, workspace_file(LEPTOS_TOML)).unwrap();
        let read = settings_in(&file).unwrap();
        let built_in = built_in();
        assert_eq!(read.output_name, built_in.output_name);
        assert_eq!(read.site_root, built_in.site_root);
        assert_eq!(read.site_pkg_dir, built_in.site_pkg_dir);
        assert_eq!(read.site_addr, built_in.site_addr);
        assert_eq!(
            settings_in(&dir.path().join("none.toml"))
                .unwrap()
                .site_pkg_dir,
            built_in.site_pkg_dir
        );
        std::fs::write(
            &file,
            "[package.metadata.leptos]\nsite-addr = \"not an address\"\n",
        )
        .unwrap();
        assert!(settings_in(&file).is_err());
    }

    #[test]
    fn a_site_built_with_hashes_is_rendered_with_them() {
        let address = "127.0.0.1:3000".parse().unwrap();
        let site = tempfile::tempdir().unwrap();
        let unhashed = options(&built_in(), site.path(), address);
        assert!(!unhashed.hash_files);
        std::fs::write(site.path().join(HASH_FILE), "js: a\nwasm: b\ncss: c\n").unwrap();
        let hashed = options(&built_in(), site.path(), address);
        assert!(hashed.hash_files);
        assert!(Path::new(hashed.hash_file.as_ref()).is_absolute());
        assert_eq!(
            std::fs::read_to_string(hashed.hash_file.as_ref()).unwrap(),
            "js: a\nwasm: b\ncss: c\n"
        );
    }
}
