//! VMs kept for the cross-VM pass, as bytes.
//!
//! A VM checked as it loads is kept only when a rule reads `host.vms`, and
//! then only with the fields those rules read ([`Vm::keep_only`]). Kept as
//! a record it would still cost some 560 bytes and five allocations, left
//! among the pages loading frees; packed (postcard: integers as varints,
//! strings as their bytes) it costs about a hundred bytes in one buffer.
//! The cross-VM pass unpacks the VMs of one part of the estate at a time
//! and lets them go once that part is checked.

use super::Vm;

/// VMs packed one after another, in blocks: a block is filled by one
/// loading thread and moved whole when the threads' results are joined,
/// never copied into a bigger one.
#[derive(Default)]
pub struct Packed {
    blocks: Vec<Vec<u8>>,
    /// Where each VM is: its block, and where it ends in it.
    ends: Vec<(u32, u32)>,
}

impl Packed {
    /// Packs a VM after the others. Every field of the model has bytes (no
    /// map, no sequence of unknown length), so packing does not fail; were
    /// it to, the VM would read back as `None`, never as another VM.
    pub fn push(&mut self, vm: &Vm) {
        // a block holds at most 4 GiB, so that an end fits 32 bits
        if self.blocks.last().is_none_or(|b| b.len() >= BLOCK_LIMIT) {
            self.blocks.push(Vec::new());
        }
        let block = u32::try_from(self.blocks.len() - 1).unwrap_or(u32::MAX);
        let Some(b) = self.blocks.last_mut() else {
            return;
        };
        let start = b.len();
        // written straight after the others, no buffer of its own
        if postcard::to_extend(vm, Tail(b)).is_err() {
            debug_assert!(false, "a VM of the model has no bytes");
            b.truncate(start);
        }
        let end = u32::try_from(b.len()).unwrap_or(u32::MAX);
        self.ends.push((block, end));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`th VM, unpacked.
    pub fn get(&self, i: usize) -> Option<Vm> {
        let (block, end) = *self.ends.get(i)?;
        let start = match i.checked_sub(1).and_then(|p| self.ends.get(p)) {
            Some((b, e)) if *b == block => *e,
            _ => 0,
        };
        let bytes = self.blocks.get(block as usize)?;
        postcard::from_bytes(bytes.get(start as usize..end as usize)?).ok()
    }

    /// Moves the VMs of `other` after these: its blocks move whole.
    pub fn append(&mut self, other: Packed) {
        let base = u32::try_from(self.blocks.len()).unwrap_or(u32::MAX);
        self.blocks.extend(other.blocks);
        self.ends.extend(
            other
                .ends
                .into_iter()
                .map(|(b, e)| (b.saturating_add(base), e)),
        );
    }

    /// Gives back the room the blocks grew into beyond what they hold, a
    /// block at a time.
    pub fn shrink_to_fit(&mut self) {
        for b in &mut self.blocks {
            b.shrink_to_fit();
        }
        self.blocks.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// Where a block stops taking VMs: well below 4 GiB, so that a VM of any
/// size written after it still ends within 32 bits.
const BLOCK_LIMIT: usize = 1 << 31;

/// The end of a block, as postcard's writer.
struct Tail<'a>(&'a mut Vec<u8>);

impl Extend<u8> for Tail<'_> {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, bytes: I) {
        self.0.extend(bytes);
    }
}

/// `Vm::unknown` names fields by the schema's static names: packed as
/// text, unpacked as the schema's name again (a name the schema does not
/// have is one no rule can ask about, so it is not kept).
pub mod unknown_fields {
    use crate::schema::types::RecordType;
    use crate::source::Span;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type Entry = (RecordType, &'static str, Span);

    pub fn serialize<S: Serializer>(v: &[Entry], s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Entry>, D::Error> {
        let read: Vec<(RecordType, String, Span)> = Vec::deserialize(d)?;
        Ok(read
            .into_iter()
            .filter_map(|(on, name, at)| {
                crate::schema::fields::names(on)
                    .find(|n| *n == name)
                    .map(|n| (on, n, at))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::Packed;
    use crate::config::Config;
    use crate::source::SourceMap;
    use std::path::PathBuf;

    /// Every VM the loaders make of the project's fixtures (every format,
    /// with settings, raw keys, unknown values, selectors and addresses)
    /// unpacks as it was packed, field for field.
    #[test]
    fn a_vm_unpacks_as_it_was_packed() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let cfg = Config::default_in(root.clone());
        let found = crate::discover::discover(&[root], &cfg.exclude, &cfg.dir, false).files;
        let sources = SourceMap::default();
        let mut packed = Packed::default();
        let mut want = Vec::new();
        for (path, d) in &found {
            for mut vm in crate::load::load_path(&sources, path, *d, &cfg).vms {
                if want.len() % 2 == 1 {
                    // kept VMs are packed with only what cross-VM rules read
                    vm.keep_only(&|f| f == "passthrough" || f == "name");
                }
                packed.push(&vm);
                want.push(format!("{vm:?}"));
            }
        }
        assert!(want.len() > 100, "the fixtures hold {} VMs", want.len());
        let mut other = Packed::default();
        other.append(packed);
        assert_eq!(other.len(), want.len());
        for (i, w) in want.iter().enumerate() {
            let got = other.get(i).map(|vm| format!("{vm:?}"));
            assert_eq!(got.as_deref(), Some(w.as_str()), "VM {i}");
        }
        assert!(other.get(want.len()).is_none());
    }
}
