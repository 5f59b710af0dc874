//! A hostile or broken peer, played by a raw quinn client: garbage instead of
//! the handshake, frames that lie about their length, and (after a
//! handshake done by hand) requests a real node never sends. Each must close
//! or refuse that peer only: the node keeps serving real nodes, and no task
//! panics.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use actor_core::spawn;
use actor_net::Node;
use common::*;
use quinn::{Connection, ConnectionError, RecvStream, SendStream, VarInt};
use ring::hmac;
use serde::{Deserialize, Serialize};
use spake2::{Ed25519Group, Identity, Password, Spake2};

/// Close codes of the protocol.
const CLOSE_KEY_MISMATCH: u32 = 0x4b;
const CLOSE_PROTOCOL: u32 = 0x50;
/// The wire format version.
const VERSION: u16 = 2;

/// Panics on the runtime's worker threads (where every node task runs),
/// counted by a panic hook: a task's panic shows nowhere else.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some("tokio-runtime-worker") {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

fn no_task_panicked() {
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a node task panicked");
}

/// A frame: little-endian length, then the body.
fn frame(body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).expect("a small frame");
    [&len.to_le_bytes()[..], body].concat()
}

fn encoded<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("encodes")
}

async fn read_frame(recv: &mut RecvStream) -> Vec<u8> {
    patiently("a frame", async {
        let mut len = [0; 4];
        recv.read_exact(&mut len).await.expect("a length");
        let mut body = vec![0; u32::from_le_bytes(len) as usize];
        recv.read_exact(&mut body).await.expect("a body");
        body
    })
    .await
}

async fn send(stream: &mut SendStream, bytes: &[u8]) {
    stream.write_all(bytes).await.expect("written");
}

/// Waits for the node to close `connection`, and checks its close code.
async fn closed_with(connection: &Connection, code: u32) {
    let error = patiently("the node closing the connection", connection.closed()).await;
    match error {
        ConnectionError::ApplicationClosed(close) => {
            assert_eq!(close.error_code, VarInt::from_u32(code), "{close:?}");
        }
        other => panic!("expected an application close with {code:#x}, got {other}"),
    }
}

// The handshake's messages, as the node encodes them.

#[derive(Serialize)]
struct Hello {
    version: u16,
    listen: Option<SocketAddr>,
    pake: Vec<u8>,
}

#[derive(Deserialize)]
#[allow(dead_code)] // read whole, as the node sends it
struct Challenge {
    version: u16,
    listen: Option<SocketAddr>,
    pake: Vec<u8>,
    proof: [u8; 32],
}

#[derive(Serialize)]
struct Proof {
    proof: [u8; 32],
}

/// The dialer's side of the cluster key handshake, with the key `secret`.
async fn authenticate(connection: &Connection, secret: &str) {
    authenticate_as(connection, secret, None).await;
}

/// As [`authenticate`], claiming to listen on `listen`.
async fn authenticate_as(connection: &Connection, secret: &str, listen: Option<SocketAddr>) {
    let mut exporter = [0; 32];
    connection
        .export_keying_material(&mut exporter, b"EXPORTER-actor-net-cluster-key", b"")
        .expect("keying material");
    let (exchange, pake) = Spake2::<Ed25519Group>::start_symmetric(
        &Password::new(secret.as_bytes()),
        &Identity::new(b"actor-net cluster key v2"),
    );
    let (mut tx, mut rx) = connection.open_bi().await.expect("a stream");
    let hello = Hello {
        version: VERSION,
        listen,
        pake,
    };
    send(&mut tx, &frame(&encoded(&hello))).await;
    let challenge: Challenge =
        postcard::from_bytes(&read_frame(&mut rx).await).expect("a challenge");
    let session = exchange
        .finish(&challenge.pake)
        .expect("a key exchange message");
    let key = hmac::Key::new(hmac::HMAC_SHA256, &session);
    let signed = |label: &[u8]| [label, &exporter].concat();
    if secret == SECRET {
        hmac::verify(&key, &signed(b"actor-net listener"), &challenge.proof)
            .expect("the node proves the key");
    }
    let mut proof = [0; 32];
    proof.copy_from_slice(hmac::sign(&key, &signed(b"actor-net dialer")).as_ref());
    send(&mut tx, &frame(&encoded(&Proof { proof }))).await;
    // A refused proof may close the connection before this.
    let _ = tx.finish();
    if secret == SECRET {
        assert!(read_frame(&mut rx).await.is_empty(), "welcome is empty");
    }
}

// The stream protocol, as the node encodes it.

#[derive(Serialize)]
struct Open {
    version: u16,
    name: String,
    actor_type: String,
}

#[derive(Serialize)]
enum Request<'a> {
    Declare { ty: u32, name: &'a str },
    Tell { ty: u32 },
    Ask { ty: u32, id: u64 },
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)] // read whole, as the node sends it
enum Refusal {
    NotExported,
    WrongType { exported: String },
    Version { ours: u16 },
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)] // read whole, as the node sends it
enum WireReason {
    Normal,
    Shutdown,
    Killed,
    Failed(String),
    ExitStatus(i32),
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)] // read whole, as the node sends it
enum Response {
    Opened,
    Refused(Refusal),
    Reply { id: u64 },
    Failed { id: u64, reason: WireReason },
    Unknown { ty: u32, name: String },
    Ended { reason: WireReason },
}

/// Opens a stream to `name`, expected as `actor_type`: the node's answer.
async fn open(
    connection: &Connection,
    name: &str,
    actor_type: &str,
) -> (SendStream, RecvStream, Response) {
    let (mut tx, mut rx) = connection.open_bi().await.expect("a stream");
    let open = Open {
        version: VERSION,
        name: name.into(),
        actor_type: actor_type.into(),
    };
    send(&mut tx, &frame(&encoded(&open))).await;
    let answer = postcard::from_bytes(&read_frame(&mut rx).await).expect("an answer");
    (tx, rx, answer)
}

/// The next response on a stream, and what follows its header.
async fn response(rx: &mut RecvStream) -> (Response, Vec<u8>) {
    let body = read_frame(rx).await;
    let (response, rest) = postcard::take_from_bytes(&body).expect("a response");
    (response, rest.to_vec())
}

/// A node exporting a recorder as "rec".
async fn server() -> (Node, actor_core::ActorRef<Recorder>) {
    let server = node().await;
    let local = spawn(Recorder::default());
    server.export("rec", local.clone()).expect("exported");
    (server, local)
}

/// A real node still looks up and asks the export.
async fn still_serves(server: &Node) {
    let client = node().await;
    let remote = client
        .lookup::<Recorder>(server.local_addr(), "rec")
        .await
        .expect("a real node still finds the export");
    remote.tell(Seq { sender: 9, n: 0 }).await.expect("told");
    let record = remote.ask(Record { sender: 9 }).await.expect("answered");
    assert_eq!(record, vec![0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_instead_of_the_hello_closes_that_connection_only() {
    count_panics();
    let (server, _local) = server().await;
    // A real node connected before, and one after.
    let before = node().await;
    let remote = before
        .lookup::<Recorder>(server.local_addr(), "rec")
        .await
        .expect("found");

    // Not a frame; a version that does not decode; a hello cut short; a
    // hello of the right version whose option tag is out of range.
    for garbage in [
        &b"GET / HTTP/1.1\r\nHost: actor-node\r\n\r\n"[..],
        &frame(&[0xff; 5]),
        &frame(&[VERSION as u8]),
        &frame(&[VERSION as u8, 0xff, 0xff]),
    ] {
        let (_endpoint, connection) = raw_connect(server.local_addr()).await;
        let (mut tx, _rx) = connection.open_bi().await.expect("a stream");
        send(&mut tx, garbage).await;
        closed_with(&connection, CLOSE_PROTOCOL).await;
    }

    assert_eq!(remote.ask(Count).await.expect("still answered"), 0);
    still_serves(&server).await;
    no_task_panicked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_that_lie_about_their_length_close_the_connection() {
    count_panics();
    let (server, _local) = server().await;

    // Before the handshake.
    let mut truncated = 100u32.to_le_bytes().to_vec();
    truncated.extend([0; 10]);
    for (bytes, finish) in [
        (truncated.clone(), true),
        (u32::MAX.to_le_bytes().to_vec(), false),
    ] {
        let (_endpoint, connection) = raw_connect(server.local_addr()).await;
        let (mut tx, _rx) = connection.open_bi().await.expect("a stream");
        send(&mut tx, &bytes).await;
        if finish {
            tx.finish().expect("finished");
        }
        closed_with(&connection, CLOSE_PROTOCOL).await;
    }

    // After it: as a stream's first frame, and as a request.
    for (bytes, finish) in [(truncated, true), (u32::MAX.to_le_bytes().to_vec(), false)] {
        for opened in [false, true] {
            let (_endpoint, connection) = raw_connect(server.local_addr()).await;
            authenticate(&connection, SECRET).await;
            let (mut tx, _rx) = if opened {
                let (tx, rx, answer) = open(&connection, "rec", "test.recorder").await;
                assert!(matches!(answer, Response::Opened), "{answer:?}");
                (tx, rx)
            } else {
                connection.open_bi().await.expect("a stream")
            };
            send(&mut tx, &bytes).await;
            if finish {
                tx.finish().expect("finished");
            }
            closed_with(&connection, CLOSE_PROTOCOL).await;
        }
    }

    still_serves(&server).await;
    no_task_panicked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_proof_is_refused_by_the_listener() {
    count_panics();
    let (server, local) = server().await;
    let (_endpoint, connection) = raw_connect(server.local_addr()).await;
    authenticate(&connection, "not the cluster's secret").await;
    closed_with(&connection, CLOSE_KEY_MISMATCH).await;
    // Nothing opens on a refused connection.
    assert!(connection.open_bi().await.is_err());
    still_serves(&server).await;
    assert_eq!(
        local.ask(Count).await.expect("answered"),
        1,
        "only the real node's tell"
    );
    no_task_panicked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_after_the_handshake_are_answered_or_close_the_connection() {
    count_panics();
    let (server, local) = server().await;
    let (_endpoint, connection) = raw_connect(server.local_addr()).await;
    authenticate(&connection, SECRET).await;

    // Refusals leave the connection open.
    let (_tx, _rx, answer) = open(&connection, "nobody", "test.recorder").await;
    assert!(
        matches!(answer, Response::Refused(Refusal::NotExported)),
        "{answer:?}"
    );
    let (_tx, _rx, answer) = open(&connection, "rec", "test.slow").await;
    assert!(
        matches!(&answer, Response::Refused(Refusal::WrongType { exported }) if exported == "test.recorder"),
        "{answer:?}"
    );

    let (mut tx, mut rx, answer) = open(&connection, "rec", "test.recorder").await;
    assert!(matches!(answer, Response::Opened), "{answer:?}");

    // A message type the actor does not know: declared, then asked.
    let mut bytes = frame(&encoded(&Request::Declare {
        ty: 0,
        name: "test.nope",
    }));
    bytes.extend(frame(&encoded(&Request::Ask { ty: 0, id: 0 })));
    bytes.extend(frame(&encoded(&Request::Tell { ty: 0 })));
    send(&mut tx, &bytes).await;
    let (unknown, _) = response(&mut rx).await;
    assert!(
        matches!(&unknown, Response::Unknown { ty: 0, name } if name == "test.nope"),
        "{unknown:?}"
    );
    let (failed, _) = response(&mut rx).await;
    assert!(
        matches!(&failed, Response::Failed { id: 0, reason: WireReason::Failed(why) } if why.contains("does not accept")),
        "{failed:?}"
    );

    // The stream still works: a known type, and one whose body does not decode.
    let mut bytes = frame(&encoded(&Request::Declare {
        ty: 1,
        name: "test.count",
    }));
    let ask = |id: u64, body: &[u8]| {
        let mut header = encoded(&Request::Ask { ty: 1, id });
        header.extend_from_slice(body);
        frame(&header)
    };
    bytes.extend(ask(1, &encoded(&Count)));
    bytes.extend(frame(&encoded(&Request::Declare {
        ty: 2,
        name: "test.record",
    })));
    let mut bad_record = encoded(&Request::Ask { ty: 2, id: 2 });
    bad_record.extend([0xff; 6]);
    bytes.extend(frame(&bad_record));
    bytes.extend(ask(3, &encoded(&Count)));
    send(&mut tx, &bytes).await;
    let (reply, rest) = response(&mut rx).await;
    assert!(matches!(reply, Response::Reply { id: 1 }), "{reply:?}");
    assert_eq!(postcard::from_bytes::<u64>(&rest).expect("a count"), 0);
    let (failed, _) = response(&mut rx).await;
    assert!(
        matches!(&failed, Response::Failed { id: 2, reason: WireReason::Failed(why) } if why.contains("does not decode")),
        "{failed:?}"
    );
    let (reply, _) = response(&mut rx).await;
    assert!(matches!(reply, Response::Reply { id: 3 }), "{reply:?}");

    // A header that does not decode closes the connection.
    send(&mut tx, &frame(&[0xff, 0xff])).await;
    closed_with(&connection, CLOSE_PROTOCOL).await;

    still_serves(&server).await;
    assert_eq!(
        local.ask(Count).await.expect("answered"),
        1,
        "nothing bad reached the actor"
    );
    no_task_panicked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_opens_and_undeclared_types_close_the_connection() {
    count_panics();
    let (server, _local) = server().await;

    let (_endpoint, connection) = raw_connect(server.local_addr()).await;
    authenticate(&connection, SECRET).await;
    let (mut tx, _rx) = connection.open_bi().await.expect("a stream");
    send(&mut tx, &frame(&[0xff; 8])).await;
    closed_with(&connection, CLOSE_PROTOCOL).await;

    let (_endpoint, connection) = raw_connect(server.local_addr()).await;
    authenticate(&connection, SECRET).await;
    let (mut tx, _rx, answer) = open(&connection, "rec", "test.recorder").await;
    assert!(matches!(answer, Response::Opened), "{answer:?}");
    send(&mut tx, &frame(&encoded(&Request::Tell { ty: 5 }))).await;
    closed_with(&connection, CLOSE_PROTOCOL).await;

    still_serves(&server).await;
    no_task_panicked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_holder_claiming_another_nodes_address_does_not_receive_its_lookups() {
    count_panics();
    let (real, _recorder) = server().await;
    let victim = node().await;
    // A key holder dials the victim claiming to listen where `real` does.
    let (_endpoint, impostor) = raw_connect(victim.local_addr()).await;
    authenticate_as(&impostor, SECRET, Some(real.local_addr())).await;
    // The victim's lookup of `real` reaches `real`, not the impostor.
    let remote = patiently(
        "a lookup of the real node",
        victim.lookup::<Recorder>(real.local_addr(), "rec"),
    )
    .await
    .expect("found on the real node");
    remote.tell(Seq { sender: 3, n: 0 }).await.expect("told");
    let record = remote.ask(Record { sender: 3 }).await.expect("answered");
    assert_eq!(record, vec![0], "answered by the real node's export");
    let mut asked = std::pin::pin!(impostor.accept_bi());
    assert!(
        actor_test_support::poll_once(asked.as_mut())
            .await
            .is_pending(),
        "the impostor was sent nothing"
    );
    no_task_panicked();
}
