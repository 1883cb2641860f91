//! The request entry point: header checks, opcode dispatch, EDNS, ACL, CHAOS.
//!
//! Order of checks for a request (RFC 8906 §8): unreadable header → drop;
//! QR=1 → drop (RFC 8906 rationale: never answer responses); malformed → FORMERR;
//! EDNS version > 0 → BADVERS (RFC 6891 §6.1.3); a malformed COOKIE → FORMERR,
//! and with cookies required, a UDP client cookie without a valid server
//! cookie → BADCOOKIE (RFC 7873 §5.2, [`super::cookie`]); client not in
//! `allowQuery` → REFUSED; opcode other than QUERY → NOTIMP (RFC 1035
//! §4.1.1); then the query. Over UDP the response then passes response rate
//! limiting ([`super::rrl`]) unless the client holds a valid server cookie.

use std::sync::Arc;

use super::answer::{self, Outcome};
use super::chaos::Chaos;
use super::cookie::{self, CookieState};
use super::read_rest;
use super::rrl::{self, RateTable, Verdict};
use super::signed::SignedStream;
use super::transfer::{self, Decision};
use super::update::{self, ZoneEditor};
use super::{QueryConfig, RequestCtx, TcpResponse, Transport};
use crate::catalog::Catalog;
use crate::clock::unix_now;
use crate::tsig::{self, ResponseSigner, Verified};
use crate::wire::request::EDNS_EXPIRE;
use crate::wire::request::{self, Request};
use crate::wire::writer::{MsgWriter, OPT_LEN};

use crate::wire::{class, flags, opcode, rcode, rtype};
use crate::zone::set::{PrefetchHint, ZoneSet, ZoneTable};

/// Answers requests from the served zones. Shared by every worker (`Arc<Handler>`).
#[derive(Debug)]
pub struct Handler {
    zones: Arc<ZoneSet>,
    cfg: QueryConfig,
    /// CHAOS TXT answers, pre-encoded.
    chaos: Chaos,
    /// Transfer policies and journals; without it, transfers are refused and
    /// NOTIFY is NOTIMP.
    transfers: Option<Arc<Catalog>>,
    /// Commits dynamic updates; without it, UPDATE is NOTIMP.
    updates: Option<Arc<dyn ZoneEditor>>,
    /// Response rate limiting over UDP, when `cfg.rrl` limits something.
    rrl: Option<Arc<RateTable>>,
}

impl Handler {
    /// A handler answering from `zones` with settings `cfg`.
    pub fn new(zones: Arc<ZoneSet>, mut cfg: QueryConfig) -> Self {
        cfg.udp_max_payload = cfg.udp_max_payload.max(512);
        let chaos = Chaos::new(cfg.chaos_version.as_deref(), cfg.chaos_id.as_deref());
        Self { zones, cfg, chaos, transfers: None, updates: None, rrl: None }
    }

    /// Limits UDP responses as `cfg.rrl` says, in `table` (made once by
    /// the server and handed to every handler it makes, so a reload keeps
    /// the clients' balances). Without `cfg.rrl`, nothing is limited.
    pub fn with_rrl(mut self, table: Arc<RateTable>) -> Self {
        self.rrl = self.cfg.rrl.as_ref().filter(|s| s.enabled()).map(|_| table);
        self
    }

    /// Answers AXFR/IXFR and NOTIFY from `catalog`.
    pub fn with_transfers(mut self, catalog: Arc<Catalog>) -> Self {
        self.transfers = Some(catalog);
        self
    }

    /// Answers UPDATE (RFC 2136) through `editor`; callers send requests for
    /// which [`Self::is_update`] holds to [`Self::update`].
    pub fn with_updates(mut self, editor: Arc<dyn ZoneEditor>) -> Self {
        self.updates = Some(editor);
        self
    }

    /// True when `req` is an UPDATE to answer with [`Self::update`], off the
    /// worker: the commit waits for the zone's editor. Every other request
    /// (and UPDATE when updates are not enabled: NOTIMP) goes to [`Self::handle`].
    #[inline]
    pub fn is_update(&self, req: &[u8]) -> bool {
        self.updates.is_some() && update::is_update_request(req)
    }

    /// Answers an UPDATE request: the response, or `None` to send nothing.
    pub async fn update(self: Arc<Self>, req: &[u8], ctx: RequestCtx) -> Option<Vec<u8>> {
        let editor = self.updates.clone()?;
        update::answer(&*self, &*editor, req, &ctx).await
    }

    /// The transfer catalog, when attached.
    pub fn transfers(&self) -> Option<&Arc<Catalog>> {
        self.transfers.as_ref()
    }

    /// The zones this handler answers from.
    pub fn zones(&self) -> &Arc<ZoneSet> {
        &self.zones
    }

    /// The settings.
    pub fn config(&self) -> &QueryConfig {
        &self.cfg
    }

    /// Prefetch for a batch (see [`crate::zone::set`]): hints the CPU to
    /// fetch the table slot line that answering `req` from `table` will
    /// read, and returns the hint that fetches its node next. Reads only the
    /// header and the question name (QUERY, one question); `None` for
    /// anything else, or when no served zone is large enough to need it.
    /// Changes nothing: the answer is the same with or without it.
    #[inline]
    pub fn prefetch<'z>(&self, table: &'z ZoneTable, req: &[u8]) -> Option<PrefetchHint<'z>> {
        if !table.wants_prefetch() {
            return None;
        }
        let head: &[u8; request::HEADER_LEN] = req.first_chunk()?;
        // QR clear, OPCODE QUERY (the top five bits of octet 2), QDCOUNT 1.
        if head[2] & 0xF8 != 0 || head[4..6] != [0, 1] {
            return None;
        }
        let mut qname = crate::wire::name::NameBuf::root();
        crate::wire::name::read_plain_name_lower(req, request::HEADER_LEN, &mut qname).ok()?;
        table.prefetch(qname.as_wire())
    }

    /// Answers one request with one message written into `out` (at least
    /// [`super::MAX_MESSAGE`] octets for TCP; for UDP, at least the configured
    /// maximum payload). Returns its length, or `None` to send nothing.
    /// Loads the served zones for this request alone; a loop over many
    /// requests loads them once with [`Self::handle_in`].
    pub fn handle(&self, req: &[u8], ctx: &RequestCtx, out: &mut [u8]) -> Option<usize> {
        self.handle_in(&self.zones.load(), req, ctx, out)
    }

    /// [`Self::handle`] answering from `table`, the served zones as loaded
    /// once for a batch of requests (`handler.zones().load()`): the UDP
    /// workers load them once per `recvmmsg` batch and drop them when the
    /// batch is answered, so a load (two locked atomics) is not paid per
    /// query and an idle worker keeps no old zone version alive.
    #[inline]
    pub fn handle_in(&self, table: &ZoneTable, req: &[u8], ctx: &RequestCtx, out: &mut [u8]) -> Option<usize> {
        // [`parse_request`], in place: a `Request` holds a 256-octet name
        // buffer, and moving it out of a function is a copy per query.
        let mut parsed = Request::header(req)?;
        let malformed = read_rest(&mut parsed)?;
        let cookie = self.cookie_state(&parsed, ctx);
        let len = self.answer_parsed(table, &parsed, malformed, cookie, ctx, out)?;
        match (&self.rrl, &self.cfg.rrl) {
            (Some(t), Some(s)) if ctx.transport == Transport::Udp && cookie != CookieState::Valid => self.rate_limit(t, s, &parsed, ctx, out, len),
            _ => Some(len),
        }
    }

    /// Response rate limiting of one UDP response of `len` octets in `out`
    /// (see [`super::rrl`]): the response, nothing, or a truncated one.
    /// Out of line: only servers with RRL on come here.
    #[inline(never)]
    fn rate_limit(&self, t: &RateTable, s: &rrl::RrlSettings, r: &Request<'_>, ctx: &RequestCtx, out: &mut [u8], len: usize) -> Option<usize> {
        let kind = rrl::Kind::of_rcode(out[3] & 0x0F);
        let verdict = match t.check(s, ctx.peer.ip(), kind, t.now()) {
            // A slip would go unsigned, which a TSIG client must discard
            // (RFC 8945 §5.3): drop it instead.
            Verdict::Slip if r.tsig_at.is_some() => Verdict::Drop,
            v => v,
        };
        match verdict {
            Verdict::Send => Some(len),
            Verdict::Drop => {
                super::rrl::record(kind, false);
                None
            }
            Verdict::Slip => {
                super::rrl::record(kind, true);
                // The header as answered (RCODE, AA), no records, TC=1: a
                // real client retries over TCP (BIND's slip).
                let (rc, aa) = (u16::from(out[3] & 0x0F), out[2] & (flags::AA >> 8) as u8 != 0);
                let n = self.respond(r, ctx, out, 0, |_, _| Outcome { rcode: rc, aa });
                out[2] |= (flags::TC >> 8) as u8;
                Some(n)
            }
        }
    }

    /// What the request's COOKIE option says (RFC 7873 §5.2); `Absent` when
    /// cookies are off. Costs one SipHash when a server cookie is present.
    #[inline]
    fn cookie_state(&self, r: &Request<'_>, ctx: &RequestCtx) -> CookieState {
        match r.edns {
            Some(e) if e.cookie != request::CookieOpt::Absent && self.cfg.cookies.enabled => self.check_cookie(r, &e, ctx),
            _ => CookieState::Absent,
        }
    }

    /// The error a COOKIE option gets: FORMERR when malformed (RFC 7873
    /// §5.2.2); with cookies required, over UDP, BADCOOKIE for a client
    /// cookie alone or an invalid server cookie (§5.2.3, §5.2.4).
    #[inline]
    fn cookie_error(&self, cookie: CookieState, ctx: &RequestCtx) -> Option<u16> {
        match cookie {
            CookieState::Absent | CookieState::Valid => None,
            CookieState::Malformed => Some(rcode::FORMERR),
            CookieState::ClientOnly | CookieState::Invalid => {
                (self.cfg.cookies.require && ctx.transport == Transport::Udp).then_some(rcode::BADCOOKIE)
            }
        }
    }

    /// [`Self::cookie_state`] for a request that sent a COOKIE option.
    #[inline(never)]
    fn check_cookie(&self, r: &Request<'_>, e: &request::Edns, ctx: &RequestCtx) -> CookieState {
        match e.cookie.parts(r.msg) {
            None if e.cookie == request::CookieOpt::Malformed => CookieState::Malformed,
            None => CookieState::Absent,
            Some((_, [])) => CookieState::ClientOnly,
            Some((client, server)) => self.cfg.cookies.check(client, server, ctx.peer.ip(), unix_now()),
        }
    }

    /// [`Self::handle_in`] once the request is parsed; `malformed` when it
    /// gets FORMERR.
    #[inline]
    fn answer_parsed(
        &self,
        table: &ZoneTable,
        r: &Request<'_>,
        malformed: bool,
        cookie: CookieState,
        ctx: &RequestCtx,
        out: &mut [u8],
    ) -> Option<usize> {
        let mut signer = None;
        if let (Some(at), false) = (r.tsig_at, malformed) {
            match self.verify_tsig(r, at) {
                Ok(v) => signer = Some(v),
                Err(n) => return self.tsig_error(r, n, out),
            }
        }
        let reserve = signer.as_ref().map_or(0, |s: &(Verified, ResponseSigner)| s.1.tsig_len());
        let mut len = self.respond(r, ctx, out, reserve, |h, w| {
            if malformed {
                Outcome { rcode: rcode::FORMERR, aa: false }
            } else if r.edns.is_some_and(|e| e.version > 0) {
                Outcome { rcode: rcode::BADVERS, aa: false }
            } else if let Some(rc) = h.cookie_error(cookie, ctx) {
                Outcome { rcode: rc, aa: false }
            } else if !h.cfg.allow_query.allows(ctx.peer.ip()) {
                Outcome { rcode: rcode::REFUSED, aa: false }
            } else {
                match (r.opcode(), &h.transfers) {
                    (opcode::QUERY, _) => h.query(table, r, ctx, w, key_name(&signer).as_deref(), cookie),
                    (opcode::NOTIFY, Some(reg)) => transfer::notify(reg, r, ctx, key_name(&signer).as_deref()),
                    _ => Outcome { rcode: rcode::NOTIMP, aa: false },
                }
            }
        });
        let tc = (flags::TC >> 8) as u8;
        if signer.is_some() && out[2] & tc != 0 {
            // RFC 8945 §5.3 (checklist S5): a signed response that does not fit
            // carries only the question and the TSIG (and OPT), TC=1, NOERROR.
            let aa = u16::from_be_bytes([out[2], out[3]]) & flags::AA != 0;
            len = self.respond(r, ctx, out, reserve, |_, _| Outcome { rcode: rcode::NOERROR, aa });
            out[2] |= tc;
        }
        match signer {
            Some((_, mut s)) => s.sign(out, len).ok(),
            None => Some(len),
        }
    }

    /// Verifies the request's TSIG against the catalog's keys.
    pub(super) fn verify_tsig(&self, r: &Request<'_>, at: usize) -> Result<(Verified, ResponseSigner), Box<tsig::Failure>> {
        let keys = self.transfers.as_ref().map(|t| t.keys()).unwrap_or_default();
        let now = unix_now();
        match tsig::verify_request(r.msg, at, &keys, now) {
            Ok(v) => {
                let s = v.signer(now);
                Ok((v, s))
            }
            Err(f) => Err(Box::new(f)),
        }
    }

    /// Admits a verified request that changes state (UPDATE) once: the same
    /// key, Time Signed and MAC seen before within the fudge window is a
    /// replay (RFC 8945 §5.2.3), refused with a signed BADTIME; seen and still
    /// being handled, a retransmission (`Ok(None)`: send nothing, the first
    /// one's reply answers it). Call [`Self::finish_once`] when done.
    #[allow(clippy::type_complexity)]
    pub(super) fn admit_once(&self, (v, s): (Verified, ResponseSigner)) -> Result<Option<(Verified, ResponseSigner)>, Box<tsig::Failure>> {
        let now = unix_now();
        match self.transfers.as_ref().map(|reg| reg.replay_guard().begin(&v, now)) {
            Some(tsig::Seen::Done) => Err(Box::new(tsig::Failure::replayed(v, now))),
            Some(tsig::Seen::InFlight) => Ok(None),
            Some(tsig::Seen::Fresh) | None => Ok(Some((v, s))),
        }
    }

    /// Marks a request admitted by [`Self::admit_once`] as handled.
    pub(super) fn finish_once(&self, v: &Verified) {
        if let Some(reg) = &self.transfers {
            reg.replay_guard().finish(v);
        }
    }

    /// The NOTAUTH answer to a request whose TSIG failed (RFC 8945 §5.2).
    pub(super) fn tsig_error(&self, r: &Request<'_>, f: Box<tsig::Failure>, out: &mut [u8]) -> Option<usize> {
        tracing::debug!(op = "tsig", rcode = f.rcode, "{f}");
        tsig::write_error_response(r, &f, self.cfg.udp_max_payload, out).ok()
    }

    /// Writes the response to `r`: header, question, the sections `body`
    /// fills in, flags, and OPT when the request had one.
    /// `reserve` octets are kept free at the end (for a TSIG record).
    pub(super) fn respond(
        &self,
        r: &Request<'_>,
        ctx: &RequestCtx,
        out: &mut [u8],
        reserve: usize,
        body: impl FnOnce(&Self, &mut MsgWriter<'_>) -> Outcome,
    ) -> usize {
        let limit = match (ctx.transport, r.edns) {
            (Transport::Tcp, _) => super::MAX_MESSAGE,
            (Transport::Udp, Some(e)) => e.udp_size.clamp(512, self.cfg.udp_max_payload) as usize,
            (Transport::Udp, None) => 512,
        };
        let mut w = MsgWriter::new(out, limit);
        w.reserve(reserve);
        // EDNS options to answer with, worked out only when the client sent some.
        let extras = match r.edns {
            Some(e) if e.expire || e.nsid || e.cookie != request::CookieOpt::Absent => Some(self.extras(r, &e, ctx)),
            _ => None,
        };
        if r.edns.is_some() {
            w.reserve(OPT_LEN + extras.as_ref().map_or(0, Extras::len));
        }
        let op = r.opcode();
        w.header(r.id, flags::QR | ((op as u16) << 11) | (r.flags & (flags::RD | flags::CD)));
        if let Some(q) = &r.question {
            // Cannot fail: a question is at most 259 octets and the limit at least 512.
            let _ = w.question(q.name, q.qtype, q.qclass);
        }
        let out = body(self, &mut w);
        let mut f = (w.flags() & !0x000F) | (out.rcode & 0xF);
        if out.aa {
            f |= flags::AA;
        }
        if w.truncated() {
            f |= flags::TC;
        }
        w.set_flags(f);
        if let Some(e) = r.edns {
            match &extras {
                None => w.opt(self.cfg.udp_max_payload, out.rcode, e.dnssec_ok),
                Some(x) => w.opt_options(self.cfg.udp_max_payload, out.rcode, e.dnssec_ok, &x.options()),
            }
        }
        w.finish()
    }

    /// The EDNS options for a client that sent some: EXPIRE (RFC 7314),
    /// NSID when configured (RFC 5001), the client cookie with a fresh
    /// server cookie (RFC 7873 §5.2, RFC 9018). Out of line: most queries
    /// send none.
    #[inline(never)]
    fn extras(&self, r: &Request<'_>, e: &request::Edns, ctx: &RequestCtx) -> Extras<'_> {
        Extras {
            expire: self.expire_option(r, e).map(u32::to_be_bytes),
            nsid: self.cfg.nsid.as_deref().filter(|_| e.nsid),
            cookie: match e.cookie.parts(r.msg) {
                Some((c, _)) if self.cfg.cookies.enabled => Some(self.cfg.cookies.answer(c, ctx.peer.ip(), unix_now())),
                _ => None,
            },
        }
    }

    /// The EDNS EXPIRE value for the zone of `r`'s question, when the client
    /// asked (RFC 7314 §2): a secondary's seconds left before EXPIRE, a
    /// primary's SOA EXPIRE.
    #[inline]
    fn expire_option(&self, r: &Request<'_>, e: &request::Edns) -> Option<u32> {
        if !e.expire {
            return None;
        }
        super::expire::value(&self.zones, r)
    }

    /// Answers one request received over TCP; may produce a stream of messages.
    pub fn handle_tcp(&self, req: &[u8], ctx: &RequestCtx, out: &mut [u8]) -> TcpResponse {
        // Parsed once, in place, for both a transfer and any other request.
        let Some(mut r) = Request::header(req) else { return TcpResponse::Drop };
        let Some(malformed) = read_rest(&mut r) else { return TcpResponse::Drop };
        if let (Some(reg), false) = (&self.transfers, malformed) {
            let is_xfr = r.question.is_some_and(|q| matches!(q.qtype, rtype::AXFR | rtype::IXFR));
            if is_xfr && r.opcode() == opcode::QUERY && r.edns.is_none_or(|e| e.version == 0) {
                let mut signer = None;
                if let Some(at) = r.tsig_at {
                    match self.verify_tsig(&r, at) {
                        Ok(v) => signer = Some(v),
                        Err(f) => return self.tsig_error(&r, f, out).map_or(TcpResponse::Drop, TcpResponse::Single),
                    }
                }
                let key = key_name(&signer);
                return match (transfer::transfer(&self.zones, reg, &r, ctx, key.as_deref()), signer) {
                    (Decision::Stream(s), None) => TcpResponse::Stream(s),
                    (Decision::Stream(inner), Some((_, signer))) => TcpResponse::Stream(Box::new(SignedStream::new(inner, signer))),
                    (Decision::Refuse(rc), signer) => {
                        let reserve = signer.as_ref().map_or(0, |s| s.1.tsig_len());
                        let len = self.respond(&r, ctx, out, reserve, |_, _| Outcome { rcode: rc, aa: false });
                        match signer {
                            Some((_, mut s)) => s.sign(out, len).map_or(TcpResponse::Drop, TcpResponse::Single),
                            None => TcpResponse::Single(len),
                        }
                    }
                };
            }
        }
        let cookie = self.cookie_state(&r, ctx);
        match self.answer_parsed(&self.zones.load(), &r, malformed, cookie, ctx, out) {
            Some(n) => TcpResponse::Single(n),
            None => TcpResponse::Drop,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn query(
        &self,
        table: &ZoneTable,
        r: &Request<'_>,
        ctx: &RequestCtx,
        w: &mut MsgWriter<'_>,
        tsig_key: Option<&str>,
        cookie: CookieState,
    ) -> Outcome {
        let refused = Outcome { rcode: rcode::REFUSED, aa: false };
        let Some(q) = &r.question else {
            // A cookie-only query (QDCOUNT 0, RFC 7873 §5.4) learns a cookie;
            // any other QDCOUNT ≠ 1 is FORMERR (RFC 9619).
            if r.counts[0] == 0 && cookie != CookieState::Absent {
                return Outcome { rcode: rcode::NOERROR, aa: false };
            }
            return Outcome { rcode: rcode::FORMERR, aa: false };
        };
        match q.qtype {
            rtype::OPT | rtype::TSIG | rtype::TKEY => return Outcome { rcode: rcode::FORMERR, aa: false },
            rtype::MAILA | rtype::MAILB => return Outcome { rcode: rcode::NOTIMP, aa: false },
            // Zone transfers only over TCP (RFC 5936 §4.2) and only to allowed
            // clients; none is allowed until transfers are configured.
            rtype::IXFR if ctx.transport == Transport::Udp => {
                return match &self.transfers {
                    Some(reg) => transfer::ixfr_udp(&self.zones, reg, r, ctx, tsig_key, w),
                    None => Outcome { rcode: rcode::NOTIMP, aa: false },
                }
            }
            rtype::AXFR if ctx.transport == Transport::Udp => return Outcome { rcode: rcode::NOTIMP, aa: false },
            rtype::AXFR | rtype::IXFR => return refused,
            _ => {}
        }
        match q.qclass {
            class::IN | class::ANY => {}
            class::CH => return self.chaos.answer(q, w),
            _ => return refused,
        }
        let mut found = table.find(q.lower.as_wire());
        // DS lives on the parent side of a cut (RFC 4035 §3.1.4.1): when we
        // also serve the parent, answer from it rather than from the child apex.
        if q.qtype == rtype::DS && !q.lower.is_root() && found.is_some_and(|z| *z.origin == *q.lower.as_wire()) {
            if let Some(parent) = table.find(crate::wire::name::parent(q.lower.as_wire())) {
                found = Some(parent);
            }
        }
        match found {
            Some(served) if served.status.is_expired() => Outcome { rcode: rcode::SERVFAIL, aa: false },
            // ANY over UDP: one RRset (RFC 8482 §4.1); over TCP all of them.
            Some(served) => answer::answer(&served.zone, q, ctx.transport == Transport::Udp, w),
            None => refused,
        }
    }
}

/// EDNS options a response carries besides the OPT record itself.
struct Extras<'a> {
    expire: Option<[u8; 4]>,
    nsid: Option<&'a [u8]>,
    cookie: Option<[u8; cookie::COOKIE_LEN]>,
}

impl Extras<'_> {
    /// Octets the options take in the OPT RDATA.
    fn len(&self) -> usize {
        self.expire.map_or(0, |_| super::expire::OPTION_LEN)
            + self.nsid.map_or(0, |n| 4 + n.len())
            + self.cookie.map_or(0, |_| 4 + cookie::COOKIE_LEN)
    }

    /// The options, for [`MsgWriter::opt_options`].
    fn options(&self) -> [Option<(u16, &[u8])>; 3] {
        [
            self.expire.as_ref().map(|v| (EDNS_EXPIRE, &v[..])),
            self.nsid.map(|n| (request::EDNS_NSID, n)),
            self.cookie.as_ref().map(|c| (request::EDNS_COOKIE, &c[..])),
        ]
    }
}

/// The name of the key that signed a request, for `allowTransfer` keys.
fn key_name(signer: &Option<(Verified, ResponseSigner)>) -> Option<String> {
    signer.as_ref().map(|(v, _)| v.key.display_name().to_string())
}

/// What UPDATE uses of the entry point: the same TSIG, replay and ACL
/// checks and the same response writing as every other request.
impl update::Host for Handler {
    fn verify_tsig(&self, r: &Request<'_>, at: usize) -> Result<(Verified, ResponseSigner), Box<tsig::Failure>> {
        Handler::verify_tsig(self, r, at)
    }
    fn admit_once(&self, v: (Verified, ResponseSigner)) -> Result<Option<(Verified, ResponseSigner)>, Box<tsig::Failure>> {
        Handler::admit_once(self, v)
    }
    fn finish_once(&self, v: &Verified) {
        Handler::finish_once(self, v)
    }
    fn tsig_error(&self, r: &Request<'_>, f: Box<tsig::Failure>, out: &mut [u8]) -> Option<usize> {
        Handler::tsig_error(self, r, f, out)
    }
    fn allows(&self, ip: std::net::IpAddr) -> bool {
        self.cfg.allow_query.allows(ip)
    }
    fn respond_with(&self, r: &Request<'_>, ctx: &RequestCtx, out: &mut [u8], reserve: usize, outcome: Outcome) -> usize {
        self.respond(r, ctx, out, reserve, |_, _| outcome)
    }
    fn zones(&self) -> &Arc<ZoneSet> {
        &self.zones
    }
    fn transfers(&self) -> Option<&Arc<Catalog>> {
        self.transfers.as_ref()
    }
}
