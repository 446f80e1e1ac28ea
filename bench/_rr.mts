import { synackRr, synackCrr } from './benches/rr.ts';
import { synackConns } from './benches/conns.ts';
const w = process.argv[2];
if (w === 'rr') console.log(synackRr(4000));
if (w === 'crr') console.log(synackCrr(4000));
if (w === 'conns') console.log(synackConns(15000, console.log, 4096, 60000));
