//! ESXi release versions: takes every form VMware's own output and
//! documents use (`7.0.3`, `8.0 U2`, `8.0U1c`, `8.0 Update 1`,
//! `8.0.1 build-21495797`, `VMware ESXi 8.0.1 build-21495797`, as
//! `vmware -vl` and `esxcli system version get` print them), gives an
//! ordered (major, minor, update) value. Not semver: an update letter or
//! `U` is not a pre-release; the build number does not order releases.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    pub parts: [u32; 3],
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.parts[0], self.parts[1], self.parts[2])
    }
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let lower = text.trim().to_ascii_lowercase();
        let mut t = lower.as_str();
        for prefix in ["vmware", "esxi"] {
            t = t.strip_prefix(prefix).unwrap_or(t).trim_start();
        }
        // `8.0.1 build-21495797`, `8.0.1, build 21495797`
        if let Some(i) = t.find("build") {
            let build = t.get(i + 5..)?.trim_start_matches([' ', '-']);
            if build.is_empty() || !build.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            t = t.get(..i)?.trim_end().trim_end_matches(',').trim_end();
        }
        let t = t.strip_suffix(" ga").unwrap_or(t);
        let t = t.replacen("update", "u", 1);
        let (main, update) = match t.find('u') {
            Some(i) => (t.get(..i)?.trim(), Some(t.get(i + 1..)?.trim())),
            None => (t.trim(), None),
        };
        let mut parts = [0u32; 3];
        let mut n = 0;
        for (i, piece) in main.split('.').enumerate() {
            if i >= 3 {
                return None;
            }
            let digits: String = piece.chars().take_while(|c| c.is_ascii_digit()).collect();
            let rest = &piece[digits.len()..];
            // a patch letter (`7.0.3c`) is allowed on the last field only
            if digits.is_empty()
                || !(rest.is_empty()
                    || (rest.len() == 1 && rest.chars().all(|c| c.is_ascii_lowercase())))
            {
                return None;
            }
            *parts.get_mut(i)? = digits.parse().ok()?;
            n = i + 1;
        }
        if n < 1 {
            return None;
        }
        if let Some(u) = update {
            let digits: String = u.chars().take_while(|c| c.is_ascii_digit()).collect();
            // `U1c`: a patch letter may follow the update
            let rest = &u[digits.len()..];
            if n > 2
                || digits.is_empty()
                || rest.len() > 1
                || rest.chars().any(|c| !c.is_ascii_lowercase())
            {
                return None;
            }
            parts[2] = digits.parse().ok()?;
        }
        Some(Version { parts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_compare_in_release_order() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(v("8.0 U2"), v("8.0.2"));
        assert_eq!(v("8.0U1"), v("8.0.1"));
        assert!(v("7.0.3c") == v("7.0.3"));
        assert!(v("7.0.2") < v("7.0.3"));
        assert!(v("8.0") < v("8.0.1"));
        assert!(v("6.7.0") < v("7"));
        assert_eq!(Version::parse("vmx-19"), None);
        assert_eq!(Version::parse(""), None);
    }

    #[test]
    fn every_form_vmware_prints_reads_as_its_release() {
        let want = Version::parse("8.0.1");
        for form in [
            "8.0.1",
            "8.0 U1",
            "8.0 Update 1",
            "8.0U1c",
            "8.0 u1",
            "8.0.1 build-21495797",
            "VMware ESXi 8.0.1 build-21495797",
            "VMware ESXi 8.0 Update 1",
            "ESXi 8.0.1",
            "8.0.1, build 21495797",
        ] {
            assert_eq!(Version::parse(form), want, "{form}");
        }
        assert_eq!(Version::parse("7.0 Update 3"), Version::parse("7.0.3"));
        assert_eq!(Version::parse("8.0 GA"), Version::parse("8.0.0"));
        for bad in [
            "8.0 Update",
            "8.0 U1xyz",
            "8.0.1 build-",
            "eight",
            "8.0.1 build-abc",
            "1.2.3.4",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }
}
