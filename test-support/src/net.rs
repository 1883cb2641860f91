//! Loopback ports and addresses.

use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::sync::Mutex;

/// A port on 127.0.0.1 free for both UDP and TCP right now (see [`free_port_on`]).
pub fn free_port() -> u16 {
    free_port_on(IpAddr::from([127, 0, 0, 1])).expect("a free loopback port")
}

/// A port on `ip` free for both UDP and TCP right now, never handed out twice
/// in this process: the server binds its UDP sockets with `SO_REUSEPORT`, so
/// two servers started at once on one port would silently share it.
pub fn free_port_on(ip: IpAddr) -> std::io::Result<u16> {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    for _ in 0..100 {
        let u = UdpSocket::bind((ip, 0))?;
        let port = u.local_addr()?.port();
        let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
        if !given.contains(&port) && TcpListener::bind((ip, port)).is_ok() {
            given.push(port);
            return Ok(port);
        }
    }
    Err(std::io::Error::other("no free port"))
}

/// `127.0.0.1:port`.
pub fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}
