//! SHA-256 checksums as kindred records them: lowercase hex, of bytes held, of a file read in
//! pieces, or of bytes as they are written. The input's (`input.sha256`), each published
//! file's (`reports.write.files[].sha256`, checked by `status --verify`) and each shard part's
//! are taken here, so all are the same form and compare.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`, lowercase hex.
pub fn of_bytes(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The size and SHA-256 of the file at `path`, read a megabyte at a time (a large export or
/// table is never held).
pub fn of_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut BufReader::with_capacity(1 << 20, File::open(path)?), &mut hasher)?;
    Ok((bytes, format!("{:x}", hasher.finalize())))
}

/// A writer that hashes the bytes it passes on, as they are written: a table's checksum costs
/// no second read of it, and no copy of it is held.
pub struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Self {
        Hashing { inner, hasher: Sha256::new() }
    }

    /// The SHA-256 of what was written, lowercase hex.
    pub fn hex(self) -> String {
        format!("{:x}", self.hasher.finalize())
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        // what reached the file: a short write's rest comes again
        self.hasher.update(&buf[..written]);
        Ok(written)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three ways give the one checksum of the same bytes (sha256sum's of "abc").
    #[test]
    fn bytes_a_file_and_a_writer_give_one_checksum() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(of_bytes(b"abc"), abc);
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        let mut writer = Hashing::new(File::create(&path).unwrap());
        writer.write_all(b"ab").unwrap();
        writer.write_all(b"c").unwrap();
        assert_eq!(writer.hex(), abc);
        assert_eq!(of_file(&path).unwrap(), (3, abc.to_string()));
    }
}
