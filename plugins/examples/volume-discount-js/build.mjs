// Builds dist/volume-discount-js.wasm: src/pricing.js as a component of the `pricing` world of
// ../../wit (tsunagi:plugins@0.1.0), with StarlingMonkey (SpiderMonkey) via componentize-js.
//
//   node build.mjs              the build the Tsunagi host accepts (docs/plugin-authoring.md)
//   node build.mjs --default    componentize-js defaults (imports wasi:http: refused by the host)
//   node build.mjs --features=stdio,random   keep exactly these WASI features
//   node build.mjs --out=PATH   write there instead of dist/volume-discount-js.wasm
import { componentize } from '@bytecodealliance/componentize-js';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const ALL = ['stdio', 'random', 'clocks', 'http', 'fetch-event'];
// The host links wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem and wasi:sockets
// (WASI 0.2, deny-all) but not wasi:http, so `http` and `fetch-event` must go.
let keep = ['stdio', 'random', 'clocks'];
let out = null;
for (const a of process.argv.slice(2)) {
  if (a === '--default') keep = ALL;
  else if (a.startsWith('--features=')) keep = a.slice(11).split(',').filter(Boolean);
  else if (a.startsWith('--out=')) out = a.slice(6);
  else throw new Error(`unknown argument ${a}`);
}

const here = dirname(fileURLToPath(import.meta.url));
const started = performance.now();
const { component } = await componentize({
  sourcePath: join(here, 'src/pricing.js'),
  witPath: join(here, '../../wit'),
  worldName: 'pricing',
  disableFeatures: ALL.filter((f) => !keep.includes(f)),
});
const path = out === null ? join(here, 'dist', 'volume-discount-js.wasm') : resolve(out);
await mkdir(dirname(path), { recursive: true });
await writeFile(path, component);
const ms = Math.round(performance.now() - started);
console.log(`${path}: ${component.byteLength} bytes in ${ms} ms (features: ${keep.join(', ') || 'none'})`);
