//! The floor for `benches/peers.sh`: a UDP server that sends every datagram
//! straight back (one `recvfrom`, one `sendto`, no parsing), so a DNS server's
//! cost per query can be read as "echo + DNS work".
//!
//! Usage: `udp-echo 127.0.0.1:PORT`. Runs until killed.

use std::net::UdpSocket;

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:5399".into());
    let sock = UdpSocket::bind(&addr)?;
    eprintln!("udp-echo on {}", sock.local_addr()?);
    let mut buf = [0u8; 65535];
    loop {
        let (n, peer) = match sock.recv_from(&mut buf) {
            Ok(v) => v,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // A DNS client drops a reply that is not a response, so set QR like a
        // server would; everything else is sent back unchanged.
        if n > 2 {
            buf[2] |= 0x80;
        }
        let _ = sock.send_to(&buf[..n], peer);
    }
}
