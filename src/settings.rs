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
    /// `--shard K/N`: report only the K-th of N parts (K from 1).
    pub shard: Option<Shard>,
}

/// One part of an estate cut for a CI matrix: every cluster, or host
/// outside a cluster, with all the VMs placed on it, falls in one part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// `K/N` with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not K/N, such as 2/4"))?;
        let index: u32 = k
            .trim()
            .parse()
            .map_err(|_| format!("`{k}` in `{text}` is not a number"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` in `{text}` is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("`{text}`: K must be from 1 to N, and N at least 1"));
        }
        Ok(Shard { index, count })
    }

    /// Whether the unit named `unit` (`cluster:NAME`, `host:NAME`, or a
    /// file's path) falls in this part: by a hash that is the same on
    /// every machine and for every release.
    pub fn owns(self, unit: &str) -> bool {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in unit.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl Settings {
    /// The configuration alone, as `vmlint test` runs it.
    pub fn of(config: Config) -> Settings {
        Settings {
            config,
            select: None,
            ignore: Vec::new(),
            shard: None,
        }
    }

    /// Whether an opt-in rule is selected: its very code is in `select`
    /// (a prefix such as `PT` does not turn one on).
    pub fn opted_in(&self, code: &str) -> bool {
        match &self.select {
            Some(list) => list.iter().any(|p| p == code),
            None => self.config.select.iter().any(|p| p.value == code),
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
