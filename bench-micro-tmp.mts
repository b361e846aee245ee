import crypto from 'node:crypto';
import { createMixPool } from './bench/payloads.js';
import { createCipher } from './src/compliance/crypto.js';
import { collectRows } from './src/whatsapp/inbound-store.js';
import { verifySignature } from './src/whatsapp/signature.js';
const cipher = createCipher(crypto.randomBytes(32));
const N = 20000;
const pool = createMixPool({ size: N, secret: 's', phoneNumberId: '106540352242922', runId: 'r1', kind: 'mix' });
const items = Array.from({ length: N }, (_, i) => pool.get(i));
function time(name: string, f: (d: any) => void, filter: (d: any) => boolean) {
  const sel = items.filter(filter);
  for (let r = 0; r < 2; r++) { const t = process.hrtime.bigint(); for (const d of sel) f(d); const us = Number(process.hrtime.bigint() - t) / 1000 / sel.length; if (r) console.log(name, sel.length, us.toFixed(1), 'µs'); }
}
const isText = (d: any) => d.id.includes('HBgLIN');
for (const [label, flt] of [['text', isText], ['status', (d: any) => !isText(d)]] as const) {
  time(`${label} verify`, (d) => verifySignature(d.body, d.signature, 's'), flt);
  time(`${label} parse`, (d) => JSON.parse(d.body.toString('utf8')), flt);
  const parsed = new Map(items.map((d) => [d, JSON.parse(d.body.toString('utf8'))]));
  time(`${label} collect`, (d) => collectRows(cipher, '106540352242922', d.body, parsed.get(d)), flt);
}
