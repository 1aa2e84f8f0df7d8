// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner: unit and
// integration tests two at a time, then the end-to-end tests (real time audio, tmux) one at a
// time, so that their timing does not compete with the rest for the machine's two cores.
// Node 20's --test does not expand globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'test');
const only = process.argv.slice(2);

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === 'helpers' ? [] : find(file);
    return name.endsWith('.test.js') ? [file] : [];
  });
}

const files = find(root)
  .filter((file) => only.length === 0 || only.some((part) => file.includes(part)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under', root);
  process.exit(1);
}
const e2e = `${path.sep}e2e${path.sep}`;
const groups = [
  { files: files.filter((f) => !f.includes(e2e)), concurrency: 2 },
  { files: files.filter((f) => f.includes(e2e)), concurrency: 1 },
].filter((group) => group.files.length > 0);

let failed = false;
for (const group of groups) {
  const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${group.concurrency}`, ...group.files], { stdio: 'inherit' });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
