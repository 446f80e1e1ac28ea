import { netApiBulk, netApiRr } from './lib/netapi.ts';
console.log(await netApiBulk(20_000_000, 1500));
console.log(await netApiRr(2000));
process.exit(0);
