import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../../common/protocol/errors.js';
import { createCommandTable } from '../../daemon/commands/table.js';

const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
const section = (title: string): string => {
  const start = doc.indexOf(`## ${title}`);
  assert.ok(start >= 0, `docs/protocol.md has a '${title}' section`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
};

describe('docs/protocol.md', () => {
  it('lists exactly the error codes of the catalog', () => {
    const documented = [...section('Error codes').matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(documented.sort(), Object.keys(ERROR_CODES).sort());
  });

  it('lists every command and alias of the command table', () => {
    const commands = section('Commands');
    for (const command of createCommandTable().commands) {
      for (const name of [command.name, ...command.aliases]) assert.ok(commands.includes(`\`${name}\``), name);
    }
  });

  it('lists every configurable limit', () => {
    const limits = section('Limits');
    for (const key of [
      'max_line_bytes',
      'max_connections',
      'connection_timeout',
      'max_output_bytes',
      'max_pipelined_commands',
      'write_stall_timeout',
    ]) {
      assert.ok(limits.includes(`\`${key}\``), key);
    }
  });
});
