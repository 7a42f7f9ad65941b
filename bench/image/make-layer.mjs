// Makes the benchmark layer: 2000 files of 82.5 kB (41% random bytes, the rest
// words), ~165 MB as a tar and ~99 MB gzip'd (-6). Usage:
//   node bench/image/make-layer.mjs OUT_DIR   → OUT_DIR/layer.tar.gz
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2];
if (!out) throw new Error('usage: make-layer.mjs OUT_DIR');
const tree = join(out, 'tree');
const words = Array.from({ length: 5000 }, (_, i) => `word${i} `);
for (let i = 0; i < 2000; i++) {
  const dir = join(tree, `d${String(i % 40).padStart(2, '0')}`, `s${i % 7}`);
  mkdirSync(dir, { recursive: true });
  const size = 82_500;
  const noise = randomBytes(Math.floor((size * 41) / 100));
  let text = '';
  while (text.length < size - noise.length) text += words[Math.floor(Math.random() * words.length)];
  writeFileSync(join(dir, `f${String(i).padStart(4, '0')}`), Buffer.concat([noise, Buffer.from(text.slice(0, size - noise.length))]));
}
execFileSync('tar', ['-C', tree, '--numeric-owner', '-cf', join(out, 'layer.tar'), '.']);
execFileSync('gzip', ['-f', '-6', join(out, 'layer.tar')]);
rmSync(tree, { recursive: true, force: true });
console.log(join(out, 'layer.tar.gz'));
