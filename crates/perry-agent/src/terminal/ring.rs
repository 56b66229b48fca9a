//! A byte ring with absolute offsets: the recent output of a terminal, bounded in memory.

use std::collections::VecDeque;

/// The last `capacity` bytes written, addressed by their offset since the first byte ever.
#[derive(Debug)]
pub struct Ring {
    bytes: VecDeque<u8>,
    capacity: usize,
    /// Offset of `bytes[0]`.
    start: u64,
}

impl Ring {
    /// An empty ring keeping at most `capacity` bytes.
    pub fn new(capacity: usize) -> Ring {
        Ring {
            bytes: VecDeque::new(),
            capacity: capacity.max(1),
            start: 0,
        }
    }

    /// Offset of the oldest byte still held.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// Offset one past the newest byte.
    pub fn end(&self) -> u64 {
        self.start + self.bytes.len() as u64
    }

    /// How many bytes it holds now.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The most bytes it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Appends `data`, dropping the oldest bytes beyond capacity.
    pub fn push(&mut self, data: &[u8]) {
        let total = self.bytes.len() + data.len();
        let overflow = total.saturating_sub(self.capacity);
        let from_held = overflow.min(self.bytes.len());
        self.bytes.drain(..from_held);
        let from_data = overflow - from_held;
        self.bytes.extend(&data[from_data..]);
        self.start += overflow as u64;
    }

    /// Up to `max` bytes from `offset` (clamped to what is held).
    pub fn read_from(&self, offset: u64, max: usize) -> Vec<u8> {
        let from = offset.clamp(self.start, self.end());
        let skip = (from - self.start) as usize;
        let take = (self.bytes.len() - skip).min(max);
        let (front, back) = self.bytes.as_slices();
        let mut out = Vec::with_capacity(take);
        if skip < front.len() {
            let front_take = take.min(front.len() - skip);
            out.extend_from_slice(&front[skip..skip + front_take]);
            out.extend_from_slice(&back[..take - front_take]);
        } else {
            let back_skip = skip - front.len();
            out.extend_from_slice(&back[back_skip..back_skip + take]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_bytes_with_absolute_offsets() {
        let mut ring = Ring::new(5);
        ring.push(b"abc");
        ring.push(b"defg");
        assert_eq!((ring.start(), ring.end(), ring.len()), (2, 7, 5));
        assert_eq!(
            ring.read_from(0, 100),
            b"cdefg",
            "an offset before the start reads from the start"
        );
        assert_eq!(ring.read_from(4, 2), b"ef");
        assert_eq!(ring.read_from(7, 10), b"");
    }

    #[test]
    fn a_chunk_larger_than_capacity_keeps_its_tail() {
        let mut ring = Ring::new(4);
        ring.push(b"0123456789");
        assert_eq!((ring.start(), ring.end()), (6, 10));
        assert_eq!(ring.read_from(0, 100), b"6789");
    }

    #[test]
    fn reads_across_the_wrap_point() {
        let mut ring = Ring::new(6);
        for chunk in [&b"abcd"[..], b"ef", b"gh", b"ij"] {
            ring.push(chunk);
        }
        assert_eq!(ring.read_from(ring.start(), 100), b"efghij");
        assert_eq!(ring.read_from(ring.start() + 1, 4), b"fghi");
    }
}
