//! Addresses in UDP control messages: which local address a query was sent to,
//! so the reply leaves from that same address (RFC 2181 §4).
//!
//! Owns: enabling `IP_PKTINFO`/`IPV6_RECVPKTINFO`, reading the destination of a
//! received datagram from its control messages, writing the source of the reply
//! into the outgoing control buffer, and converting `sockaddr_storage` to
//! [`SocketAddr`]. Must not: allocate (it runs per packet) or do I/O beyond
//! `setsockopt` at startup.
//!
//! This matters when a socket is bound to `0.0.0.0` or `::`: without it the
//! kernel picks the reply's source by routing, and a client that asked
//! 127.0.0.2 (or a secondary IP of a pod) gets an answer from another address
//! and drops it.

use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;

/// Size of one control buffer: room for one `in6_pktinfo` (the larger of the
/// two) with its header and padding, `CMSG_SPACE(20)` = 40 on 64-bit Linux.
pub const CMSG_BUF: usize = 64;

/// A control-message buffer aligned for `cmsghdr`.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub struct CmsgBuf(pub [u8; CMSG_BUF]);

impl Default for CmsgBuf {
    fn default() -> Self {
        Self([0; CMSG_BUF])
    }
}

/// The local address a datagram arrived on, as the kernel reported it.
#[derive(Clone, Copy)]
pub enum LocalAddr {
    /// No packet info (the socket is bound to a specific address).
    Unknown,
    /// IPv4 `in_pktinfo`.
    V4(libc::in_pktinfo),
    /// IPv6 `in6_pktinfo`.
    V6(libc::in6_pktinfo),
}

impl LocalAddr {
    /// The destination address of the query, if known (for tests and logs).
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        match self {
            LocalAddr::Unknown => None,
            LocalAddr::V4(p) => Some(Ipv4Addr::from(u32::from_be(p.ipi_addr.s_addr)).into()),
            LocalAddr::V6(p) => Some(Ipv6Addr::from(p.ipi6_addr.s6_addr).into()),
        }
    }
}

fn setsockopt_int(sock: &socket2::Socket, level: libc::c_int, opt: libc::c_int, val: libc::c_int) -> io::Result<()> {
    // SAFETY: the fd is open for the life of `sock`; we pass a pointer to a live
    // c_int and its exact size, as setsockopt(2) requires for integer options.
    let rc = unsafe {
        libc::setsockopt(sock.as_raw_fd(), level, opt, (&val as *const libc::c_int).cast(), mem::size_of::<libc::c_int>() as libc::socklen_t)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Asks the kernel to report each datagram's destination address.
pub fn enable(sock: &socket2::Socket, v6: bool) -> io::Result<()> {
    if v6 {
        setsockopt_int(sock, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)
    } else {
        setsockopt_int(sock, libc::IPPROTO_IP, libc::IP_PKTINFO, 1)
    }
}

/// Finds the packet-info control message among the first `len` octets of `ctrl`.
pub fn read(ctrl: &CmsgBuf, len: usize) -> LocalAddr {
    // SAFETY: msghdr is plain old data; all-zero is a valid (empty) value.
    let mut hdr: libc::msghdr = unsafe { mem::zeroed() };
    hdr.msg_control = ctrl.0.as_ptr() as *mut libc::c_void;
    hdr.msg_controllen = len.min(CMSG_BUF) as _;
    // SAFETY: `hdr` describes exactly the live, aligned buffer `ctrl` (length
    // clamped to its size). CMSG_FIRSTHDR/CMSG_NXTHDR only return headers that
    // lie inside msg_controllen, and we check each payload fits before reading
    // it with an unaligned read.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&hdr);
        while !c.is_null() {
            let data = libc::CMSG_DATA(c);
            let avail = (*c).cmsg_len as usize - (data as usize - c as usize);
            match ((*c).cmsg_level, (*c).cmsg_type) {
                (libc::IPPROTO_IP, libc::IP_PKTINFO) if avail >= mem::size_of::<libc::in_pktinfo>() => {
                    return LocalAddr::V4(std::ptr::read_unaligned(data.cast()));
                }
                (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) if avail >= mem::size_of::<libc::in6_pktinfo>() => {
                    return LocalAddr::V6(std::ptr::read_unaligned(data.cast()));
                }
                _ => {}
            }
            c = libc::CMSG_NXTHDR(&hdr, c);
        }
    }
    LocalAddr::Unknown
}

/// Writes the control message that makes a reply leave from `local` into `ctrl`;
/// returns the control length to send (0: no control message).
pub fn write(local: &LocalAddr, ctrl: &mut CmsgBuf) -> usize {
    let (level, ty, size) = match local {
        LocalAddr::Unknown => return 0,
        LocalAddr::V4(_) => (libc::IPPROTO_IP, libc::IP_PKTINFO, mem::size_of::<libc::in_pktinfo>()),
        LocalAddr::V6(_) => (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, mem::size_of::<libc::in6_pktinfo>()),
    };
    // SAFETY: CMSG_SPACE/CMSG_LEN are pure arithmetic on the payload size.
    let (space, clen) = unsafe { (libc::CMSG_SPACE(size as u32) as usize, libc::CMSG_LEN(size as u32) as usize) };
    debug_assert!(space <= CMSG_BUF);
    ctrl.0[..space].fill(0);
    // SAFETY: msghdr is plain old data; all-zero is a valid value.
    let mut hdr: libc::msghdr = unsafe { mem::zeroed() };
    hdr.msg_control = ctrl.0.as_mut_ptr().cast();
    hdr.msg_controllen = space as _;
    // SAFETY: `hdr` describes the live, 8-aligned buffer `ctrl` of `space` ≤
    // CMSG_BUF octets, so CMSG_FIRSTHDR returns a non-null header at its start
    // with room for `size` payload octets after it; writes are unaligned-safe.
    unsafe {
        let c = libc::CMSG_FIRSTHDR(&hdr);
        (*c).cmsg_level = level;
        (*c).cmsg_type = ty;
        (*c).cmsg_len = clen as _;
        let data = libc::CMSG_DATA(c);
        match *local {
            LocalAddr::V4(mut p) => {
                // Source = the address the query was sent to; interface left to
                // routing (as Unbound does), so a reply is never forced out the
                // wrong link.
                p.ipi_spec_dst = p.ipi_addr;
                p.ipi_ifindex = 0;
                std::ptr::write_unaligned(data.cast(), p);
            }
            // IPv6 keeps the interface: link-local sources need it.
            LocalAddr::V6(p) => std::ptr::write_unaligned(data.cast(), p),
            LocalAddr::Unknown => unreachable!(),
        }
    }
    space
}

/// Converts a socket address filled in by the kernel (`len` octets used).
/// Returns `None` for families other than IPv4/IPv6.
pub fn to_std(sa: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
    match sa.ss_family as libc::c_int {
        libc::AF_INET if len as usize >= mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says the storage holds a sockaddr_in, which is
            // smaller than and no more aligned than sockaddr_storage.
            let a: &libc::sockaddr_in = unsafe { &*(sa as *const libc::sockaddr_storage).cast() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(a.sin_port))))
        }
        libc::AF_INET6 if len as usize >= mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for sockaddr_in6.
            let a: &libc::sockaddr_in6 = unsafe { &*(sa as *const libc::sockaddr_storage).cast() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(ip, u16::from_be(a.sin6_port), u32::from_be(a.sin6_flowinfo), a.sin6_scope_id)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pktinfo_round_trips_through_a_control_buffer() {
        // SAFETY: in_pktinfo is plain old data.
        let mut p: libc::in_pktinfo = unsafe { mem::zeroed() };
        p.ipi_addr.s_addr = u32::from(Ipv4Addr::new(127, 0, 0, 2)).to_be();
        p.ipi_ifindex = 1;
        let mut buf = CmsgBuf::default();
        let n = write(&LocalAddr::V4(p), &mut buf);
        assert!(n > 0 && n <= CMSG_BUF);
        let back = read(&buf, n);
        assert_eq!(back.ip(), Some("127.0.0.2".parse().unwrap()));
        match back {
            LocalAddr::V4(q) => {
                assert_eq!(q.ipi_ifindex, 0);
                assert_eq!(q.ipi_spec_dst.s_addr, p.ipi_addr.s_addr);
            }
            _ => panic!("expected v4"),
        }
        assert_eq!(write(&LocalAddr::Unknown, &mut buf), 0);
        assert!(matches!(read(&buf, 0), LocalAddr::Unknown));
    }
}
