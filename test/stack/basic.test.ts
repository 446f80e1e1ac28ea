import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pair, connectNb, bytes, text, drain, throwsErrno } from './helpers.js';

for (const fam of [4, 6] as const) {
  const srv = fam === 4 ? '10.0.0.2' : 'fd00::2';
  test(`IPv${fam}: handshake, echo, close, TIME-WAIT expiry leaves an empty table and no timers`, () => {
    const { sched, a, b } = pair({ trace: true });
    const ls = b.sockets.socket(fam);
    b.sockets.bind(ls, { addr: fam === 4 ? '0.0.0.0' : '::', port: 7 });
    b.sockets.listen(ls, 16);
    const c = a.sockets.socket(fam);
    const events: string[] = [];
    a.sockets.watch(c, (ev) => events.push(ev));
    connectNb(a, c, srv, 7);
    throwsErrno(() => a.sockets.connect(c, { addr: srv, port: 7 }), 'EALREADY');
    sched.runFor(100);
    assert.ok(events.includes('connect'));
    assert.equal(a.sockets.state(c), 'ESTABLISHED');
    const { fd: s, remote } = b.sockets.accept(ls);
    assert.equal(remote.addr, fam === 4 ? '10.0.0.1' : 'fd00::1');
    assert.deepEqual(b.sockets.remoteAddress(s), remote);
    assert.equal(b.sockets.localAddress(s).addr, srv);
    throwsErrno(() => b.sockets.accept(ls), 'EAGAIN');
    throwsErrno(() => b.sockets.read(s, 100), 'EAGAIN');
    assert.equal(a.sockets.write(c, bytes('hello')), 5);
    sched.runFor(100);
    assert.equal(b.sockets.inq(s), 5);
    assert.equal(text(b.sockets.read(s, 2, { peek: true })), 'he');
    assert.equal(text(b.sockets.read(s, 100)), 'hello');
    b.sockets.write(s, bytes('HELLO'));
    sched.runFor(100);
    assert.equal(text(drain(a, c).data), 'HELLO');
    // a closes first: a goes through FIN-WAIT to TIME-WAIT, b gets EOF.
    a.sockets.close(c);
    sched.runFor(100);
    const r = drain(b, s);
    assert.equal(r.eof, true);
    assert.equal(b.sockets.state(s), 'CLOSE-WAIT');
    b.sockets.close(s);
    sched.runFor(100);
    assert.deepEqual(b.connectionTable().map((x) => x.state), ['LISTEN']);
    assert.deepEqual(a.connectionTable().map((x) => x.state), ['TIME-WAIT']);
    sched.runFor(61_000);
    assert.equal(a.connectionTable().length, 0);
    assert.equal(a.timerCount, 0);
    b.sockets.close(ls);
    assert.equal(b.connectionTable().length, 0);
    sched.runUntilIdle();
    assert.equal(sched.pending, 0);
    const ca = a.counters();
    assert.equal(ca.tcpActiveOpens, 1);
    assert.equal(b.counters().tcpPassiveOpens, 1);
    assert.equal(ca.connections, 0);
  });
}
