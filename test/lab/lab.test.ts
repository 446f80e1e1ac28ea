// The lab page in headless Chromium: built with Vite, served by startLabServer on 127.0.0.1,
// driven like a user would (scenario picker, step buttons, keyboard, file upload, download).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLabServer } from '../../src/tools/lab-server.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(process.cwd(), 'test-output', 'lab');
const CATALOGUE = [
  'handshake', 'active-close', 'passive-close', 'fin-ack-combined', 'simultaneous-open', 'simultaneous-close',
  'lost-final-ack', 'syn-lost', 'refused', 'abort', 'half-close', 'syn-received-rst', 'listen-close', 'zero-window', 'bulk',
];

/** Distinct consecutive values. */
const runs = (xs: string[]): string[] => xs.filter((x, i) => i === 0 || x !== xs[i - 1]);

test('lab page: Figure 5 diagram, replay of simultaneous-close, step back, keyboard, narrow screen', { timeout: 90_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} not found: browser tests need Debian's chromium`);
    return;
  }
  const { chromium } = await import('playwright-core');
  mkdirSync(OUT, { recursive: true });
  // Builds lab/dist when it is missing or older than lab/ and src/ (the page bundles the stack).
  const server = await startLabServer({ port: 0, build: true, quiet: true });
  const profile = mkdtempSync(join(tmpdir(), 'synack-lab-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));

    const res = await page.goto(`${server.url}?autoplay=0`);
    assert.equal(res?.status(), 200);
    assert.match(res!.headers()['content-type'] ?? '', /text\/html/);
    await page.waitForSelector('#app[data-ready="true"]', { timeout: 20_000 });

    // The diagram: eleven states (CLOSED drawn twice as in the RFC), every Figure 5 arc.
    const states = await page.$$eval('svg.state-diagram [data-node]', (ns) => ns.map((n) => n.getAttribute('data-state')));
    assert.equal(new Set(states).size, 11);
    assert.equal(states.length, 12);
    const arcs = await page.$$eval('svg.state-diagram .arcs [data-arc]', (as) => as.map((a) => `${a.getAttribute('data-from')}>${a.getAttribute('data-to')}`));
    for (const a of ['CLOSED>LISTEN', 'LISTEN>CLOSED', 'CLOSED>SYN-SENT', 'SYN-SENT>CLOSED', 'LISTEN>SYN-RECEIVED', 'LISTEN>SYN-SENT',
      'SYN-RECEIVED>LISTEN', 'SYN-SENT>SYN-RECEIVED', 'SYN-RECEIVED>ESTABLISHED', 'SYN-SENT>ESTABLISHED', 'SYN-RECEIVED>FIN-WAIT-1',
      'ESTABLISHED>FIN-WAIT-1', 'ESTABLISHED>CLOSE-WAIT', 'FIN-WAIT-1>FIN-WAIT-2', 'FIN-WAIT-1>CLOSING', 'CLOSE-WAIT>LAST-ACK',
      'FIN-WAIT-2>TIME-WAIT', 'CLOSING>TIME-WAIT', 'LAST-ACK>CLOSED', 'TIME-WAIT>CLOSED']) {
      assert.ok(arcs.includes(a), `Figure 5 arc ${a} is drawn`);
    }
    const labels = await page.$eval('svg.state-diagram', (s) => s.textContent ?? '');
    assert.ok(labels.includes('rcv SYN') && labels.includes('snd SYN,ACK') && labels.includes('Timeout=2MSL'));
    const options = await page.$$eval('#scenario option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    for (const name of CATALOGUE) assert.ok(options.includes(name), `scenario ${name} offered`);

    // Run simultaneous-close and step through every event with the step button.
    await page.selectOption('#scenario', 'simultaneous-close');
    await page.click('#run');
    await page.waitForSelector('#app[data-scenario="simultaneous-close"][data-busy="false"]');
    // In-page code as a string: tsx's transform would add helpers the page does not have.
    type Snap = { client: string; server: string; c0: string[]; c1: string[]; arc: string; cursor: number };
    const READ = `(() => {
      const svg = document.querySelector('svg.state-diagram');
      const hl = (c) => [...svg.querySelectorAll('.node.' + c)].map((n) => n.getAttribute('data-state'));
      return {
        client: svg.getAttribute('data-client-state'),
        server: svg.getAttribute('data-server-state'),
        c0: hl('hl-c0'),
        c1: hl('hl-c1'),
        arc: svg.querySelector('.arc.current')?.getAttribute('data-arc') ?? '',
        cursor: Number(document.getElementById('app').dataset.cursor),
      };
    })()`;
    const trail: Snap[] = await page.evaluate(`(() => {
      const fwd = document.getElementById('fwd');
      const out = [${READ}];
      for (let i = 0; i < 10000 && !fwd.disabled; i++) {
        fwd.click();
        out.push(${READ});
      }
      return out;
    })()`);
    assert.ok(trail.length > 8, `replay has events (${trail.length})`);
    for (const [host, key, hl] of [['client', 'client', 'c0'], ['server', 'server', 'c1']] as const) {
      const seq = runs(trail.map((s) => s[key]));
      const from = seq.indexOf('FIN-WAIT-1');
      assert.ok(from >= 0, `${host} reaches FIN-WAIT-1: ${seq.join(' ')}`);
      assert.deepEqual(seq.slice(from), ['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT', 'CLOSED'], `${host}: ${seq.join(' ')}`);
      // The highlight in the diagram is the state the attribute names, exactly one node.
      for (const s of trail) assert.deepEqual(s[hl], [s[key]], `${host} highlight at cursor ${s.cursor}`);
    }
    // Each state change animates the arc just taken.
    const changes = trail.filter((s, i) => i > 0 && (s.client !== trail[i - 1].client || s.server !== trail[i - 1].server));
    assert.ok(changes.every((s) => s.arc !== ''), 'an arc is animated at every state change');
    assert.ok(changes.some((s) => s.arc === 'finwait1-closing'));
    assert.ok(changes.some((s) => s.arc === 'closing-timewait'));

    // Step back from the client's TIME-WAIT restores the previous highlight.
    const k = trail.findIndex((s) => s.client === 'TIME-WAIT');
    const target = trail[k].cursor;
    await page.click(`#events li[data-idx="${target}"]`);
    assert.equal(await page.getAttribute('#app', 'data-client-state'), 'TIME-WAIT');
    await page.screenshot({ path: join(OUT, 'lab-1280x800.png') });
    await page.click('#back');
    const { arc: _a, cursor: _c, ...back } = (await page.evaluate(READ)) as Snap;
    const prev = trail[k - 1];
    assert.deepEqual(back, { client: prev.client, server: prev.server, c0: prev.c0, c1: prev.c1 });
    assert.equal(back.client, 'CLOSING');

    // Keyboard: space plays and pauses, arrows step.
    await page.click('h1');
    const cur = async () => Number(await page.getAttribute('#app', 'data-cursor'));
    const c0 = await cur();
    await page.keyboard.press('ArrowRight');
    assert.equal(await cur(), c0 + 1);
    await page.keyboard.press('ArrowLeft');
    assert.equal(await cur(), c0);
    await page.keyboard.press('Home');
    assert.equal(await cur(), -1);
    // Shift+arrow jumps to the next state change: the first event that moves a host.
    await page.keyboard.press('Shift+ArrowRight');
    const firstChange = trail.findIndex((s, i) => i > 0 && (s.client !== trail[i - 1].client || s.server !== trail[i - 1].server));
    assert.equal(await cur(), trail[firstChange].cursor);
    await page.keyboard.press('Shift+ArrowLeft');
    assert.equal(await cur(), -1);
    await page.keyboard.press(' ');
    assert.equal(await page.getAttribute('#app', 'data-playing'), 'true');
    await page.waitForFunction(() => Number(document.getElementById('app')!.dataset.cursor) >= 0);
    await page.keyboard.press(' ');
    assert.equal(await page.getAttribute('#app', 'data-playing'), 'false');

    // A lost segment is drawn as dropped in the ladder.
    await page.selectOption('#scenario', 'lost-final-ack');
    await page.click('#run');
    await page.waitForSelector('#app[data-scenario="lost-final-ack"][data-busy="false"]');
    await page.keyboard.press('End');
    assert.ok((await page.$$('.ladder .seg .lost-x')).length >= 1, 'a lost segment ends in a cross');
    assert.ok((await page.$$('.ladder .seg')).length >= 8, 'segments drawn');

    // Download the run as pcapng, then load that file back: states are inferred from it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.match(download.suggestedFilename(), /lost-final-ack\.pcapng$/);
    const file = join(profile, 'run.pcapng');
    await download.saveAs(file);
    const bytes = readFileSync(file);
    assert.equal(bytes.readUInt32LE(0), 0x0a0d0d0a, 'pcapng section header');
    await page.setInputFiles('#file', file);
    await page.waitForFunction(() => document.getElementById('app')!.dataset.source?.startsWith('file '));
    assert.match((await page.textContent('#status')) ?? '', /inferred/);
    await page.keyboard.press('End');
    const loaded = { client: await page.getAttribute('#app', 'data-client-state'), server: await page.getAttribute('#app', 'data-server-state') };
    assert.ok(['TIME-WAIT', 'CLOSED'].includes(loaded.client!), `client from capture: ${loaded.client}`);
    assert.equal(loaded.server, 'CLOSED');

    // JSON lines as `synack scenario --json` prints them load and replay the same way.
    const jsonl = join(profile, 'simultaneous-close.jsonl');
    const { runScenario } = await import('../../src/tools/scenarios/index.js');
    writeFileSync(jsonl, runScenario('simultaneous-close').events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    await page.setInputFiles('#file', jsonl);
    await page.waitForFunction(() => document.getElementById('app')!.dataset.source === 'file simultaneous-close.jsonl');
    await page.keyboard.press('Home');
    const fromFile: string[] = [];
    for (let i = 0; i < 200 && !(await page.isDisabled('#next-state')); i++) {
      await page.keyboard.press('Shift+ArrowRight');
      fromFile.push(`${await page.getAttribute('#app', 'data-client-state')}/${await page.getAttribute('#app', 'data-server-state')}`);
    }
    assert.equal(fromFile.at(-1), 'CLOSED/CLOSED');
    assert.ok(fromFile.includes('CLOSING/CLOSING'), fromFile.join(' '));

    // Every scenario of the catalogue runs in the page and replays to both hosts CLOSED.
    await page.fill('#bytes', '20000'); // keeps bulk and zero-window quick
    for (const name of CATALOGUE) {
      await page.selectOption('#scenario', name);
      await page.click('#run');
      await page.waitForSelector(`#app[data-scenario="${name}"][data-busy="false"]`, { timeout: 20_000 });
      await page.keyboard.press('End');
      const end = { client: await page.getAttribute('#app', 'data-client-state'), server: await page.getAttribute('#app', 'data-server-state') };
      assert.deepEqual(end, { client: 'CLOSED', server: 'CLOSED' }, `${name} ends CLOSED on both hosts`);
      assert.equal(await page.$('#status.bad'), null, `${name}: ${await page.textContent('#status')}`);
    }

    // A 400 px wide screen still shows the whole diagram, scaled.
    await page.setViewportSize({ width: 400, height: 800 });
    const box = await page.locator('svg.state-diagram').boundingBox();
    assert.ok(box && box.width > 300 && box.x >= 0 && box.x + box.width <= 400 + 0.5 && box.height > 300, `diagram box ${JSON.stringify(box)}`);
    assert.ok(await page.locator('svg.state-diagram').isVisible());
    const scrollW = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollW <= 400, `no horizontal scrolling (${scrollW})`);
    await page.screenshot({ path: join(OUT, 'lab-400.png'), fullPage: true });

    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('lab server: MIME types, 404, no escape from lab/dist, 127.0.0.1', async () => {
  const server = await startLabServer({ port: 0, quiet: true });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await fetch(server.url);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await index.text();
    const js = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    const css = /href="\.\/(assets\/[^"]+\.css)"/.exec(html)?.[1];
    assert.ok(js && css, 'built page references its assets');
    assert.equal((await fetch(server.url + js)).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await fetch(server.url + css)).headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal((await fetch(server.url + 'nope.js')).status, 404);
    assert.notEqual((await fetch(server.url + '..%2f..%2fpackage.json')).status, 200);
    assert.equal((await fetch(server.url, { method: 'POST' })).status, 405);
  } finally {
    await server.close();
  }
});

test('synack lab --port 0: prints its URL, serves the page, stops cleanly on SIGINT; a busy port is an error', { timeout: 60_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['bin/synack.js', 'lab', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    const url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no URL printed: ${out}`)), 45_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (m) {
          clearTimeout(timer);
          ok(m[0]);
        }
      });
      child.on('exit', (code) => fail(new Error(`exited ${code}: ${out}`)));
    });
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /synack lab/);
    // The same port again: refused with a clear message and exit code 1.
    const port = new URL(url).port;
    const again = spawn(process.execPath, ['bin/synack.js', 'lab', '--port', port], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    again.stderr.on('data', (d) => (err += d));
    const code2 = await new Promise<number | null>((ok) => again.on('exit', ok));
    assert.equal(code2, 1);
    assert.match(err, /in use/);
    const exited = new Promise<number | null>((ok) => child.on('exit', ok));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
