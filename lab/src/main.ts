// The lab page: pick a scenario (run by the stack in a simulated network, in this browser) or
// load a trace/capture, then replay it event by event on the RFC 9293 Figure 5 state diagram
// and on a ladder diagram, with an explanation of each state and arc.
import './style.css';
import type { TraceEvent } from '../../src/trace/trace.js';
import { SCENARIOS, runScenario } from './catalogue.js';
import { ARCS, arcFor, createDiagram, type ArcRef } from './diagram.js';
import { ARC_TEXT, STATE_TEXT, extraArcText } from './explain.js';
import { createLadder } from './ladder.js';
import { runFromFile } from './load.js';
import { Replay, describeEvent, type Run } from './model.js';
import { traceToPcapng } from './pcapng-export.js';
import type { TcpState } from '../../src/tcp/types.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from index.html`);
  return e as T;
};

const app = $('app');
const scenarioSel = $<HTMLSelectElement>('scenario');
const lossIn = $<HTMLInputElement>('loss');
const delayIn = $<HTMLInputElement>('delay');
const seedIn = $<HTMLInputElement>('seed');
const bytesIn = $<HTMLInputElement>('bytes');
const runBtn = $<HTMLButtonElement>('run');
const fileIn = $<HTMLInputElement>('file');
const downloadBtn = $<HTMLButtonElement>('download');
const connSel = $<HTMLSelectElement>('conn');
const backBtn = $<HTMLButtonElement>('back');
const playBtn = $<HTMLButtonElement>('play');
const fwdBtn = $<HTMLButtonElement>('fwd');
const startBtn = $<HTMLButtonElement>('start');
const prevStateBtn = $<HTMLButtonElement>('prev-state');
const nextStateBtn = $<HTMLButtonElement>('next-state');
const endBtn = $<HTMLButtonElement>('end');
const speedIn = $<HTMLInputElement>('speed');
const speedOut = $<HTMLOutputElement>('speed-out');
const posOut = $<HTMLOutputElement>('pos');
const statusEl = $('status');
const relIn = $<HTMLInputElement>('relative');
const eventList = $<HTMLOListElement>('events');
const explainEl = $('explain');
const hostStateEl = $('hoststate');
const scenarioDesc = $('scenario-desc');

const diagram = createDiagram($('diagram'));
const ladder = createLadder($('ladder'));

let replay: Replay | null = null;
let cursor = -1;
let playing = false;
let timer: ReturnType<typeof setTimeout> | undefined;
let selected: { kind: 'state' | 'arc'; id: string } | null = null;
/** The file loaded last, to show another connection of the same capture. */
let lastFile: { name: string; bytes: Uint8Array } | null = null;

for (const s of SCENARIOS) {
  const o = document.createElement('option');
  o.value = s.name;
  o.textContent = `${s.name} — ${s.title}`;
  scenarioSel.appendChild(o);
}
const describeScenario = (): void => {
  const s = SCENARIOS.find((x) => x.name === scenarioSel.value);
  scenarioDesc.textContent = s?.description ?? '';
};
scenarioSel.addEventListener('change', describeScenario);

function setStatus(text: string, bad = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('bad', bad);
}

function load(run: Run): void {
  pause();
  replay = new Replay(run);
  cursor = -1;
  ladder.render(run, relIn.checked, (i) => replay!.quiet(i));
  eventList.replaceChildren();
  run.events.forEach((e, i) => {
    const li = document.createElement('li');
    li.dataset.idx = String(i);
    li.className = `ev ev-${e.type} c${e.host === run.hosts[0] ? 0 : e.host === run.hosts[1] ? 1 : 'x'}`;
    const t = document.createElement('span');
    t.className = 'ev-t';
    t.textContent = `${+e.t.toFixed(3)}`;
    const h = document.createElement('span');
    h.className = 'ev-host';
    h.textContent = e.host;
    const d = document.createElement('span');
    d.className = 'ev-d';
    d.textContent = describeEvent(e);
    li.append(t, h, d);
    eventList.appendChild(li);
  });
  document.querySelectorAll('.legend-c0').forEach((e) => (e.textContent = run.hosts[0]));
  document.querySelectorAll('.legend-c1').forEach((e) => (e.textContent = run.hosts[1]));
  downloadBtn.disabled = false;
  connSel.replaceChildren();
  connSel.hidden = !(run.connections && run.connections.length > 1);
  for (const c of run.connections ?? []) {
    const o = document.createElement('option');
    o.value = c.key;
    o.textContent = c.label;
    o.selected = c.key === run.connection;
    connSel.appendChild(o);
  }
  app.dataset.source = run.source;
  app.dataset.events = String(run.events.length);
  setStatus(`${run.source}: ${run.summary ?? ''}${run.ok === false ? ' (scenario check failed)' : ''}`, run.ok === false);
  show();
}

function show(): void {
  if (!replay) return;
  const snap = replay.at(cursor);
  diagram.update(snap.states, snap.nodes, snap.arcs, snap.current);
  ladder.show(cursor);
  const n = replay.run.events.length;
  posOut.value = `${cursor + 1} / ${n}`;
  app.dataset.cursor = String(cursor);
  app.dataset.clientState = snap.states[0];
  app.dataset.serverState = snap.states[1];
  hostStateEl.dataset.clientState = snap.states[0];
  hostStateEl.dataset.serverState = snap.states[1];
  hostStateEl.querySelector('.hs-c0')!.textContent = snap.states[0];
  hostStateEl.querySelector('.hs-c1')!.textContent = snap.states[1];
  backBtn.disabled = cursor < 0;
  startBtn.disabled = cursor < 0;
  fwdBtn.disabled = cursor >= n - 1;
  endBtn.disabled = cursor >= n - 1;
  prevStateBtn.disabled = cursor < 0;
  nextStateBtn.disabled = stateChange(1) === null;
  for (const li of eventList.querySelectorAll('li.now')) li.classList.remove('now');
  const li = eventList.querySelector<HTMLLIElement>(`li[data-idx="${cursor}"]`);
  if (li) {
    li.classList.add('now');
    const box = eventList;
    if (li.offsetTop < box.scrollTop || li.offsetTop + li.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTop = li.offsetTop - box.clientHeight / 2;
    }
  } else eventList.scrollTop = 0;
  explain(cursor >= 0 ? replay.run.events[cursor] : null, snap.states, snap.current !== null ? snap.arcs[snap.current] : null);
}

function para(parent: HTMLElement, cls: string, text: string, title?: string): void {
  if (title) {
    const h = document.createElement('h3');
    h.textContent = title;
    parent.appendChild(h);
  }
  const p = document.createElement('p');
  p.className = cls;
  p.textContent = text;
  parent.appendChild(p);
}

function arcText(ref: ArcRef): [string, string] {
  const fig = arcFor(ref.from, ref.to, ref.cause);
  if (fig && ref.id === fig.id) {
    return [`${ref.from} → ${ref.to}: ${fig.event}${fig.action ? ' / ' + fig.action : ''}`, ARC_TEXT[fig.id]];
  }
  return [`${ref.from} → ${ref.to}: ${ref.cause}`, extraArcText(ref.from, ref.to, ref.cause)];
}

function explain(ev: TraceEvent | null, states: [TcpState, TcpState], arc: ArcRef | null): void {
  explainEl.replaceChildren();
  if (!replay) return;
  const hosts = replay.run.hosts;
  if (selected) {
    if (selected.kind === 'state') {
      para(explainEl, 'sel', STATE_TEXT[selected.id as TcpState] ?? '', `State ${selected.id}`);
    } else {
      const a = ARCS.find((x) => x.id === selected!.id);
      if (a) para(explainEl, 'sel', ARC_TEXT[a.id], `Arc ${a.from} → ${a.to}: ${a.event}${a.action ? ' / ' + a.action : ''}`);
    }
  }
  if (!ev) {
    para(explainEl, 'now', `Press play (space) or step (→) to replay ${replay.run.events.length} events. Both hosts start in ${states[0]} / ${states[1]}.`, 'Ready');
  } else {
    para(explainEl, 'now', `${ev.host} @ ${+ev.t.toFixed(3)} ms: ${describeEvent(ev)}`, 'This event');
    if (ev.type === 'state' && arc) {
      const [title, text] = arcText(arc);
      para(explainEl, 'arc', text, `Arc taken by ${ev.host} — ${title}`);
      para(explainEl, 'state', STATE_TEXT[arc.to], `Now in ${arc.to}`);
      return;
    }
    if (ev.type === 'state') {
      para(explainEl, 'arc', `This TCB${ev.conn ? ` (${ev.conn})` : ''} moves ${ev.from} → ${ev.to}, where ${ev.host} already is: a listener forks a new TCB in LISTEN for each SYN, and the listener itself may close after its child. The diagram keeps one position per host.`);
    }
    if (ev.type === 'link' && ev.action === 'lost') {
      para(explainEl, 'arc', 'The simulated link dropped this packet. The sender will notice only by a missing acknowledgment and retransmit when its timer fires.');
    }
  }
  for (const slot of [0, 1] as const) {
    para(explainEl, `state c${slot}`, STATE_TEXT[states[slot]], `${hosts[slot]}: ${states[slot]}`);
  }
}

function step(delta: number): void {
  if (!replay) return;
  const n = replay.run.events.length;
  const next = Math.max(-1, Math.min(n - 1, cursor + delta));
  if (next === cursor) return;
  cursor = next;
  selected = null;
  show();
}

/** The next (dir 1) or previous (dir -1) event that moves a host in the diagram. */
function stateChange(dir: 1 | -1): number | null {
  if (!replay) return null;
  const n = replay.run.events.length;
  for (let i = cursor + dir; i >= 0 && i < n; i += dir) if (replay.at(i).current !== null) return i;
  return dir < 0 ? -1 : null;
}

function jumpState(dir: 1 | -1): void {
  pause();
  const i = stateChange(dir);
  if (i !== null) seek(i);
}

function seek(i: number): void {
  if (!replay) return;
  cursor = Math.max(-1, Math.min(replay.run.events.length - 1, i));
  show();
}

function delayFor(ev: TraceEvent | undefined): number {
  const base = 700 / Number(speedIn.value);
  // Timers and bookkeeping go by quickly; state changes and segments get the full beat.
  if (!ev) return base;
  return ev.type === 'state' || ev.type === 'segment' || ev.type === 'link' ? base : base / 3;
}

function tick(): void {
  if (!replay || !playing) return;
  if (cursor >= replay.run.events.length - 1) return pause();
  step(1);
  timer = setTimeout(tick, delayFor(replay.run.events[cursor + 1]));
}

function play(): void {
  if (!replay) return;
  if (cursor >= replay.run.events.length - 1) cursor = -1;
  playing = true;
  app.dataset.playing = 'true';
  playBtn.textContent = '⏸ Pause';
  playBtn.setAttribute('aria-pressed', 'true');
  tick();
}

function pause(): void {
  playing = false;
  app.dataset.playing = 'false';
  playBtn.textContent = '▶ Play';
  playBtn.setAttribute('aria-pressed', 'false');
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
}

const togglePlay = (): void => (playing ? pause() : play());

async function runSelected(autoplay: boolean): Promise<void> {
  const name = scenarioSel.value;
  // Empty fields leave the scenario's own defaults (bulk runs with 1% loss unless told).
  const num = (el: HTMLInputElement, lo: number, hi: number): number | undefined =>
    el.value.trim() === '' || !Number.isFinite(Number(el.value)) ? undefined : Math.max(lo, Math.min(hi, Number(el.value)));
  const lossPct = num(lossIn, 0, 99);
  const bytes = num(bytesIn, 0, 1e9);
  const opts = {
    seed: Math.trunc(num(seedIn, 0, 2 ** 32 - 1) ?? 1),
    loss: lossPct === undefined ? undefined : lossPct / 100,
    delay: num(delayIn, 0, 60_000),
    bytes: bytes === undefined ? undefined : Math.trunc(bytes),
  };
  setStatus(`running ${name}…`);
  runBtn.disabled = true;
  app.dataset.busy = 'true';
  // Let the status paint before a long simulation.
  await new Promise((r) => setTimeout(r, 0));
  try {
    const r = await runScenario(name, opts);
    lastFile = null;
    describeScenario();
    load({
      source: `scenario ${name} (seed ${r.options.seed}, loss ${+(r.options.loss * 100).toFixed(2)}%, delay ${r.options.delay} ms${r.options.bytes ? `, ${r.options.bytes} bytes` : ''})`,
      events: r.events,
      hosts: r.hosts,
      pcapng: r.pcapng,
      ok: r.ok,
      summary: r.summary,
    });
    app.dataset.scenario = name;
    // A link to this run: ?scenario=...&seed=...&loss=...&delay=...&bytes=...
    const url = new URL(location.href);
    url.searchParams.set('scenario', name);
    for (const [k, input] of [['seed', seedIn], ['loss', lossIn], ['delay', delayIn], ['bytes', bytesIn]] as const) {
      if (input.value.trim() === '') url.searchParams.delete(k);
      else url.searchParams.set(k, input.value.trim());
    }
    history.replaceState(null, '', url);
    if (autoplay) play();
  } catch (e) {
    setStatus(`${name} failed: ${(e as Error).message}`, true);
  } finally {
    runBtn.disabled = false;
    app.dataset.busy = 'false';
  }
}

runBtn.addEventListener('click', () => void runSelected(new URLSearchParams(location.search).get('autoplay') !== '0'));
playBtn.addEventListener('click', togglePlay);
backBtn.addEventListener('click', () => (pause(), step(-1)));
fwdBtn.addEventListener('click', () => (pause(), step(1)));
startBtn.addEventListener('click', () => (pause(), seek(-1)));
prevStateBtn.addEventListener('click', () => jumpState(-1));
nextStateBtn.addEventListener('click', () => jumpState(1));
endBtn.addEventListener('click', () => (pause(), seek(Infinity)));
speedIn.addEventListener('input', () => (speedOut.value = `${speedIn.value}×`));
relIn.addEventListener('change', () => {
  if (!replay) return;
  ladder.render(replay.run, relIn.checked, (i) => replay!.quiet(i));
  show();
});
eventList.addEventListener('click', (ev) => {
  const li = (ev.target as HTMLElement).closest('li');
  if (li?.dataset.idx) {
    pause();
    seek(Number(li.dataset.idx));
  }
});
diagram.onSelect((kind, id) => {
  selected = { kind, id };
  show();
});

fileIn.addEventListener('change', async () => {
  const f = fileIn.files?.[0];
  if (!f) return;
  try {
    const bytes = new Uint8Array(await f.arrayBuffer());
    load(runFromFile(f.name, bytes));
    lastFile = { name: f.name, bytes };
    scenarioDesc.textContent = `Replaying ${f.name}. Run a scenario to go back to the catalogue.`;
    delete app.dataset.scenario;
  } catch (e) {
    setStatus(`could not load ${f.name}: ${(e as Error).message}`, true);
  }
  fileIn.value = '';
});

connSel.addEventListener('change', () => {
  if (!lastFile) return;
  try {
    load(runFromFile(lastFile.name, lastFile.bytes, connSel.value));
  } catch (e) {
    setStatus(`could not load ${lastFile.name}: ${(e as Error).message}`, true);
  }
});

downloadBtn.addEventListener('click', () => {
  if (!replay) return;
  const run = replay.run;
  const bytes = run.pcapng && run.pcapng.length ? run.pcapng : traceToPcapng(run.events);
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/vnd.tcpdump.pcap' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `synack-${(app.dataset.scenario ?? 'trace').replace(/[^\w.-]+/g, '_')}.pcapng`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
});

// Keyboard: space play/pause, arrows step, Home/End. Form fields keep their own keys.
document.addEventListener('keydown', (ev) => {
  if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const t = ev.target as HTMLElement;
  const tag = t.tagName;
  if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
  if (ev.key === ' ' || ev.key === 'Spacebar') {
    ev.preventDefault();
    togglePlay();
  } else if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
    ev.preventDefault();
    const dir = ev.key === 'ArrowRight' ? 1 : -1;
    if (ev.shiftKey) jumpState(dir);
    else {
      pause();
      step(dir);
    }
  } else if (ev.key === 'Home') {
    ev.preventDefault();
    pause();
    seek(-1);
  } else if (ev.key === 'End') {
    ev.preventDefault();
    pause();
    seek(Infinity);
  }
});

// Start with the handshake loaded (not playing), so the page is never empty.
const params = new URLSearchParams(location.search);
const initial = params.get('scenario');
scenarioSel.value = initial && SCENARIOS.some((s) => s.name === initial) ? initial : SCENARIOS[0]?.name ?? '';
for (const [k, input] of [['seed', seedIn], ['loss', lossIn], ['delay', delayIn], ['bytes', bytesIn]] as const) {
  const v = params.get(k);
  if (v !== null && v !== '' && Number.isFinite(Number(v))) input.value = v;
}
describeScenario();
speedOut.value = `${speedIn.value}×`;
pause();
void (async () => {
  await runSelected(params.get('autoplay') === '1');
  app.dataset.ready = 'true';
})();
