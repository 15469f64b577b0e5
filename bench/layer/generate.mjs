// Deterministic, source-tree-like content shared by the layer benchmarks: words from a
// seeded PRNG ("source" files) and ~1/5 semi-binary files (1/3 random bytes), 1 kB–1 MB each.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function contentMaker() {
  let x = 0x9e3779b9;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const words = Array.from({ length: 4096 }, () => Array.from({ length: 2 + (rnd() % 9) }, () => String.fromCharCode(97 + (rnd() % 26))).join(''));
  const text = (n) => {
    const parts = [];
    let len = 0;
    while (len < n) {
      const w = words[rnd() % words.length] + (rnd() % 11 === 0 ? ';\n' : ' ');
      parts.push(w);
      len += w.length;
    }
    return Buffer.from(parts.join('').slice(0, n));
  };
  const binary = (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = rnd() % 3 === 0 ? rnd() & 0xff : i & 0x0f;
    return b;
  };
  const size = () => (rnd() % 7 === 0 ? 200_000 + (rnd() % 800_000) : 1000 + (rnd() % 60_000));
  return { text, binary, size };
}

/** Write a tree of about sizeMb MiB under root; returns { total, files }. */
export function generateTree(root, sizeMb) {
  const m = contentMaker();
  let total = 0;
  let files = 0;
  const target = sizeMb * 1024 * 1024;
  for (let d = 0; total < target; d++) {
    const dir = path.join(root, `pkg${d % 40}`, `sub${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 50 && total < target; f++) {
      const size = m.size();
      writeFileSync(path.join(dir, `file${f}${f % 5 === 0 ? '.bin' : '.c'}`), f % 5 === 0 ? m.binary(size) : m.text(size));
      total += size;
      files++;
    }
  }
  return { total, files };
}

/** The same content as one buffer (the files of the tree, concatenated). */
export function generateBuffer(sizeMb) {
  const m = contentMaker();
  const parts = [];
  let total = 0;
  const target = sizeMb * 1024 * 1024;
  for (let f = 0; total < target; f++) {
    const size = m.size();
    parts.push(f % 5 === 0 ? m.binary(size) : m.text(size));
    total += size;
  }
  return Buffer.concat(parts);
}
