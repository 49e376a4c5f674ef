//! Reproducible pseudo-random numbers for the tests that compare two ways
//! of doing one thing on many generated inputs.

/// A xorshift generator from `seed` (not zero): each call gives a number
/// below its argument.
pub fn numbers(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    }
}
