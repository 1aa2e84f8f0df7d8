/**
 * How streamtui is started: its shebang gives node its flags (the memory reducer at one collection at a time, a small young generation, bytecode kept), `npm start`
 * gives the same ones, and node takes them (a flag it does not know would stop every start).
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
  const [, ...flags] = streamtuiCommand().slice(0, -1);

  it('runs node with the memory reducer at one collection at a time, a young generation of 1 MiB and bytecode kept, from its shebang', () => {
    assert.deepEqual(flags, ['--memory-reducer-single-gc', '--max-semi-space-size=1', '--no-flush-bytecode']);
  });

  it('npm start gives node the same flags', () => {
    const start = (JSON.parse(readFileSync(PACKAGE, 'utf8')) as { scripts: Record<string, string> }).scripts[
      'start'
    ] as string;
    assert.equal(start, `node ${flags.join(' ')} dist/tui/cli.js --start-daemon`);
  });

  it('starts through its shebang as the installed command does', () => {
    const shebang = readFileSync(STREAMTUI, 'utf8').split('\n', 1)[0] as string;
    const [env, ...args] = shebang.slice(2).split(' ');
    const run = spawnSync(env as string, [...args, STREAMTUI, '--help'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^usage: streamtui/);
  });
});
