import { synackBulk } from './benches/bulk.ts';
const c0 = process.cpuUsage();
console.log(synackBulk(+process.argv[2], +process.argv[3]), process.cpuUsage(c0));
