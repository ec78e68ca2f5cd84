// Minimal WASI preview1 runner for benchmarking: node node_wasi.mjs FILE.wasm [ARGS...]
// No preopens, no environment: the same (empty) capabilities `wasibuild exec` grants by default.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node node_wasi.mjs FILE.wasm [ARGS...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [file, ...rest], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
