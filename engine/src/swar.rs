//! Byte-class tests eight bytes at a time in a `u64` (SWAR, "SIMD within a
//! register"), for the scanners that look at every byte of a log line: word
//! starts in the client-error lookup, reply-code digits in the reply finder.
//! Each byte's answer lands in its top bit; no branch per byte, no `unsafe`.

/// The top bit of every byte.
const HI: u64 = 0x8080_8080_8080_8080;
/// One in every byte.
const ONES: u64 = 0x0101_0101_0101_0101;

/// The top bit of each byte of `x` set where that byte is ASCII and in
/// `lo..=hi` (`hi` below 0x80). Bytes from 0x80 up never match.
pub fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let low = x & !HI;
    // Top bit set where the (7-bit) byte is >= n: `0x80 + byte - n` keeps it
    // exactly then, and never borrows from the next byte (n <= 0x80).
    let at_least = |n: u8| ((low | HI) - ONES * n as u64) & HI;
    at_least(lo) & !at_least(hi + 1) & !x & HI
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_range_is_the_byte_test() {
        for (lo, hi) in [(b'0', b'9'), (b'a', b'z'), (b'2', b'5'), (0, 0x7f)] {
            for x in 0..=255u8 {
                for pos in 0..8 {
                    // Filler 0x80 is never in a range: only `x` can answer.
                    let mut word = [0x80u8; 8];
                    word[pos] = x;
                    let got = in_range(u64::from_le_bytes(word), lo, hi);
                    let want = if x.is_ascii() && (lo..=hi).contains(&x) {
                        0x80u64 << (8 * pos)
                    } else {
                        0
                    };
                    assert_eq!(got, want, "{:#x} in {:#x}..={:#x} at {}", x, lo, hi, pos);
                }
            }
        }
    }
}
