//! Positioned reads through a forward-moving window.
//!
//! The walk visits structures in ascending file offset, so one buffer that only
//! moves forward keeps the disk sequential and memory fixed, whatever the size
//! of the file. Large object bodies are skipped, never read.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::DetsError;

/// Something that can fill a buffer from an absolute offset.
pub trait ReadAt {
    /// Fills `buf` from `offset`; fails with `UnexpectedEof` when the source ends first.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

impl ReadAt for File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        FileExt::read_exact_at(self, buf, offset)
    }
}

impl ReadAt for [u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| io::ErrorKind::UnexpectedEof)?;
        let end = start
            .checked_add(buf.len())
            .filter(|&end| end <= self.len())
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(&self[start..end]);
        Ok(())
    }
}

/// Default window size: large enough for sequential throughput, small enough to ignore.
pub const WINDOW: usize = 1 << 20;

/// Bytes addressed by absolute file offset.
pub trait Bytes {
    /// The `n` bytes at `offset`; [`DetsError::Truncated`] when they are not all there.
    fn bytes(&mut self, offset: u64, n: usize, what: &str) -> Result<&[u8], DetsError>;

    /// The big-endian word at `offset`.
    fn word(&mut self, offset: u64, what: &str) -> Result<u32, DetsError> {
        let b = self.bytes(offset, 4, what)?;
        Ok(be_word(b, 0))
    }
}

/// A forward-moving read buffer over a source of known length.
pub struct Window<'a, R: ReadAt + ?Sized> {
    source: &'a R,
    len: u64,
    buf: Vec<u8>,
    start: u64,
    capacity: usize,
}

impl<'a, R: ReadAt + ?Sized> Window<'a, R> {
    /// A window over `source`, which is `len` bytes long, refilled `capacity` bytes at a time.
    pub fn new(source: &'a R, len: u64, capacity: usize) -> Self {
        Self {
            source,
            len,
            buf: Vec::new(),
            start: 0,
            capacity,
        }
    }

    /// Length of the source.
    pub fn len(&self) -> u64 {
        self.len
    }

    fn fill(&mut self, offset: u64, n: usize, what: &str) -> Result<(), DetsError> {
        let want = (self.capacity.max(n) as u64).min(self.len - offset) as usize;
        self.buf.resize(want, 0);
        self.start = offset;
        self.source
            .read_exact_at(&mut self.buf, offset)
            .map_err(|err| match err.kind() {
                // The file shrank under us: the bytes the header promised are gone.
                io::ErrorKind::UnexpectedEof => DetsError::truncated(offset, what.to_owned()),
                _ => DetsError::Io(err),
            })
            .inspect_err(|_| self.buf.clear())
    }
}

impl<R: ReadAt + ?Sized> Bytes for Window<'_, R> {
    /// Refills from `offset` when the bytes are not buffered; a read larger
    /// than the window is served whole.
    fn bytes(&mut self, offset: u64, n: usize, what: &str) -> Result<&[u8], DetsError> {
        let end = offset
            .checked_add(n as u64)
            .filter(|&end| end <= self.len)
            .ok_or_else(|| DetsError::truncated(self.len, what.to_owned()))?;
        let buffered_end = self.start + self.buf.len() as u64;
        if offset < self.start || end > buffered_end {
            self.fill(offset, n, what)?;
        }
        let from = (offset - self.start) as usize;
        Ok(&self.buf[from..from + n])
    }
}

/// Big-endian word at `at` in a slice the caller has sized.
pub fn be_word(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_reads_across_refills_and_reports_truncation() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut w = Window::new(&data[..], data.len() as u64, 16);
        assert_eq!(w.bytes(0, 4, "x").unwrap(), &[0, 1, 2, 3]);
        assert_eq!(w.bytes(14, 4, "x").unwrap(), &[14, 15, 16, 17]);
        assert_eq!(w.bytes(500, 2, "x").unwrap(), &[244, 245]);
        // Moving backwards refills too.
        assert_eq!(w.bytes(1, 1, "x").unwrap(), &[1]);
        // Larger than the window still works.
        assert_eq!(w.bytes(100, 64, "x").unwrap().len(), 64);
        let err = w.bytes(998, 4, "the end").unwrap_err();
        assert!(
            matches!(err, DetsError::Truncated { offset: 1000, ref what } if what == "the end"),
            "{err:?}"
        );
        assert!(matches!(
            w.bytes(u64::MAX - 1, 4, "x"),
            Err(DetsError::Truncated { .. })
        ));
    }
}
