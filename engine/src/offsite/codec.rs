//! Sealing a copy into an artifact and opening it again. The payload is the
//! copy's bytes, compressed with zstd when asked, then encrypted with age to
//! X25519 public keys when recipients are configured: the host holds only
//! the recipients; opening needs an identity (the secret key).
//!
//! Both directions stream: memory stays flat whatever the copy's size.
//! Sealing checks the copy against its manifest as it reads it; opening
//! refuses more bytes than the manifest names (a compressed bomb) and checks
//! the SHA-256 of what came out.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::str::FromStr as _;

use age::x25519::{Identity, Recipient};
use sha2::{Digest as _, Sha256};

use super::artifact::{ArtifactHeader, Compression, Encryption, FORMAT};

/// How copies are sealed for one destination.
#[derive(Clone, Default)]
pub struct Sealing {
    /// The zstd level, when compressing.
    compression: Option<i32>,
    /// The age recipients, when encrypting.
    recipients: Vec<Recipient>,
}

impl std::fmt::Debug for Sealing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealing")
            .field("compression", &self.compression)
            .field("recipients", &self.key_id())
            .finish()
    }
}

/// Why sealing did not produce an artifact.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The copy does not have its manifest's bytes.
    #[error("the local copy no longer matches its manifest ({0}); not uploaded")]
    LocalChanged(String),
    /// Reading the copy or writing the artifact failed (a full disk).
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Why an artifact could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Encrypted, and no identity was given.
    #[error("the copy is encrypted to {0}: give the identity (secret key) that opens it")]
    NeedsIdentity(String),
    /// None of the identities given opens it.
    #[error("the copy is encrypted to {0}, and no identity given is one of them")]
    WrongIdentity(String),
    /// The payload does not open, or opens to other bytes than the manifest's.
    #[error("{0}")]
    Damaged(String),
    /// Writing what came out failed.
    #[error("{0}")]
    Io(io::Error),
}

impl Sealing {
    /// Plain: the copy's bytes as they are.
    pub fn plain() -> Self {
        Self::default()
    }

    /// Compression at `level` when given, encryption to `recipients`
    /// (`age1...`) when there are any. Refused when a recipient does not
    /// parse or a test encryption fails: a destination configured to encrypt
    /// never sends plaintext.
    pub fn new(compression: Option<i32>, recipients: &[String]) -> Result<Self, String> {
        if let Some(level) = compression {
            if !zstd::compression_level_range().contains(&level) {
                return Err(format!(
                    "zstd level {level} is outside {:?}",
                    zstd::compression_level_range()
                ));
            }
        }
        let recipients = recipients
            .iter()
            .map(|r| {
                Recipient::from_str(r.trim())
                    .map_err(|e| format!("{r:?} is not an age X25519 recipient (age1...): {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sealing = Self {
            compression,
            recipients,
        };
        if sealing.encrypts() {
            let mut out = Vec::new();
            sealing
                .write_payload(&mut &b"tablesafe"[..], &mut out)
                .map_err(|e| format!("cannot encrypt to the recipients: {e}"))?;
        }
        Ok(sealing)
    }

    /// Whether copies are encrypted.
    pub fn encrypts(&self) -> bool {
        !self.recipients.is_empty()
    }

    /// Whether the artifact is the header and the copy's bytes as they are.
    pub fn is_plain(&self) -> bool {
        self.compression.is_none() && !self.encrypts()
    }

    /// Whether sealing a copy again gives the same artifact, byte for byte:
    /// compression alone (zstd at one level, one thread). age draws a new
    /// file key for every artifact.
    pub fn is_repeatable(&self) -> bool {
        self.compression.is_some() && !self.encrypts()
    }

    /// What a repeatable artifact's bytes depend on besides the copy: the
    /// header and the compressor's version and level.
    pub fn repeatable_id(&self) -> String {
        format!(
            "{} zstd {} level {}",
            crate::pipeline::hex(&self.header().encode()),
            zstd::zstd_safe::version_string(),
            self.compression.unwrap_or_default()
        )
    }

    /// The artifact of the copy at `source`, read as it is sealed (header,
    /// then the compressed copy): for a repeatable sealing only, `None`
    /// otherwise. Blocking reads.
    pub fn sealed_reader(&self, source: &Path) -> io::Result<Option<SealedReader>> {
        let Some(level) = self.compression.filter(|_| self.is_repeatable()) else {
            return Ok(None);
        };
        let copy = Hashing::new(File::open(source)?);
        Ok(Some(SealedReader {
            header: io::Cursor::new(self.header().encode()),
            zstd: zstd::stream::read::Encoder::new(copy, level)?,
        }))
    }

    /// The recipients, as the header names them.
    fn key_id(&self) -> Option<String> {
        self.encrypts().then(|| {
            self.recipients
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        })
    }

    /// The header of artifacts sealed this way.
    pub fn header(&self) -> ArtifactHeader {
        ArtifactHeader {
            format: FORMAT,
            compression: match self.compression {
                Some(_) => Compression::Zstd,
                None => Compression::None,
            },
            encryption: if self.encrypts() {
                Encryption::Age
            } else {
                Encryption::None
            },
            key_id: self.key_id(),
        }
    }

    /// Writes the artifact of the copy at `source` (`bytes` long, SHA-256
    /// `sha256` by its manifest) to `out`; returns its size and SHA-256.
    /// Blocking. A failure leaves no file at `out`. Not fsynced: whoever
    /// sends it checks its SHA-256 as it reads it, so a spool torn by a
    /// crash is found and sealed again.
    pub fn seal(
        &self,
        source: &Path,
        bytes: u64,
        sha256: &str,
        out: &Path,
    ) -> Result<(u64, String), SealError> {
        self.seal_watched(source, bytes, sha256, out, &|_| {})
    }

    /// [`Sealing::seal`], telling `written` how many bytes are in the file
    /// each time more are (so that a reader can follow it).
    pub fn seal_watched(
        &self,
        source: &Path,
        bytes: u64,
        sha256: &str,
        out: &Path,
        written: &dyn Fn(u64),
    ) -> Result<(u64, String), SealError> {
        let result = self.seal_into(source, bytes, sha256, out, written);
        if result.is_err() {
            let _ = std::fs::remove_file(out);
        }
        result
    }

    fn seal_into(
        &self,
        source: &Path,
        bytes: u64,
        sha256: &str,
        out: &Path,
        written: &dyn Fn(u64),
    ) -> Result<(u64, String), SealError> {
        let mut copy = Hashing::new(BufReader::with_capacity(1 << 20, File::open(source)?));
        let file = Watched {
            file: File::create(out)?,
            written: 0,
            tell: written,
        };
        let mut sink = Hashing::new(BufWriter::with_capacity(1 << 20, file));
        sink.write_all(&self.header().encode())?;
        self.write_payload(&mut copy, &mut sink)?;
        let (read, copy_sha) = copy.finish();
        if read != bytes {
            return Err(SealError::LocalChanged(format!(
                "{read} bytes, the manifest says {bytes}"
            )));
        }
        if copy_sha != sha256 {
            return Err(SealError::LocalChanged(format!(
                "SHA-256 {copy_sha}, the manifest says {sha256}"
            )));
        }
        let (written, artifact_sha) = sink.finish();
        sink.inner
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        Ok((written, artifact_sha))
    }

    /// Compresses, then encrypts, `copy` into `sink`.
    fn write_payload(&self, copy: &mut dyn Read, sink: &mut dyn Write) -> io::Result<()> {
        let encryptor = || {
            age::Encryptor::with_recipients(
                self.recipients.iter().map(|r| r as &dyn age::Recipient),
            )
            .map_err(io::Error::other)
        };
        match (self.compression, self.encrypts()) {
            (None, false) => {
                io::copy(copy, sink)?;
            }
            (Some(level), false) => {
                let mut zstd = zstd::Encoder::new(sink, level)?;
                io::copy(copy, &mut zstd)?;
                zstd.finish()?;
            }
            (None, true) => {
                let mut age = encryptor()?.wrap_output(sink)?;
                io::copy(copy, &mut age)?;
                age.finish()?;
            }
            (Some(level), true) => {
                let age = encryptor()?.wrap_output(sink)?;
                let mut zstd = zstd::Encoder::new(age, level)?;
                io::copy(copy, &mut zstd)?;
                zstd.finish()?.finish()?;
            }
        }
        Ok(())
    }
}

/// Opens the payload of an artifact with `header` into `out`: decrypts with
/// one of `identities`, decompresses, and checks that exactly `bytes` bytes
/// with SHA-256 `sha256` came out. Blocking.
pub fn open(
    header: &ArtifactHeader,
    payload: impl Read,
    identities: &[Identity],
    bytes: u64,
    sha256: &str,
    out: impl Write,
) -> Result<(), OpenError> {
    let recipients = || {
        header
            .key_id
            .clone()
            .unwrap_or_else(|| "unnamed keys".into())
    };
    let decrypted: Box<dyn Read> = match header.encryption {
        Encryption::None => Box::new(payload),
        Encryption::Age => {
            if identities.is_empty() {
                return Err(OpenError::NeedsIdentity(recipients()));
            }
            let decryptor = age::Decryptor::new(payload)
                .map_err(|e| OpenError::Damaged(format!("the age header does not read: {e}")))?;
            let reader = decryptor
                .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
                .map_err(|e| match e {
                    age::DecryptError::NoMatchingKeys => OpenError::WrongIdentity(recipients()),
                    e => OpenError::Damaged(format!("does not decrypt: {e}")),
                })?;
            Box::new(reader)
        }
    };
    let mut plain: Box<dyn Read> = match header.compression {
        Compression::None => decrypted,
        Compression::Zstd => Box::new(
            zstd::Decoder::new(decrypted)
                .map_err(|e| OpenError::Damaged(format!("does not decompress: {e}")))?,
        ),
    };
    let mut sink = Bounded {
        inner: Hashing::new(out),
        limit: bytes,
    };
    match io::copy(&mut plain, &mut sink) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => {
            return Err(OpenError::Damaged(format!(
                "it opens to more than the {bytes} bytes its manifest names"
            )))
        }
        Err(e) if e.kind() == io::ErrorKind::InvalidData || e.kind() == io::ErrorKind::Other => {
            return Err(OpenError::Damaged(format!("does not open: {e}")))
        }
        Err(e) => return Err(OpenError::Io(e)),
    }
    sink.inner.inner.flush().map_err(OpenError::Io)?;
    let (got, sha) = sink.inner.finish();
    if got != bytes || sha != sha256 {
        return Err(OpenError::Damaged(format!(
            "it opens to {got} bytes with SHA-256 {sha}; its manifest says {bytes} bytes with {sha256}"
        )));
    }
    Ok(())
}

/// Reads the identities (`AGE-SECRET-KEY-1...` lines; `#` comments) of an
/// age identity file.
pub fn read_identities(path: &Path) -> Result<Vec<Identity>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the identity file {}: {e}", path.display()))?;
    let identities = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            Identity::from_str(l).map_err(|e| {
                format!(
                    "{} holds a line that is not an age X25519 identity: {e}",
                    path.display()
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if identities.is_empty() {
        return Err(format!("{} holds no identity", path.display()));
    }
    Ok(identities)
}

/// A file that tells how many bytes it holds after every write.
struct Watched<'a> {
    file: File,
    written: u64,
    tell: &'a dyn Fn(u64),
}

impl Write for Watched<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        (self.tell)(self.written);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A reader or writer that hashes and counts what goes through.
struct Hashing<T> {
    inner: T,
    sha: Sha256,
    count: u64,
}

impl<T> Hashing<T> {
    fn new(inner: T) -> Self {
        Self {
            inner,
            sha: Sha256::new(),
            count: 0,
        }
    }

    /// The count and hex SHA-256 so far.
    fn finish(&self) -> (u64, String) {
        (
            self.count,
            crate::pipeline::hex(&self.sha.clone().finalize()),
        )
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A repeatable artifact, sealed as it is read ([`Sealing::sealed_reader`]).
pub struct SealedReader {
    header: io::Cursor<Vec<u8>>,
    zstd: zstd::stream::read::Encoder<'static, BufReader<Hashing<File>>>,
}

impl SealedReader {
    /// The bytes and hex SHA-256 of the copy read so far: all of it once the
    /// artifact has been read to its end.
    pub fn copy_read(&self) -> (u64, String) {
        self.zstd.get_ref().get_ref().finish()
    }
}

impl Read for SealedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.header.read(buf)? {
            0 => self.zstd.read(buf),
            n => Ok(n),
        }
    }
}

/// A writer that refuses to take more than `limit` bytes in all.
struct Bounded<W> {
    inner: Hashing<W>,
    limit: u64,
}

impl<W: Write> Write for Bounded<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.inner.count + buf.len() as u64 > self.limit {
            return Err(io::Error::from(io::ErrorKind::FileTooLarge));
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(sealing: &Sealing, copy: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let (source, out) = (dir.path().join("copy"), dir.path().join("artifact"));
        std::fs::write(&source, copy).unwrap();
        let sha = crate::pipeline::hex(&Sha256::digest(copy));
        let (bytes, artifact_sha) = sealing
            .seal(&source, copy.len() as u64, &sha, &out)
            .unwrap();
        let artifact = std::fs::read(&out).unwrap();
        assert_eq!(bytes, artifact.len() as u64);
        assert_eq!(
            artifact_sha,
            crate::pipeline::hex(&Sha256::digest(&artifact))
        );
        artifact
    }

    fn opened(artifact: &[u8], identities: &[Identity], copy: &[u8]) -> Result<Vec<u8>, OpenError> {
        let (header, at) = ArtifactHeader::decode(artifact).unwrap();
        let sha = crate::pipeline::hex(&Sha256::digest(copy));
        let mut out = Vec::new();
        open(
            &header,
            &artifact[at..],
            identities,
            copy.len() as u64,
            &sha,
            &mut out,
        )?;
        Ok(out)
    }

    fn table_like() -> Vec<u8> {
        (0..200_000u32)
            .flat_map(|i| (i % 977).to_le_bytes())
            .collect()
    }

    #[test]
    fn only_compression_alone_is_repeated_and_its_reader_gives_the_sealed_bytes_every_time() {
        let copy = table_like();
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("copy");
        std::fs::write(&source, &copy).unwrap();
        let read_all = |sealing: &Sealing| {
            let mut reader = sealing.sealed_reader(&source).unwrap().unwrap();
            let mut artifact = Vec::new();
            // Small reads, as the header and the frame meet in them.
            let mut buf = [0u8; 1000];
            loop {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                artifact.extend_from_slice(&buf[..n]);
            }
            (artifact, reader.copy_read())
        };
        let sealing = Sealing::new(Some(3), &[]).unwrap();
        assert!(sealing.is_repeatable());
        let (first, copy_read) = read_all(&sealing);
        assert_eq!(read_all(&sealing).0, first, "the same bytes again");
        assert_eq!(
            copy_read,
            (
                copy.len() as u64,
                crate::pipeline::hex(&Sha256::digest(&copy))
            )
        );
        assert_eq!(opened(&first, &[], &copy).unwrap(), copy);
        assert!(first.len() < copy.len() / 2);
        // Another level may give other bytes: another upload.
        assert_ne!(
            Sealing::new(Some(4), &[]).unwrap().repeatable_id(),
            sealing.repeatable_id()
        );
        let recipient = Identity::generate().to_public().to_string();
        for other in [
            Sealing::plain(),
            Sealing::new(None, std::slice::from_ref(&recipient)).unwrap(),
            Sealing::new(Some(3), std::slice::from_ref(&recipient)).unwrap(),
        ] {
            assert!(!other.is_repeatable());
            assert!(other.sealed_reader(&source).unwrap().is_none());
        }
    }

    #[test]
    fn every_combination_opens_to_the_copy_and_encryption_hides_it() {
        let copy = table_like();
        let identity = Identity::generate();
        let recipient = identity.to_public().to_string();
        for (level, recipients) in [
            (None, vec![]),
            (Some(3), vec![]),
            (None, vec![recipient.clone()]),
            (Some(3), vec![recipient.clone()]),
        ] {
            let sealing = Sealing::new(level, &recipients).unwrap();
            let artifact = sealed(&sealing, &copy);
            let header = ArtifactHeader::decode(&artifact).unwrap().0;
            assert_eq!(header, sealing.header());
            assert_eq!(
                opened(&artifact, std::slice::from_ref(&identity), &copy).unwrap(),
                copy
            );
            if sealing.encrypts() {
                assert_eq!(header.key_id.as_deref(), Some(recipient.as_str()));
                // No 16-byte run of the copy is in the artifact.
                assert!(copy
                    .windows(16)
                    .step_by(997)
                    .all(|w| !artifact.windows(16).any(|a| a == w)));
                assert!(matches!(
                    opened(&artifact, &[], &copy),
                    Err(OpenError::NeedsIdentity(_))
                ));
                let stranger = Identity::generate();
                assert!(matches!(
                    opened(&artifact, &[stranger], &copy),
                    Err(OpenError::WrongIdentity(_))
                ));
            }
            if level.is_some() {
                assert!(
                    artifact.len() < copy.len() / 2,
                    "compressed: {}",
                    artifact.len()
                );
            }
        }
    }

    #[test]
    fn a_flipped_bit_or_a_changed_copy_is_refused() {
        let copy = table_like();
        let identity = Identity::generate();
        let recipients = [identity.to_public().to_string()];
        for sealing in [
            Sealing::new(Some(3), &[]).unwrap(),
            Sealing::new(None, &recipients).unwrap(),
        ] {
            let mut artifact = sealed(&sealing, &copy);
            let at = artifact.len() - 1000;
            artifact[at] ^= 0x10;
            assert!(matches!(
                opened(&artifact, std::slice::from_ref(&identity), &copy),
                Err(OpenError::Damaged(_))
            ));
        }
        // A manifest naming other bytes than the copy has: nothing is sealed.
        let dir = tempfile::tempdir().unwrap();
        let (source, out) = (dir.path().join("copy"), dir.path().join("artifact"));
        std::fs::write(&source, &copy).unwrap();
        let wrong = "0".repeat(64);
        let sealing = Sealing::new(Some(3), &[]).unwrap();
        assert!(matches!(
            sealing.seal(&source, copy.len() as u64, &wrong, &out),
            Err(SealError::LocalChanged(_))
        ));
        assert!(!out.exists());
    }

    #[test]
    fn a_bad_recipient_or_level_is_refused() {
        assert!(Sealing::new(None, &["age1notakey".into()]).is_err());
        assert!(Sealing::new(None, &["ssh-ed25519 AAAA".into()]).is_err());
        assert!(Sealing::new(Some(99), &[]).is_err());
    }
}
