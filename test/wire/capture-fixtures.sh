#!/bin/sh
# Regenerates the packet captures pasted into test/wire/fixtures.ts (needs root, ip, tcpdump,
# python3). Two namespaces joined by a veth pair with TX checksum offload switched off (via the
# SIOCETHTOOL ioctl), so every checksum on the wire is the real, complete one; plus one exchange on
# 127.0.0.1 (lo keeps CHECKSUM_PARTIAL: the TCP checksum field holds only the pseudo-header sum).
# Output: tcpdump -n -v -x text (network layer onward) on stdout. Namespaces deleted on exit.
set -e
A=synack-wire-a$$; B=synack-wire-b$$
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT INT TERM
ip netns add $A; ip netns add $B
ip link add sw0 netns $A type veth peer name sw1 netns $B
cat > /tmp/synack-txoff.py <<'PY'
import fcntl, socket, struct, array, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ev = array.array('B', struct.pack('II', 0x17, 0))  # ETHTOOL_STXCSUM, data 0
fcntl.ioctl(s.fileno(), 0x8946, struct.pack('16sP', sys.argv[1].encode(), ev.buffer_info()[0]))
PY
for ns in $A $B; do ip netns exec $ns ip link set lo up; done
ip netns exec $A python3 /tmp/synack-txoff.py sw0; ip netns exec $B python3 /tmp/synack-txoff.py sw1
ip netns exec $A ip addr add 10.77.0.1/24 dev sw0; ip netns exec $B ip addr add 10.77.0.2/24 dev sw1
ip netns exec $A ip addr add fd00:77::1/64 dev sw0 nodad; ip netns exec $B ip addr add fd00:77::2/64 dev sw1 nodad
ip netns exec $A ip link set sw0 up; ip netns exec $B ip link set sw1 up
sleep 1
ip netns exec $B tcpdump -i sw1 -n -v -x -c 40 'tcp or icmp or icmp6 and not ip6[40] >= 133' > /tmp/synack-cap.txt 2>/dev/null &
TD=$!
sleep 1
ip netns exec $B python3 - <<'PY' &
import socket
for fam, host, port in ((socket.AF_INET, '10.77.0.2', 8080), (socket.AF_INET6, 'fd00:77::2', 8081)):
    s = socket.socket(fam); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port)); s.listen(1)
    c, _ = s.accept(); c.recv(100); c.sendall(b'pong\n'); c.close(); s.close()
PY
SRV=$!
sleep 1
ip netns exec $A python3 - <<'PY'
import socket, struct
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b)//2), b)); s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
for fam, host, port in ((socket.AF_INET, '10.77.0.2', 8080), (socket.AF_INET6, 'fd00:77::2', 8081)):
    c = socket.create_connection((host, port)); c.sendall(b'ping\n'); c.recv(100); c.close()
    import time; time.sleep(0.3)
# a SYN to a closed port: answered by RST+ACK
try: socket.create_connection(('10.77.0.2', 9), timeout=1)
except OSError: pass
# ICMP echo request (v4), kernel replies
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
pkt = struct.pack('!BBHHH', 8, 0, 0, 0x1234, 1) + b'synack'
pkt = pkt[:2] + struct.pack('!H', csum(pkt)) + pkt[4:]
r.sendto(pkt, ('10.77.0.2', 0)); r.settimeout(1); r.recv(200)
# ICMPv6 echo request, kernel fills the checksum on raw ICMPv6 sockets
r6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
r6.sendto(struct.pack('!BBHHH', 128, 0, 0, 0x1234, 1) + b'synack', ('fd00:77::2', 0)); r6.settimeout(1); r6.recv(200)
PY
wait $SRV || true
sleep 1; kill $TD 2>/dev/null || true; wait $TD 2>/dev/null || true
cat /tmp/synack-cap.txt
echo '# ---- lo (127.0.0.1, checksum offload) ----'
ip netns exec $A tcpdump -i lo -n -v -x -c 3 'tcp port 8082' > /tmp/synack-cap-lo.txt 2>/dev/null &
TD=$!
sleep 1
ip netns exec $A python3 - <<'PY'
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', 8082)); s.listen(1)
t = threading.Thread(target=lambda: s.accept()[0].close()); t.start()
c = socket.create_connection(('127.0.0.1', 8082)); t.join(); c.close()
PY
sleep 1; kill $TD 2>/dev/null || true; wait $TD 2>/dev/null || true
cat /tmp/synack-cap-lo.txt
rm -f /tmp/synack-cap.txt /tmp/synack-cap-lo.txt /tmp/synack-txoff.py
