//! One copy's upload: a single put up to the part size, above it a multipart
//! upload that is resumed after a crash or restart from the parts already
//! stored.
//!
//! Every byte sent is read from the local copy and hashed on the way: the
//! upload is refused when the copy no longer has its manifest's SHA-256. What
//! the store kept is checked against what was sent: each part's ETag is the
//! MD5 of that part, and the finished object's size and ETag (MD5 of the
//! body, or of the parts' MD5s followed by `-N`) must be those expected.

use std::io;
use std::path::{Path, PathBuf};

use md5::{Digest as _, Md5};
use object_store::multipart::PartId;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::io::Read as _;

use super::codec::SealedReader;
use super::{RemoteStore, Sealing};
use crate::pipeline::hex;

/// What was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Bytes of the artifact.
    pub bytes: u64,
    /// Hex SHA-256 of the artifact, when it is not the header then the
    /// source (whose SHA-256 the source's manifest has).
    pub sha256: Option<String>,
    /// The object's ETag as the store reports it.
    pub etag: String,
    /// Parts sent in this attempt (1 for a single put).
    pub parts_sent: usize,
    /// Parts an earlier attempt had stored and this one kept.
    pub parts_resumed: usize,
}

/// Why an upload did not store a checked object.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The local copy does not have its manifest's bytes any more.
    #[error("the local copy {file} no longer matches its manifest ({what}); not uploaded")]
    LocalChanged {
        /// The copy.
        file: String,
        /// What differs.
        what: String,
    },
    /// The store refused or could not be reached.
    #[error("{0}")]
    Store(#[from] object_store::Error),
    /// The store kept something other than what was sent.
    #[error("the store kept other bytes than were sent: {0}")]
    Mismatch(String),
    /// The local copy or the upload's state could not be read or written.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// The state of a multipart upload, written after every stored part so that
/// a later attempt can go on from there.
#[derive(Debug, Serialize, Deserialize)]
struct Resume {
    /// The object being written.
    key: String,
    /// The store's id of the upload.
    upload_id: String,
    /// Bytes per part.
    part_size: usize,
    /// Bytes of the artifact.
    bytes: u64,
    /// The local copy's SHA-256: the content the parts belong to.
    source_sha256: String,
    /// For a copy sealed as it is sent, what else its bytes depend on
    /// ([`Sealing::repeatable_id`]); empty otherwise.
    #[serde(default)]
    sealed_by: String,
    /// The ETag of every stored part, in order.
    parts: Vec<String>,
}

/// One artifact to send: `header` then the bytes of the file at `source`.
pub(super) struct Upload<'a> {
    /// Where it goes.
    pub store: &'a dyn RemoteStore,
    /// The object.
    pub key: &'a ObjectPath,
    /// The artifact's header.
    pub header: &'a [u8],
    /// The local copy.
    pub source: &'a Path,
    /// Its bytes and SHA-256 as its manifest records them.
    pub source_bytes: u64,
    /// Hex SHA-256 from the manifest.
    pub source_sha256: &'a str,
    /// Bytes per part; artifacts up to this size go in one put.
    pub part_size: usize,
    /// Where the multipart state is kept between attempts.
    pub resume_file: PathBuf,
    /// Set when the artifact is the copy at `source` sealed this
    /// (repeatable) way as it is sent, with no spool: `header` is then empty
    /// (the sealed bytes begin with theirs), `source_bytes` and
    /// `source_sha256` are the copy's, and the artifact's size is known once
    /// it is read to its end. A later attempt seals again and checks the
    /// parts stored before against their ETags. Always multipart.
    pub sealing: Option<&'a Sealing>,
    /// Set when the source is a spool still being sealed: how far it is
    /// written, and its size and SHA-256 once sealed (`source_bytes` and
    /// `source_sha256` are then unknown and unused). It is sent as it grows.
    pub growing: Option<Growing>,
}

/// How far a spool being sealed is written.
#[derive(Debug, Clone, Default)]
pub struct SealProgress {
    /// Bytes in the file.
    pub written: u64,
    /// Set when sealing ended: its size and SHA-256, or `None` when it failed.
    pub done: Option<Option<(u64, String)>>,
}

/// Follows a spool being sealed.
pub type Growing = tokio::sync::watch::Receiver<SealProgress>;

/// Reads the artifact in parts, hashing every byte, on a blocking thread
/// (one hop per part: the reads and hashes stay off the runtime's workers).
struct Reader {
    state: Option<ReadState>,
}

struct ReadState {
    header: Vec<u8>,
    sent_header: usize,
    body: Body,
    /// Whether the source is the whole artifact.
    whole: bool,
    /// The source's hash; none for a spool sent as it is sealed (the
    /// sealing hashes what it writes).
    source: Option<Sha256>,
    source_read: u64,
    /// Whether the file had a byte after the manifest's length.
    longer: bool,
    /// Whether the source is read to its end (a file: to its manifest's
    /// length).
    ended: bool,
}

/// What is read after the header.
enum Body {
    /// A file as it is: the copy, or a spool.
    File(std::fs::File),
    /// The copy, sealed as it is read.
    Sealed(Box<SealedReader>),
}

impl io::Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::File(file) => file.read(buf),
            Self::Sealed(sealed) => sealed.read(buf),
        }
    }
}

impl ReadState {
    /// The next part and its MD5; the source's SHA-256 is taken beside the
    /// MD5, on a second thread.
    fn part(&mut self, size: usize, expected: u64) -> io::Result<(Vec<u8>, Md5Digest)> {
        let mut buf = Vec::with_capacity(size);
        let from_header = (self.header.len() - self.sent_header).min(size);
        buf.extend_from_slice(&self.header[self.sent_header..self.sent_header + from_header]);
        self.sent_header += from_header;
        let start = buf.len();
        buf.resize(size, 0);
        let mut filled = start;
        while filled < size {
            let n = self.body.read(&mut buf[filled..])?;
            if n == 0 {
                self.ended = true;
                break;
            }
            filled += n;
        }
        buf.truncate(filled);
        let md5 = match &mut self.source {
            Some(source) => {
                let body = &buf;
                std::thread::scope(|scope| {
                    scope.spawn(|| source.update(&body[start..]));
                    Md5::digest(body)
                })
            }
            None => Md5::digest(&buf),
        };
        self.source_read += (filled - start) as u64;
        if let Body::File(file) = &mut self.body {
            if self.source_read >= expected && !self.ended {
                let mut extra = [0u8; 1];
                self.longer = file.read(&mut extra)? > 0;
                self.ended = true;
            }
        }
        Ok((buf, md5))
    }
}

impl ReadState {
    /// Bytes of the artifact read so far.
    fn artifact_read(&self) -> u64 {
        self.sent_header as u64 + self.source_read
    }

    /// The SHA-256 of the artifact when the source is all of it.
    fn artifact_sha256(&self) -> Option<String> {
        self.whole.then(|| self.source_sha256()).flatten()
    }

    /// The hex SHA-256 of the source read so far, when it is hashed.
    fn source_sha256(&self) -> Option<String> {
        self.source.as_ref().map(|s| hex(&s.clone().finalize()))
    }
}

impl Reader {
    fn open(header: &[u8], source: &Path, hashed: bool) -> io::Result<Self> {
        Ok(Self::of(
            header,
            Body::File(std::fs::File::open(source)?),
            hashed,
        ))
    }

    /// The copy at `source` sealed by `sealing` as it is read (hashed: the
    /// artifact is all of it).
    fn sealed(sealing: &Sealing, source: &Path) -> io::Result<Self> {
        let sealed = sealing
            .sealed_reader(source)?
            .ok_or_else(|| io::Error::other("this sealing cannot be repeated"))?;
        Ok(Self::of(&[], Body::Sealed(Box::new(sealed)), true))
    }

    fn of(header: &[u8], body: Body, hashed: bool) -> Self {
        Self {
            state: Some(ReadState {
                header: header.to_vec(),
                sent_header: 0,
                body,
                whole: header.is_empty(),
                source: hashed.then(Sha256::new),
                source_read: 0,
                longer: false,
                ended: false,
            }),
        }
    }

    fn state(&self) -> &ReadState {
        self.state
            .as_ref()
            .expect("a reader between parts has its state")
    }

    /// The next part: up to `size` bytes (fewer only at the end), and its
    /// MD5. `expected` is the source's length by its manifest.
    async fn part(&mut self, size: usize, expected: u64) -> io::Result<(Vec<u8>, Md5Digest)> {
        let mut state = self
            .state
            .take()
            .ok_or_else(|| io::Error::other("an earlier read of the copy failed"))?;
        let (state, result) = tokio::task::spawn_blocking(move || {
            let result = state.part(size, expected);
            (state, result)
        })
        .await
        .map_err(io::Error::other)?;
        self.state = Some(state);
        result
    }
}

/// An MD5, as a part's ETag names it.
type Md5Digest = md5::digest::Output<Md5>;

/// An ETag without the quotes some stores put around it.
pub(super) fn bare_etag(etag: &str) -> &str {
    etag.trim_matches('"')
}

impl Upload<'_> {
    fn artifact_bytes(&self) -> u64 {
        self.header.len() as u64 + self.source_bytes
    }

    /// Sends the artifact and checks what the store kept.
    pub async fn run(&self) -> Result<Stored, UploadError> {
        let mut reader = match self.sealing {
            Some(sealing) => Reader::sealed(sealing, self.source)?,
            None => Reader::open(self.header, self.source, self.growing.is_none())?,
        };
        if let Some(growing) = &self.growing {
            let (expected_etag, parts, total, sha) =
                self.multipart_growing(&mut reader, growing.clone()).await?;
            let etag = self.check_stored(total, &expected_etag).await?;
            return Ok(Stored {
                bytes: total,
                sha256: Some(sha),
                etag,
                parts_sent: parts,
                parts_resumed: 0,
            });
        }
        let single = self.sealing.is_none() && self.artifact_bytes() <= self.part_size as u64;
        let (expected_etag, parts_sent, parts_resumed) = if single {
            let (body, md5) = reader.part(self.part_size, self.source_bytes).await?;
            self.check_source(&reader)?;
            let md5 = hex(&md5);
            let put = self.store.put(self.key, PutPayload::from(body)).await?;
            if let Some(etag) = put.e_tag.as_deref() {
                check_etag(bare_etag(etag), &md5, "the object")?;
            }
            (md5, 1, 0)
        } else {
            self.multipart(&mut reader).await?
        };
        let total = reader.state().artifact_read();
        let etag = self.check_stored(total, &expected_etag).await?;
        Ok(Stored {
            bytes: total,
            sha256: reader.state().artifact_sha256(),
            etag,
            parts_sent,
            parts_resumed,
        })
    }

    /// The object as the store reports it must have `total` bytes and the
    /// ETag the bytes sent give; returns the ETag.
    async fn check_stored(&self, total: u64, expected_etag: &str) -> Result<String, UploadError> {
        let meta = self.store.head(self.key).await?;
        if meta.size != total {
            return Err(UploadError::Mismatch(format!(
                "{} holds {} bytes, {total} were sent",
                self.key, meta.size
            )));
        }
        let etag = meta.e_tag.as_deref().map(bare_etag).unwrap_or_default();
        check_etag(etag, expected_etag, "the object")?;
        Ok(etag.to_owned())
    }

    /// A multipart upload of a spool while it is sealed: each part is sent
    /// once it is written. Its state is saved after every part (the spool's
    /// size and SHA-256 once sealing ended, so that only then can a later
    /// attempt go on from it). Returns the expected ETag, the parts, and the
    /// artifact's size and SHA-256 (the spool as read back, which must be
    /// what was sealed).
    async fn multipart_growing(
        &self,
        reader: &mut Reader,
        mut growing: Growing,
    ) -> Result<(String, usize, u64, String), UploadError> {
        let upload_id = self.store.create_multipart(self.key).await?;
        let mut state = Resume {
            key: self.key.to_string(),
            upload_id,
            part_size: self.part_size,
            bytes: 0,
            source_sha256: String::new(),
            sealed_by: String::new(),
            parts: Vec::new(),
        };
        save(&self.resume_file, &state)?;
        let mut ahead_growing = growing.clone();
        let mut md5s = Vec::new();
        let mut next = self.grown_part(reader, &mut growing).await?;
        let mut index = 0;
        while let Some((body, md5)) = next.take() {
            let upload =
                self.store
                    .put_part(self.key, &state.upload_id, index, PutPayload::from(body));
            let ahead = self.grown_part(reader, &mut ahead_growing);
            let (part, ahead) = tokio::join!(upload, ahead);
            let sealed = growing.borrow().done.clone().flatten();
            if let Some((bytes, sha)) = &sealed {
                state.bytes = *bytes;
                state.source_sha256.clone_from(sha);
            }
            self.part_stored(&mut state, index, part, &md5, &mut md5s)?;
            if sealed.is_some() {
                crate::crash_point("offsite-sealed-part-stored");
            }
            next = ahead?;
            index += 1;
        }
        let sealed = growing.borrow().done.clone().flatten();
        let Some((total, sha)) = sealed else {
            return Err(UploadError::Io(io::Error::other(
                "the spool could not be sealed",
            )));
        };
        // Every part's MD5 was checked as stored; what was read must be all
        // that was sealed (the sealing hashed it as it wrote it).
        let read = reader.state().source_read;
        if read != total {
            let _ = std::fs::remove_file(&self.resume_file);
            return Err(UploadError::LocalChanged {
                file: self.source.display().to_string(),
                what: format!("{read} bytes read back, {total} sealed"),
            });
        }
        let count = state.parts.len();
        let etag = self.complete(&state, &md5s).await?;
        Ok((etag, count, total, sha))
    }

    /// The spool's next part once it is written (a whole part, or the rest
    /// once sealing ended); `None` after the last.
    async fn grown_part(
        &self,
        reader: &mut Reader,
        growing: &mut Growing,
    ) -> Result<Option<(Vec<u8>, Md5Digest)>, UploadError> {
        let at = reader.state.as_ref().map_or(0, |s| s.source_read);
        let need = at + self.part_size as u64;
        let progress = growing
            .wait_for(|p| p.done.is_some() || p.written >= need)
            .await
            .map_err(|_| io::Error::other("sealing stopped"))?
            .clone();
        match progress.done {
            Some(None) => {
                return Err(UploadError::Io(io::Error::other(
                    "the spool could not be sealed",
                )))
            }
            Some(Some((total, _))) if at >= total => return Ok(None),
            _ => {}
        }
        Ok(Some(reader.part(self.part_size, u64::MAX).await?))
    }

    /// Refuses a source whose bytes are not its manifest's, once all are read.
    fn check_source(&self, reader: &Reader) -> Result<(), UploadError> {
        let state = reader.state();
        let (read, longer, sha) = match &state.body {
            Body::Sealed(sealed) => {
                let (read, sha) = sealed.copy_read();
                (read, false, sha)
            }
            Body::File(_) => (
                state.source_read,
                state.longer,
                state.source_sha256().unwrap_or_default(),
            ),
        };
        let changed = |what: String| UploadError::LocalChanged {
            file: self.source.display().to_string(),
            what,
        };
        if longer || read != self.source_bytes {
            return Err(changed(format!(
                "it has {} bytes or more, the manifest says {}",
                read + u64::from(longer),
                self.source_bytes
            )));
        }
        if sha != self.source_sha256 {
            return Err(changed(format!(
                "SHA-256 {sha}, the manifest says {}",
                self.source_sha256
            )));
        }
        Ok(())
    }

    /// A multipart upload, from the stored parts of an earlier attempt when
    /// there is one for this content. Returns the expected ETag, the parts
    /// sent and the parts resumed.
    async fn multipart(&self, reader: &mut Reader) -> Result<(String, usize, usize), UploadError> {
        let mut state = match self.earlier_attempt().await {
            Some(state) => state,
            None => {
                let upload_id = self.store.create_multipart(self.key).await?;
                let state = Resume {
                    key: self.key.to_string(),
                    upload_id,
                    part_size: self.part_size,
                    bytes: self.artifact_bytes(),
                    source_sha256: self.source_sha256.to_owned(),
                    sealed_by: self.sealed_by(),
                    parts: Vec::new(),
                };
                save(&self.resume_file, &state)?;
                state
            }
        };
        let mut md5s = Vec::new();
        let resumed = state.parts.len();
        // The parts stored before are read (or sealed) again: their bytes are
        // hashed, and must be the bytes whose ETags were recorded.
        for (index, etag) in state.parts.iter().enumerate() {
            let (_, md5) = reader.part(self.part_size, self.source_bytes).await?;
            if bare_etag(etag) != hex(&md5) {
                abandon(self.store, &self.resume_file).await;
                return Err(UploadError::LocalChanged {
                    file: self.source.display().to_string(),
                    what: format!("part {} differs from the one stored before", index + 1),
                });
            }
            md5s.extend_from_slice(&md5);
        }
        // Each part is read and hashed while the one before it is sent.
        let mut next = self.next_part(reader).await?;
        let mut index = resumed;
        while let Some((body, md5)) = next.take() {
            let upload =
                self.store
                    .put_part(self.key, &state.upload_id, index, PutPayload::from(body));
            let (part, ahead) = tokio::join!(upload, self.next_part(reader));
            self.part_stored(&mut state, index, part, &md5, &mut md5s)?;
            crate::crash_point("offsite-sealed-part-stored");
            next = ahead?;
            index += 1;
        }
        // The source's end was read, with the parts before or the last one.
        self.check_source(reader)?;
        let etag = self.complete(&state, &md5s).await?;
        Ok((etag, index - resumed, resumed))
    }

    /// The next part and its MD5; `None` once the source is read to its end.
    /// The source is checked against its manifest as soon as its end is
    /// read, so that the last part of other bytes is never sent.
    async fn next_part(
        &self,
        reader: &mut Reader,
    ) -> Result<Option<(Vec<u8>, Md5Digest)>, UploadError> {
        if reader.state().ended {
            return Ok(None);
        }
        let (body, md5) = reader.part(self.part_size, self.source_bytes).await?;
        if reader.state().ended {
            self.check_source(reader)?;
        }
        Ok((!body.is_empty()).then_some((body, md5)))
    }

    /// [`Resume::sealed_by`] of this upload.
    fn sealed_by(&self) -> String {
        self.sealing.map(Sealing::repeatable_id).unwrap_or_default()
    }

    /// Takes the store's answer for part `index` (whose MD5 is `md5`): its
    /// ETag must be that MD5; the part is recorded and the state saved.
    fn part_stored(
        &self,
        state: &mut Resume,
        index: usize,
        answer: object_store::Result<PartId>,
        md5: &Md5Digest,
        md5s: &mut Vec<u8>,
    ) -> Result<(), UploadError> {
        let part = answer.map_err(|e| {
            if matches!(e, object_store::Error::NotFound { .. }) {
                // The store no longer knows the upload: start afresh next time.
                let _ = std::fs::remove_file(&self.resume_file);
            }
            e
        })?;
        check_etag(
            bare_etag(&part.content_id),
            &hex(md5),
            &format!("part {}", index + 1),
        )?;
        md5s.extend_from_slice(md5);
        state.parts.push(part.content_id);
        save(&self.resume_file, state)?;
        crate::crash_point("offsite-part-stored");
        Ok(())
    }

    /// Completes the upload of `state`'s parts (whose MD5s are `md5s`, in
    /// order); returns the ETag the object must then have. Whatever the
    /// store answers, the upload id is spent and its state removed.
    async fn complete(&self, state: &Resume, md5s: &[u8]) -> Result<String, UploadError> {
        let parts = state
            .parts
            .iter()
            .map(|etag| PartId {
                content_id: etag.clone(),
            })
            .collect();
        let done = self
            .store
            .complete_multipart(self.key, &state.upload_id, parts)
            .await;
        let _ = std::fs::remove_file(&self.resume_file);
        done?;
        Ok(format!("{}-{}", hex(&Md5::digest(md5s)), state.parts.len()))
    }

    /// The state of an earlier attempt at this very content, if any. An
    /// earlier attempt at other content (the copy was sealed again, the part
    /// size changed) is aborted, so the store frees its parts.
    async fn earlier_attempt(&self) -> Option<Resume> {
        let text = std::fs::read(&self.resume_file).ok()?;
        let state: Resume = serde_json::from_slice(&text).ok()?;
        let same = state.key == self.key.as_ref()
            && state.part_size == self.part_size
            && state.bytes == self.artifact_bytes()
            && state.source_sha256 == self.source_sha256
            && state.sealed_by == self.sealed_by();
        if !same {
            let key = ObjectPath::from(state.key.as_str());
            match self.store.abort_multipart(&key, &state.upload_id).await {
                Ok(()) => {
                    tracing::info!(key = %key, "an earlier upload of other bytes was aborted")
                }
                Err(e) => {
                    tracing::warn!(key = %key, error = %e, "an earlier upload could not be aborted")
                }
            }
            let _ = std::fs::remove_file(&self.resume_file);
        }
        same.then_some(state)
    }
}

/// Gives up the upload whose state is at `resume_file`: the store is asked to
/// abort it (freeing its parts), and the state is removed.
pub(super) async fn abandon(store: &dyn RemoteStore, resume_file: &Path) {
    if let Some(state) = std::fs::read(resume_file)
        .ok()
        .and_then(|b| serde_json::from_slice::<Resume>(&b).ok())
    {
        let key = ObjectPath::from(state.key.as_str());
        if let Err(e) = store.abort_multipart(&key, &state.upload_id).await {
            tracing::warn!(key = %key, error = %e, "an abandoned upload could not be aborted");
        }
    }
    let _ = std::fs::remove_file(resume_file);
}

fn check_etag(stored: &str, expected: &str, what: &str) -> Result<(), UploadError> {
    if stored == expected {
        Ok(())
    } else {
        Err(UploadError::Mismatch(format!(
            "{what} has ETag {stored}, the bytes sent give {expected}"
        )))
    }
}

/// Writes the state beside its final name and renames it into place.
fn save(path: &Path, state: &Resume) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec(state).map_err(io::Error::other)?)?;
    std::fs::rename(tmp, path)
}
