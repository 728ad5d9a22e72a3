//! What the benchmarks share: the real server binary, started on a data
//! directory, and its address read from its own log line.

// Each benchmark compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::{Buf, Bytes};
use tablesafe_client::proto;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic::{Request, Status};
use tonic_prost::ProstEncoder;

/// The admin token the benchmark servers run with.
pub const TOKEN: &str = "bench";

/// `target/release/tablesafe serve`, killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Server {
    /// Starts the release binary on `data` with scheduled runs off, backups
    /// in `backups`; returns once it listens.
    pub fn start(data: &Path, backups: &Path) -> anyhow::Result<Self> {
        let binary = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/tablesafe");
        let mut child = Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--schedule", "off"])
            .arg("--data-dir")
            .arg(data)
            .arg("--backup-dir")
            .arg(backups)
            .env("TABLESAFE_ADMIN_TOKEN", TOKEN)
            .env("RUST_LOG", "warn,tablesafe::server=info")
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| anyhow::anyhow!("{binary}: {e} (build it with --release first)"))?;
        let addr = testkit::listening_address(
            child
                .stderr
                .take()
                .ok_or_else(|| anyhow::anyhow!("no stderr"))?,
            |_| {},
        )?;
        Ok(Self {
            child,
            url: format!("http://{addr}"),
        })
    }

    /// The server's resident memory.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .ok_or_else(|| anyhow::anyhow!("no VmRSS"))?;
        Ok(line.split_whitespace().nth(1).unwrap_or("0").parse()?)
    }

    /// CPU time the server has used so far, user and system, all threads
    /// (ended ones included), to the 10 ms of Linux's `USER_HZ` of 100.
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // Fields after the command name, which ends at the last ')'.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .ok_or_else(|| anyhow::anyhow!("odd /proc stat"))?
            .1
            .split_whitespace()
            .collect();
        // utime and stime are fields 14 and 15 of stat(5), 12 and 13 here.
        let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
        Ok(Duration::from_millis(ticks * 10))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `count` copies of the fixture `name` in `data`, as `<prefix>NNNN.dets`.
pub fn lay_out_tables(data: &Path, name: &str, count: usize, prefix: &str) -> anyhow::Result<()> {
    let sample = std::fs::read(testkit::fixture(name))?;
    std::fs::create_dir_all(data)?;
    for i in 0..count {
        std::fs::write(data.join(format!("{prefix}{i:04}.dets")), &sample)?;
    }
    Ok(())
}

/// `n` connections configured as `tablesafe-client` configures its own.
pub async fn connect_channels(url: &str, n: usize) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::new();
    for _ in 0..n.max(1) {
        channels.push(tablesafe_client::endpoint(url)?.connect().await?);
    }
    Ok(channels)
}

/// GetHealth's answer to `request` as it came off the wire.
pub async fn get_health_bytes(
    channel: Channel,
    request: proto::GetHealthRequest,
) -> Result<Bytes, Status> {
    let mut grpc = tonic::client::Grpc::new(channel).max_decoding_message_size(usize::MAX);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let mut request = Request::new(request);
    let bearer = format!("Bearer {TOKEN}").parse().expect("ascii token");
    request.metadata_mut().insert("authorization", bearer);
    let path = PathAndQuery::from_static("/tablesafe.v1.StorageAdmin/GetHealth");
    Ok(grpc.unary(request, path, RawCodec).await?.into_inner())
}

/// Encodes requests with prost; takes responses as bytes.
struct RawCodec;

impl Codec for RawCodec {
    type Encode = proto::GetHealthRequest;
    type Decode = Bytes;
    type Encoder = ProstEncoder<proto::GetHealthRequest>;
    type Decoder = RawDecoder;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(BufferSettings::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawDecoder
    }
}

struct RawDecoder;

impl Decoder for RawDecoder {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
