//! What a rule's regular expressions answered, remembered per thread.
//!
//! Descriptors repeat their keys from file to file (every `.vmx` of an
//! estate has `pciBridge4.present`, every passthrough VM `pciPassthru0.id`),
//! so most questions a rule asks of a key were asked on an earlier file.
//! The memo is a fixed table of short texts, one answer per slot, replaced
//! on a collision: bounded memory, no growth, and an answer only ever for
//! the same pattern and the same text (a pattern's id is unique in the
//! process, so a rule set loaded later never meets an earlier one's
//! answers).

use std::cell::RefCell;
use std::ops::Range;

/// Slots per thread (a power of two).
const SLOTS: usize = 4096;
/// Longer texts are not remembered: keys are short, long values rarely repeat.
const MAX_TEXT: usize = 48;

/// An answer: whether the pattern matches, or the range its `capture` takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Answer {
    Matches(bool),
    Capture(Option<(u32, u32)>),
}

impl Answer {
    pub fn range(self) -> Option<Range<usize>> {
        match self {
            Answer::Capture(Some((s, e))) => Some(s as usize..e as usize),
            _ => None,
        }
    }
}

/// Which question was asked (a pattern may be asked both).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Question {
    Matches,
    Capture,
}

struct Entry {
    pattern: u64,
    question: Question,
    len: u8,
    text: [u8; MAX_TEXT],
    answer: Answer,
}

thread_local! {
    static MEMO: RefCell<Vec<Option<Entry>>> = const { RefCell::new(Vec::new()) };
}

/// The answer for `text`, from the memo or from `work` (then remembered).
pub fn answer(
    pattern: u64,
    question: Question,
    text: &str,
    work: impl FnOnce() -> Answer,
) -> Answer {
    let bytes = text.as_bytes();
    if bytes.len() > MAX_TEXT {
        return work();
    }
    let slot = slot_of(pattern, question, bytes);
    let hit = MEMO.with(|m| {
        let m = m.borrow();
        match m.get(slot) {
            Some(Some(e))
                if e.pattern == pattern
                    && e.question == question
                    && e.text.get(..usize::from(e.len)) == Some(bytes) =>
            {
                Some(e.answer)
            }
            _ => None,
        }
    });
    if let Some(a) = hit {
        return a;
    }
    let a = work();
    let mut stored = [0u8; MAX_TEXT];
    if let Some(dst) = stored.get_mut(..bytes.len()) {
        dst.copy_from_slice(bytes);
    }
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.is_empty() {
            m.resize_with(SLOTS, || None);
        }
        if let Some(s) = m.get_mut(slot) {
            *s = Some(Entry {
                pattern,
                question,
                len: u8::try_from(bytes.len()).unwrap_or(u8::MAX),
                text: stored,
                answer: a,
            });
        }
    });
    a
}

fn slot_of(pattern: u64, question: Question, text: &[u8]) -> usize {
    use std::hash::BuildHasher;
    let h = foldhash::fast::FixedState::with_seed(0x766d_6c69_6e74).hash_one((
        pattern,
        question == Question::Capture,
        text,
    ));
    (h as usize) & (SLOTS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_only_ever_for_the_same_pattern_question_and_text() {
        let (m, c) = (Question::Matches, Question::Capture);
        let yes = Answer::Matches(true);
        let no = Answer::Matches(false);
        let none = Answer::Capture(None);
        let key = "pciBridge4.present";
        let long = "x".repeat(MAX_TEXT + 1);
        // (pattern, question, text, what the work answers, what is answered, whether it worked)
        let cases = [
            (1, m, key, yes, yes, true),
            // remembered: the work is not done again
            (1, m, key, no, yes, false),
            // another pattern, question or text is asked afresh
            (2, m, key, no, no, true),
            (1, c, key, none, none, true),
            (1, m, "pciBridge4.presenT", no, no, true),
            (1, m, "pciBridge4.presen", no, no, true),
            // a text too long to remember is asked every time
            (1, m, long.as_str(), yes, yes, true),
            (1, m, long.as_str(), no, no, true),
        ];
        for (pattern, question, text, work, want, worked) in cases {
            let mut done = false;
            let got = answer(pattern, question, text, || {
                done = true;
                work
            });
            assert_eq!((got, done), (want, worked), "{pattern} {text}");
        }
    }

    #[test]
    fn colliding_texts_replace_each_other_and_never_share_an_answer() {
        // far more texts than slots: every one still gets its own answer
        for round in 0..2 {
            for i in 0..(SLOTS * 3) {
                let t = format!("key{i}");
                let want = Answer::Matches(i % 3 == 0);
                let got = answer(7, Question::Matches, &t, || want);
                assert_eq!(got, want, "{t} in round {round}");
            }
        }
    }
}
