/**
 * How streamtui is started: its shebang gives node its flags (the memory reducer at one collection
 * at a time, a small young generation, bytecode kept) and malloc a fixed threshold for giving
 * large buffers back; `npm start` gives the same, and node takes them (a flag it does not know
 * would stop every start).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { streamtuiCommand } from '../helpers/cli.js';

const STREAMTUI = fileURLToPath(new URL('../../tui/cli.js', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../../../package.json', import.meta.url));

describe('starting streamtui', () => {
  const command = streamtuiCommand();
  const VARS = ['MALLOC_MMAP_THRESHOLD_=131072'];
  const FLAGS = ['--memory-reducer-single-gc', '--max-semi-space-size=1', '--no-flush-bytecode'];

  it('runs node with the memory reducer at one collection at a time, a young generation of 1 MiB, bytecode kept and malloc giving back large buffers, from its shebang', () => {
    assert.deepEqual(command.slice(0, -1), ['/usr/bin/env', ...VARS, process.execPath, ...FLAGS]);
  });

  it('npm start gives node the same', () => {
    const start = (JSON.parse(readFileSync(PACKAGE, 'utf8')) as { scripts: Record<string, string> }).scripts[
      'start'
    ] as string;
    assert.equal(start, `${VARS.join(' ')} node ${FLAGS.join(' ')} dist/tui/cli.js --start-daemon`);
  });

  it('starts through its shebang as the installed command does', () => {
    const shebang = readFileSync(STREAMTUI, 'utf8').split('\n', 1)[0] as string;
    const [env, ...args] = shebang.slice(2).split(' ');
    const run = spawnSync(env as string, [...args, STREAMTUI, '--help'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^usage: streamtui/);
    const seen = spawnSync(env as string, [...args, '-p', 'process.env.MALLOC_MMAP_THRESHOLD_'], { encoding: 'utf8' });
    assert.equal(seen.stdout.trim(), '131072', 'malloc is given its threshold');
  });
});
