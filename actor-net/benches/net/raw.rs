//! The baselines: raw quinn on the same loopback, with the same TLS stack
//! (rustls 0.23, ring, a self-signed rcgen certificate) and the same
//! transport settings as a node, carrying 36-byte length-prefixed frames.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quinn::{Connection, Endpoint, RecvStream, SendStream};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use actor_net::__testing::AnyCertificate;

/// Bytes of one frame's body; with the 4-byte prefix a frame is 36 bytes.
pub const BODY: usize = 32;
const FRAME: usize = 4 + BODY;
/// The coalesced writer sends once it has this much.
const COALESCE: usize = 64 * 1024;

/// The transport settings a node uses (quinn's defaults, plus keep-alive).
fn transport() -> Arc<quinn::TransportConfig> {
    let mut transport = quinn::TransportConfig::default();
    transport.keep_alive_interval(Some(Duration::from_secs(1)));
    transport.max_idle_timeout(Some(Duration::from_secs(10).try_into().expect("10 s fits")));
    Arc::new(transport)
}

/// A connected pair: (client side, server side), and the endpoints.
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    endpoints: [Endpoint; 2],
}

impl Pair {
    pub async fn connect() -> Pair {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cert = rcgen::generate_simple_self_signed(vec!["bench".to_owned()])
            .expect("a self-signed certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
        let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("TLS 1.3")
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .expect("the certificate");
        server.alpn_protocols = vec![b"bench".to_vec()];
        let mut client = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("TLS 1.3")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate::new(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth();
        client.alpn_protocols = vec![b"bench".to_vec()];
        let server =
            quinn::crypto::rustls::QuicServerConfig::try_from(server).expect("QUIC server");
        let client =
            quinn::crypto::rustls::QuicClientConfig::try_from(client).expect("QUIC client");
        let mut server = quinn::ServerConfig::with_crypto(Arc::new(server));
        server.transport_config(transport());
        let mut client = quinn::ClientConfig::new(Arc::new(client));
        client.transport_config(transport());

        let any: SocketAddr = "127.0.0.1:0".parse().expect("an address");
        let listener = Endpoint::server(server, any).expect("server endpoint");
        let mut dialer = Endpoint::client(any).expect("client endpoint");
        dialer.set_default_client_config(client);
        let addr = listener.local_addr().expect("bound");
        let accept = {
            let listener = listener.clone();
            tokio::spawn(async move {
                let incoming = listener.accept().await.expect("a connection");
                incoming.await.expect("handshake")
            })
        };
        let client = dialer
            .connect(addr, "bench")
            .expect("connect")
            .await
            .expect("handshake");
        let server = accept.await.expect("accepted");
        Pair {
            client,
            server,
            endpoints: [listener, dialer],
        }
    }

    pub async fn close(self) {
        self.client.close(0u32.into(), b"done");
        for endpoint in &self.endpoints {
            endpoint.wait_idle().await;
        }
    }
}

fn frame(i: u64) -> [u8; FRAME] {
    let mut frame = [0u8; FRAME];
    frame[..4].copy_from_slice(&(BODY as u32).to_le_bytes());
    frame[4..12].copy_from_slice(&i.to_le_bytes());
    frame
}

/// Reads a stream to its end and counts the frames on it.
async fn count_frames(mut recv: RecvStream) -> u64 {
    let (mut frames, mut header, mut have, mut body_left) = (0u64, [0u8; 4], 0usize, 0usize);
    while let Some(chunk) = recv.read_chunk(64 * 1024, true).await.expect("readable") {
        let mut bytes = &chunk.bytes[..];
        while !bytes.is_empty() {
            if body_left > 0 {
                let n = body_left.min(bytes.len());
                body_left -= n;
                bytes = &bytes[n..];
                if body_left == 0 {
                    frames += 1;
                }
                continue;
            }
            let n = (4 - have).min(bytes.len());
            header[have..have + n].copy_from_slice(&bytes[..n]);
            have += n;
            bytes = &bytes[n..];
            if have == 4 {
                have = 0;
                body_left = u32::from_le_bytes(header) as usize;
                if body_left == 0 {
                    frames += 1;
                }
            }
        }
    }
    frames
}

/// (a) and (b): `frames` frames on one stream, one `write_all` per frame or
/// coalesced into 64 KiB writes; timed until the receiver counted them all.
pub async fn stream(frames: u64, coalesce: bool) -> Duration {
    let pair = Pair::connect().await;
    let server = pair.server.clone();
    let receiver = tokio::spawn(async move {
        let (_send, recv) = server.accept_bi().await.expect("a stream");
        count_frames(recv).await
    });
    let (mut send, _recv) = pair.client.open_bi().await.expect("a stream");
    let start = Instant::now();
    if coalesce {
        let mut buffer = Vec::with_capacity(COALESCE + FRAME);
        for i in 0..frames {
            buffer.extend_from_slice(&frame(i));
            if buffer.len() + FRAME > COALESCE {
                send.write_all(&buffer).await.expect("writable");
                buffer.clear();
            }
        }
        send.write_all(&buffer).await.expect("writable");
    } else {
        for i in 0..frames {
            send.write_all(&frame(i)).await.expect("writable");
        }
    }
    send.finish().expect("finish");
    let counted = receiver.await.expect("receiver");
    let elapsed = start.elapsed();
    assert_eq!(counted, frames);
    pair.close().await;
    elapsed
}

/// (c): `count` sequential round trips of one frame each way on one
/// stream; returns the total time and the sorted latencies.
pub async fn round_trips(count: usize) -> (Duration, Vec<Duration>) {
    let pair = Pair::connect().await;
    let server = pair.server.clone();
    let echo = tokio::spawn(async move {
        let (mut send, mut recv): (SendStream, RecvStream) =
            server.accept_bi().await.expect("a stream");
        let mut buf = [0u8; FRAME];
        while recv.read_exact(&mut buf).await.is_ok() {
            send.write_all(&buf).await.expect("writable");
        }
    });
    let (mut send, mut recv) = pair.client.open_bi().await.expect("a stream");
    let mut latencies = Vec::with_capacity(count);
    let mut buf = [0u8; FRAME];
    let start = Instant::now();
    for i in 0..count as u64 {
        let t = Instant::now();
        send.write_all(&frame(i)).await.expect("writable");
        recv.read_exact(&mut buf).await.expect("an echo");
        latencies.push(t.elapsed());
        assert_eq!(buf[4..12], i.to_le_bytes());
    }
    let elapsed = start.elapsed();
    send.finish().expect("finish");
    echo.await.expect("echo task");
    pair.close().await;
    latencies.sort_unstable();
    (elapsed, latencies)
}
