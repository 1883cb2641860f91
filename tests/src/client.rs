//! A minimal DNS client: raw bytes out, raw bytes in, over UDP or TCP.
//!
//! Owns: sockets and timeouts. Must not: interpret messages beyond matching a
//! reply to its query by ID, so that hand-made malformed packets can be sent.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// Sends `query` over UDP and waits up to `timeout` for one datagram from
/// `server`. When the query is at least two octets long, a reply must carry
/// the same ID (other datagrams are skipped). `Ok(None)` on timeout.
pub fn udp_exchange(server: SocketAddr, query: &[u8], timeout: Duration) -> io::Result<Option<Vec<u8>>> {
    let sock = UdpSocket::bind(if server.is_ipv4() { "127.0.0.1:0" } else { "[::1]:0" })?;
    sock.send_to(query, server)?;
    udp_recv_matching(&sock, server, query.get(..2), timeout)
}

/// Waits on `sock` for a datagram from `server` whose first two octets equal
/// `id` (any datagram if `id` is `None`).
pub fn udp_recv_matching(sock: &UdpSocket, server: SocketAddr, id: Option<&[u8]>, timeout: Duration) -> io::Result<Option<Vec<u8>>> {
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; 65535];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        sock.set_read_timeout(Some(left))?;
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                if from != server {
                    continue;
                }
                if let Some(id) = id {
                    if buf.get(..2) != Some(id) {
                        continue;
                    }
                }
                return Ok(Some(buf[..n].to_vec()));
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// Sends `query` over a new TCP connection (2-octet length prefix, RFC 1035
/// §4.2.2) and reads one message back. `Ok(None)` if the server closes the
/// connection or says nothing within `timeout`.
pub fn tcp_exchange(server: SocketAddr, query: &[u8], timeout: Duration) -> io::Result<Option<Vec<u8>>> {
    let mut c = TcpConn::connect(server, timeout)?;
    c.send(query)?;
    c.recv(timeout)
}

/// A TCP connection for pipelining several queries (RFC 7766 §6.2.1.1).
#[derive(Debug)]
pub struct TcpConn {
    /// The stream.
    pub stream: TcpStream,
}

impl TcpConn {
    /// Connects with a timeout.
    pub fn connect(server: SocketAddr, timeout: Duration) -> io::Result<Self> {
        let stream = TcpStream::connect_timeout(&server, timeout)?;
        stream.set_nodelay(true)?;
        Ok(Self { stream })
    }

    /// Writes one length-prefixed message, in one write.
    pub fn send(&mut self, msg: &[u8]) -> io::Result<()> {
        let mut framed = Vec::with_capacity(msg.len() + 2);
        framed.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        framed.extend_from_slice(msg);
        self.stream.write_all(&framed)
    }

    /// Reads one length-prefixed message. `Ok(None)` on a clean close or timeout.
    pub fn recv(&mut self, timeout: Duration) -> io::Result<Option<Vec<u8>>> {
        let deadline = Instant::now() + timeout;
        let mut len = [0u8; 2];
        if !self.read_full(&mut len, deadline)? {
            return Ok(None);
        }
        let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
        if !self.read_full(&mut msg, deadline)? {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed inside a message"));
        }
        Ok(Some(msg))
    }

    /// Fills `buf`; false if the peer closed before the first octet or the
    /// deadline passed.
    fn read_full(&mut self, buf: &mut [u8], deadline: Instant) -> io::Result<bool> {
        let mut got = 0;
        while got < buf.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            self.stream.set_read_timeout(Some(left))?;
            match self.stream.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed mid-read")),
                Ok(n) => got += n,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset && got == 0 => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Whether the server has closed the connection: waits up to `timeout`
    /// for EOF (or a reset). Any data received first is an error.
    pub fn closed_within(&mut self, timeout: Duration) -> io::Result<bool> {
        self.stream.set_read_timeout(Some(timeout))?;
        let mut b = [0u8; 1];
        match self.stream.read(&mut b) {
            Ok(0) => Ok(true),
            Ok(_) => Err(io::Error::other("unexpected data on an idle connection")),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => Ok(false),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(true),
            Err(e) => Err(e),
        }
    }
}
