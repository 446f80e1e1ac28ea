// Real packets captured with tcpdump, pasted as hex (network layer onward).
// How they were made: test/wire/capture-fixtures.sh (run as root) creates two network namespaces
// (synack-wire-a<pid>, synack-wire-b<pid>) joined by a veth pair with TX checksum offload turned
// off, brings up lo, runs a python3 socket client/server exchange over IPv4 (10.77.0.1 ->
// 10.77.0.2:8080) and IPv6 (fd00:77::1 -> fd00:77::2:8081), a SYN to a closed port (RST),
// ICMP/ICMPv6 echo, and a handshake on 127.0.0.1 (lo), under `tcpdump -n -v -x`; then deletes
// the namespaces. Linux 6.x kernel. `desc` is tcpdump's own decoding of each packet.
// On lo the kernel leaves the TCP checksum partial (CHECKSUM_PARTIAL: only the pseudo-header sum
// is in the field); tcpdump reports the correct value, kept in `loCorrectChecksum`.

export interface CapturedPacket {
  desc: string;
  hex: string;
  /** lo packets carry an offloaded (partial) TCP checksum. */
  offloaded?: boolean;
  /** For offloaded packets: the checksum tcpdump computed. */
  loCorrectChecksum?: number;
}

export const CAPTURED: CapturedPacket[] = [
  {
    desc: 'IP (tos 0x0, ttl 64, id 4690, offset 0, flags [DF], proto TCP (6), length 60) 10.77.0.1.58242 > 10.77.0.2.8080: Flags [S], cksum 0xdb18 (correct), seq 2900851089, win 64240, options [mss 1460,sackOK,TS val 611389274 ecr 0,nop,wscale 10], length 0',
    hex: '4500003c12524000400613ce0a4d00010a4d0002e3821f90ace7799100000000a002faf0db180000020405b40402080a24710f5a000000000103030a',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 60) 10.77.0.2.8080 > 10.77.0.1.58242: Flags [S.], cksum 0x90d7 (correct), seq 2161437052, ack 2900851090, win 65160, options [mss 1460,sackOK,TS val 3481734335 ecr 611389274,nop,wscale 10], length 0',
    hex: '4500003c00004000400626200a4d00020a4d00011f90e38280d4e97cace77992a012fe8890d70000020405b40402080acf870cbf24710f5a0103030a',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 4691, offset 0, flags [DF], proto TCP (6), length 52) 10.77.0.1.58242 > 10.77.0.2.8080: Flags [.], cksum 0xbdf0 (correct), ack 1, win 63, options [nop,nop,TS val 611389274 ecr 3481734335], length 0',
    hex: '4500003412534000400613d50a4d00010a4d0002e3821f90ace7799280d4e97d8010003fbdf000000101080a24710f5acf870cbf',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 4692, offset 0, flags [DF], proto TCP (6), length 57) 10.77.0.1.58242 > 10.77.0.2.8080: Flags [P.], cksum 0xd512 (correct), seq 1:6, ack 1, win 63, options [nop,nop,TS val 611389274 ecr 3481734335], length 5: HTTP',
    hex: '4500003912544000400613cf0a4d00010a4d0002e3821f90ace7799280d4e97d8018003fd51200000101080a24710f5acf870cbf70696e670a',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 3749, offset 0, flags [DF], proto TCP (6), length 52) 10.77.0.2.8080 > 10.77.0.1.58242: Flags [.], cksum 0xbdea (correct), ack 6, win 64, options [nop,nop,TS val 3481734335 ecr 611389274], length 0',
    hex: '450000340ea54000400617830a4d00020a4d00011f90e38280d4e97dace7799780100040bdea00000101080acf870cbf24710f5a',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 3750, offset 0, flags [DF], proto TCP (6), length 57) 10.77.0.2.8080 > 10.77.0.1.58242: Flags [P.], cksum 0xd506 (correct), seq 1:6, ack 6, win 64, options [nop,nop,TS val 3481734335 ecr 611389274], length 5: HTTP',
    hex: '450000390ea640004006177d0a4d00020a4d00011f90e38280d4e97dace7799780180040d50600000101080acf870cbf24710f5a706f6e670a',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 4693, offset 0, flags [DF], proto TCP (6), length 52) 10.77.0.1.58242 > 10.77.0.2.8080: Flags [.], cksum 0xbde6 (correct), ack 6, win 63, options [nop,nop,TS val 611389274 ecr 3481734335], length 0',
    hex: '4500003412554000400613d30a4d00010a4d0002e3821f90ace7799780d4e9828010003fbde600000101080a24710f5acf870cbf',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 3751, offset 0, flags [DF], proto TCP (6), length 52) 10.77.0.2.8080 > 10.77.0.1.58242: Flags [F.], cksum 0xbde4 (correct), seq 6, ack 6, win 64, options [nop,nop,TS val 3481734335 ecr 611389274], length 0',
    hex: '450000340ea74000400617810a4d00020a4d00011f90e38280d4e982ace7799780110040bde400000101080acf870cbf24710f5a',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 4694, offset 0, flags [DF], proto TCP (6), length 52) 10.77.0.1.58242 > 10.77.0.2.8080: Flags [F.], cksum 0xbde4 (correct), seq 6, ack 7, win 63, options [nop,nop,TS val 611389274 ecr 3481734335], length 0',
    hex: '4500003412564000400613d20a4d00010a4d0002e3821f90ace7799780d4e9838011003fbde400000101080a24710f5acf870cbf',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 3752, offset 0, flags [DF], proto TCP (6), length 52) 10.77.0.2.8080 > 10.77.0.1.58242: Flags [.], cksum 0xbde3 (correct), ack 7, win 64, options [nop,nop,TS val 3481734335 ecr 611389274], length 0',
    hex: '450000340ea84000400617800a4d00020a4d00011f90e38280d4e983ace7799880100040bde300000101080acf870cbf24710f5a',
  },
  {
    desc: 'IP6 (flowlabel 0x67e52, hlim 64, next-header TCP (6) payload length: 40) fd00:77::2.8081 > fd00:77::1.53310: Flags [S.], cksum 0xacd0 (correct), seq 3764673529, ack 773191326, win 64260, options [mss 1440,sackOK,TS val 1270673301 ecr 2986108680,nop,wscale 10], length 0',
    hex: '60067e5200280640fd000077000000000000000000000002fd0000770000000000000000000000011f91d03ee0645bf92e15f69ea012fb04acd00000020405a00402080a4bbcef95b1fc67080103030a',
  },
  {
    desc: 'IP6 (flowlabel 0x67e52, hlim 64, next-header TCP (6) payload length: 32) fd00:77::2.8081 > fd00:77::1.53310: Flags [.], cksum 0xd64c (correct), ack 6, win 63, options [nop,nop,TS val 1270673301 ecr 2986108680], length 0',
    hex: '60067e5200200640fd000077000000000000000000000002fd0000770000000000000000000000011f91d03ee0645bfa2e15f6a38010003fd64c00000101080a4bbcef95b1fc6708',
  },
  {
    desc: 'IP6 (flowlabel 0x67e52, hlim 64, next-header TCP (6) payload length: 37) fd00:77::2.8081 > fd00:77::1.53310: Flags [P.], cksum 0xed68 (correct), seq 1:6, ack 6, win 63, options [nop,nop,TS val 1270673301 ecr 2986108680], length 5',
    hex: '60067e5200250640fd000077000000000000000000000002fd0000770000000000000000000000011f91d03ee0645bfa2e15f6a38018003fed6800000101080a4bbcef95b1fc6708706f6e670a',
  },
  {
    desc: 'IP6 (flowlabel 0x67e52, hlim 64, next-header TCP (6) payload length: 32) fd00:77::2.8081 > fd00:77::1.53310: Flags [F.], cksum 0xd646 (correct), seq 6, ack 6, win 63, options [nop,nop,TS val 1270673301 ecr 2986108680], length 0',
    hex: '60067e5200200640fd000077000000000000000000000002fd0000770000000000000000000000011f91d03ee0645bff2e15f6a38011003fd64600000101080a4bbcef95b1fc6708',
  },
  {
    desc: 'IP6 (flowlabel 0x67e52, hlim 64, next-header TCP (6) payload length: 32) fd00:77::2.8081 > fd00:77::1.53310: Flags [.], cksum 0xd643 (correct), ack 7, win 63, options [nop,nop,TS val 1270673302 ecr 2986108681], length 0',
    hex: '60067e5200200640fd000077000000000000000000000002fd0000770000000000000000000000011f91d03ee0645c002e15f6a48010003fd64300000101080a4bbcef96b1fc6709',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 31662, offset 0, flags [DF], proto TCP (6), length 60) 10.77.0.1.32964 > 10.77.0.2.9: Flags [S], cksum 0x2dfc (correct), seq 3830225706, win 64240, options [mss 1460,sackOK,TS val 3429907902 ecr 0,nop,wscale 10], length 0',
    hex: '4500003c7bae40004006aa710a4d00010a4d000280c40009e44c9b2a00000000a002faf02dfc0000020405b40402080acc703dbe000000000103030a',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 40) 10.77.0.2.9 > 10.77.0.1.32964: Flags [R.], cksum 0x9aee (correct), seq 0, ack 3830225707, win 0, length 0',
    hex: '4500002800004000400626340a4d00020a4d0001000980c400000000e44c9b2b501400009aee0000',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 38559, offset 0, flags [DF], proto ICMP (1), length 34) 10.77.0.1 > 10.77.0.2: ICMP echo request, id 4660, seq 1, length 14',
    hex: '45000022969f400040018f9f0a4d00010a4d00020800a0841234000173796e61636b',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 85, offset 0, flags [none], proto ICMP (1), length 34) 10.77.0.2 > 10.77.0.1: ICMP echo reply, id 4660, seq 1, length 14',
    hex: '4500002200550000400165ea0a4d00020a4d00010000a8841234000173796e61636b',
  },
  {
    desc: 'IP6 (flowlabel 0xc397a, hlim 64, next-header ICMPv6 (58) payload length: 14) fd00:77::1 > fd00:77::2: [icmp6 sum ok] ICMP6, echo request, id 4660, seq 1',
    hex: '600c397a000e3a40fd000077000000000000000000000001fd00007700000000000000000000000280002d491234000173796e61636b',
  },
  {
    desc: 'IP6 (flowlabel 0x730f3, hlim 64, next-header ICMPv6 (58) payload length: 14) fd00:77::2 > fd00:77::1: [icmp6 sum ok] ICMP6, echo reply, id 4660, seq 1',
    hex: '600730f3000e3a40fd000077000000000000000000000002fd00007700000000000000000000000181002c491234000173796e61636b',
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 17827, offset 0, flags [DF], proto TCP (6), length 60) 127.0.0.1.35020 > 127.0.0.1.8082: Flags [S], cksum 0xfe30 (incorrect -> 0x2d94), seq 2725501939, win 65495, options [mss 65495,sackOK,TS val 3434819305 ecr 0,nop,wscale 10], length 0',
    hex: '4500003c45a340004006f7167f0000017f00000188cc1f92a273dbf300000000a002ffd7fe3000000204ffd70402080accbb2ee9000000000103030a',
    offloaded: true,
    loCorrectChecksum: 0x2d94,
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 60) 127.0.0.1.8082 > 127.0.0.1.35020: Flags [S.], cksum 0xfe30 (incorrect -> 0xd3b1), seq 3090599849, ack 2725501940, win 65483, options [mss 65495,sackOK,TS val 2032031966 ecr 3434819305,nop,wscale 10], length 0',
    hex: '4500003c0000400040063cba7f0000017f0000011f9288ccb836cfa9a273dbf4a012ffcbfe3000000204ffd70402080a791e58deccbb2ee90103030a',
    offloaded: true,
    loCorrectChecksum: 0xd3b1,
  },
  {
    desc: 'IP (tos 0x0, ttl 64, id 17828, offset 0, flags [DF], proto TCP (6), length 52) 127.0.0.1.35020 > 127.0.0.1.8082: Flags [.], cksum 0xfe28 (incorrect -> 0xfc30), ack 1, win 64, options [nop,nop,TS val 3434819305 ecr 2032031966], length 0',
    hex: '4500003445a440004006f71d7f0000017f00000188cc1f92a273dbf4b836cfaa80100040fe2800000101080accbb2ee9791e58de',
    offloaded: true,
    loCorrectChecksum: 0xfc30,
  },
];

export function hexBytes(hex: string): Uint8Array {
  const clean = hex.replace(/[^0-9a-f]/gi, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
