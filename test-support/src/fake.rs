//! DNS servers scripted by a test (a primary that misbehaves on purpose, say)
//! on a free loopback port.

use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;

use crate::net::{free_port, local};

/// A server on 127.0.0.1:`addr.port()`, UDP and TCP: one thread answers each
/// UDP datagram with what the test's function returns (nothing for `None`),
/// another accepts TCP connections and hands each to the test's function on a
/// thread of its own. The threads end with the test process.
pub struct LoopbackServer {
    /// Where it listens.
    pub addr: SocketAddr,
}

impl LoopbackServer {
    /// Binds a free port and starts answering.
    pub fn start(udp: impl Fn(&[u8]) -> Option<Vec<u8>> + Send + 'static, tcp: impl Fn(TcpStream) + Send + Sync + 'static) -> LoopbackServer {
        let addr = local(free_port());
        let sock = UdpSocket::bind(addr).unwrap_or_else(|e| panic!("bind UDP {addr}: {e}"));
        let listener = TcpListener::bind(addr).unwrap_or_else(|e| panic!("bind TCP {addr}: {e}"));
        std::thread::spawn(move || {
            let mut b = [0u8; 65535];
            while let Ok((n, from)) = sock.recv_from(&mut b) {
                if let Some(reply) = udp(&b[..n]) {
                    let _ = sock.send_to(&reply, from);
                }
            }
        });
        let tcp = Arc::new(tcp);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let tcp = tcp.clone();
                std::thread::spawn(move || tcp(conn));
            }
        });
        LoopbackServer { addr }
    }
}
