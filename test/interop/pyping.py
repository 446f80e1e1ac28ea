# A minimal ping for the interop tests (the image has no iputils): sends COUNT ICMP/ICMPv6 echo
# requests of SIZE payload bytes to DST and prints "ok <n> <payload sha256 matched>" for each reply.
# Exit 0 when every request got its reply with the same payload, else 1.
import hashlib, os, socket, struct, sys, time

dst, size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
v6 = ':' in dst
fam = socket.AF_INET6 if v6 else socket.AF_INET
proto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
s = socket.socket(fam, socket.SOCK_RAW, proto)
s.settimeout(2.0)
ident = os.getpid() & 0xFFFF


def csum(b):
    if len(b) % 2:
        b += b'\0'
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


ok = 0
for seq in range(count):
    payload = bytes((seq * 7 + i) & 0xFF for i in range(size))
    typ = 128 if v6 else 8
    hdr = struct.pack('!BBHHH', typ, 0, 0, ident, seq)
    if not v6:  # the kernel fills in the ICMPv6 checksum itself
        hdr = struct.pack('!BBHHH', typ, 0, csum(hdr + payload), ident, seq)
    s.sendto(hdr + payload, (dst, 0))
    deadline = time.time() + 2.0
    while time.time() < deadline:
        try:
            data = s.recv(70000)
        except socket.timeout:
            break
        if not v6:
            data = data[(data[0] & 0x0F) * 4:]
        rtype, _, _, rid, rseq = struct.unpack('!BBHHH', data[:8])
        if rtype == (129 if v6 else 0) and rid == ident and rseq == seq:
            same = data[8:] == payload
            print('ok', seq, same, flush=True)
            if same:
                ok += 1
            break
sys.exit(0 if ok == count else 1)
