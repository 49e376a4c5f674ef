//! The IR as bytes: how the embedded rule pack ships compiled, so a run
//! does not parse and check 48 KB of rules before it reads one file (most
//! of the time of a pre-commit run on one `.vmx`).
//!
//! The bytes start with the fingerprint of the sources they were compiled
//! from (the pack, the grammar, the language, the IR and the schema, which
//! the build script hashes): bytes compiled from other sources, and bytes
//! that do not decode, give `None`, and the caller compiles the text.
//! Spans carry no file: decoding places them in the file it is given.
//! Integers are LEB128, signed ones zigzagged; a length is bounded by the
//! bytes left and nesting by [`MAX_DEPTH`], so no bytes can make the
//! decoder allocate past their size or recurse past the stack.

use super::*;
use crate::model::{PciAddr, Version};
use crate::schema::value::Value;
use crate::source::FileId;
use std::borrow::Cow;

const MAGIC: &[u8] = b"vmlint-ir\n";

/// Deepest expression a compiled pack may hold (the checker's bound on
/// the depth a rule's expressions reach, with predicates inlined, is far
/// below); bytes nested deeper do not decode.
const MAX_DEPTH: usize = 512;

/// The rules as bytes, stamped with `inputs`; `None` when a rule holds a
/// value that has no bytes (a record of the model: never a literal). The
/// test that writes the compiled pack calls it; the binary only decodes.
#[cfg_attr(not(test), allow(dead_code))]
pub fn encode(rules: &[Rule], inputs: &str) -> Option<Vec<u8>> {
    let mut w = Writer(MAGIC.to_vec());
    inputs.to_string().put(&mut w)?;
    w.seq(rules)?;
    Some(w.0)
}

/// What a compiled pack holds: its rules, and their regular expressions,
/// not compiled yet (the caller may compile them ahead of need).
pub struct Decoded {
    pub rules: Vec<Rule>,
    pub patterns: Vec<Arc<Pattern>>,
}

/// The rules `bytes` hold, their spans in `file`, if they were compiled
/// from `inputs` and decode to the end.
pub fn decode(bytes: &[u8], inputs: &str, file: FileId) -> Option<Decoded> {
    let mut r = Reader {
        bytes: bytes.strip_prefix(MAGIC)?,
        file,
        patterns: Vec::new(),
        depth: 0,
    };
    if String::get(&mut r)? != inputs {
        return None;
    }
    let rules = Vec::<Rule>::get(&mut r)?;
    r.bytes.is_empty().then_some(Decoded {
        rules,
        patterns: r.patterns,
    })
}

#[cfg_attr(not(test), allow(dead_code))]
struct Writer(Vec<u8>);

#[cfg_attr(not(test), allow(dead_code))]
impl Writer {
    fn uint(&mut self, mut n: u64) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.0.push(low);
                return;
            }
            self.0.push(low | 0x80);
        }
    }

    fn tag(&mut self, t: u8) {
        self.0.push(t);
    }

    fn seq<T: Code>(&mut self, items: &[T]) -> Option<()> {
        self.uint(items.len() as u64);
        items.iter().try_for_each(|x| x.put(self))
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    file: FileId,
    patterns: Vec<Arc<Pattern>>,
    /// How deep in an expression the reader is.
    depth: usize,
}

impl<'a> Reader<'a> {
    fn tag(&mut self) -> Option<u8> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b)
    }

    fn uint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.tag()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    /// A count of items, each at least a byte long.
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.uint()?).ok()?;
        (n <= self.bytes.len()).then_some(n)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.bytes.split_at_checked(n)?;
        self.bytes = rest;
        Some(head)
    }
}

/// A type the IR is made of, to bytes and back.
trait Code: Sized {
    fn put(&self, w: &mut Writer) -> Option<()>;
    fn get(r: &mut Reader<'_>) -> Option<Self>;
}

impl Code for bool {
    fn put(&self, w: &mut Writer) -> Option<()> {
        w.tag(u8::from(*self));
        Some(())
    }
    fn get(r: &mut Reader<'_>) -> Option<bool> {
        match r.tag()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Code for $t {
            fn put(&self, w: &mut Writer) -> Option<()> {
                w.uint(u64::try_from(*self).ok()?);
                Some(())
            }
            fn get(r: &mut Reader<'_>) -> Option<$t> {
                <$t>::try_from(r.uint()?).ok()
            }
        }
    )*};
}
unsigned!(u8, u16, u32, usize);

impl Code for i64 {
    fn put(&self, w: &mut Writer) -> Option<()> {
        w.uint(((*self << 1) ^ (*self >> 63)) as u64);
        Some(())
    }
    fn get(r: &mut Reader<'_>) -> Option<i64> {
        let n = r.uint()?;
        Some(((n >> 1) as i64) ^ -((n & 1) as i64))
    }
}

impl Code for String {
    fn put(&self, w: &mut Writer) -> Option<()> {
        w.uint(self.len() as u64);
        w.0.extend_from_slice(self.as_bytes());
        Some(())
    }
    fn get(r: &mut Reader<'_>) -> Option<String> {
        let n = r.len()?;
        String::from_utf8(r.take(n)?.to_vec()).ok()
    }
}

/// The name of a field of the model: one of the field table's own.
impl Code for &'static str {
    fn put(&self, w: &mut Writer) -> Option<()> {
        self.to_string().put(w)
    }
    fn get(r: &mut Reader<'_>) -> Option<&'static str> {
        let name = String::get(r)?;
        crate::schema::fields::FIELDS
            .iter()
            .map(|f| f.name)
            .find(|n| *n == name)
    }
}

impl<T: Code> Code for Vec<T> {
    fn put(&self, w: &mut Writer) -> Option<()> {
        w.seq(self)
    }
    fn get(r: &mut Reader<'_>) -> Option<Vec<T>> {
        let n = r.len()?;
        (0..n).map(|_| T::get(r)).collect()
    }
}

impl<T: Code> Code for Option<T> {
    fn put(&self, w: &mut Writer) -> Option<()> {
        match self {
            None => {
                w.tag(0);
                Some(())
            }
            Some(x) => {
                w.tag(1);
                x.put(w)
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Option<T>> {
        match r.tag()? {
            0 => Some(None),
            1 => Some(Some(T::get(r)?)),
            _ => None,
        }
    }
}

impl<T: Code> Code for Box<T> {
    fn put(&self, w: &mut Writer) -> Option<()> {
        (**self).put(w)
    }
    fn get(r: &mut Reader<'_>) -> Option<Box<T>> {
        T::get(r).map(Box::new)
    }
}

impl<A: Code, B: Code> Code for (A, B) {
    fn put(&self, w: &mut Writer) -> Option<()> {
        self.0.put(w)?;
        self.1.put(w)
    }
    fn get(r: &mut Reader<'_>) -> Option<(A, B)> {
        Some((A::get(r)?, B::get(r)?))
    }
}

impl Code for Span {
    fn put(&self, w: &mut Writer) -> Option<()> {
        self.start.put(w)?;
        self.end.put(w)
    }
    fn get(r: &mut Reader<'_>) -> Option<Span> {
        let (start, end) = (u32::get(r)?, u32::get(r)?);
        let file = r.file;
        (start <= end).then_some(Span { file, start, end })
    }
}

/// A regular expression is its pattern, compiled again as the checker
/// does, when first needed.
impl Code for Arc<Pattern> {
    fn put(&self, w: &mut Writer) -> Option<()> {
        self.as_str().to_string().put(w)
    }
    fn get(r: &mut Reader<'_>) -> Option<Arc<Pattern>> {
        let p = Arc::new(Pattern::deferred(String::get(r)?));
        r.patterns.push(Arc::clone(&p));
        Some(p)
    }
}

/// An enum without fields: the index of its variant in the list.
macro_rules! variants {
    ($t:ty: $($v:expr),+ $(,)?) => {
        impl Code for $t {
            fn put(&self, w: &mut Writer) -> Option<()> {
                let i = [$($v),+].iter().position(|v| v == self)?;
                w.tag(u8::try_from(i).ok()?);
                Some(())
            }
            fn get(r: &mut Reader<'_>) -> Option<$t> {
                [$($v),+].get(usize::from(r.tag()?)).copied()
            }
        }
    };
}

/// A struct: its fields in the order listed (a struct expression
/// evaluates its fields in the order written).
macro_rules! fields {
    ($t:ident { $($f:ident),+ $(,)? }) => {
        impl Code for $t {
            fn put(&self, w: &mut Writer) -> Option<()> {
                $(self.$f.put(w)?;)+
                Some(())
            }
            fn get(r: &mut Reader<'_>) -> Option<$t> {
                Some($t { $($f: Code::get(r)?),+ })
            }
        }
    };
}

mod types;
