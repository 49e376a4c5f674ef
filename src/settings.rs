//! Settings: what one run uses, resolved from the configuration file and
//! the command line's flags, without writing the flags into the loaded
//! configuration (as ripgrep keeps raw flags and resolved settings apart).

use crate::config::Config;

pub struct Settings {
    pub config: Config,
    /// `--select`: replaces the configuration's `select`. Upper-cased and
    /// checked against the rule set by the command.
    pub select: Option<Vec<String>>,
    /// `--ignore`: added to the configuration's `ignore`.
    pub ignore: Vec<String>,
}

impl Settings {
    /// The configuration alone, as `vmlint test` runs it.
    pub fn of(config: Config) -> Settings {
        Settings {
            config,
            select: None,
            ignore: Vec::new(),
        }
    }

    /// Whether `code` runs: `select` (rule codes only; default all), then
    /// `ignore`. Engine codes always run unless ignored.
    pub fn enabled(&self, code: &str) -> bool {
        let cfg = &self.config;
        let selected = code.starts_with("VL")
            || match &self.select {
                Some(list) => list.iter().any(|p| code.starts_with(p.as_str())),
                None => {
                    cfg.select.is_empty()
                        || cfg
                            .select
                            .iter()
                            .any(|p| code.starts_with(p.value.as_str()))
                }
            };
        let ignored = cfg
            .ignore
            .iter()
            .any(|p| code.starts_with(p.value.as_str()))
            || self.ignore.iter().any(|p| code.starts_with(p.as_str()));
        selected && !ignored
    }
}
