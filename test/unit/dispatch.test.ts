import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../common/protocol/errors.js';
import { createCommandTable } from '../../daemon/commands/table.js';

const table = createCommandTable();
const parse = (line: string): [string, string[]] | undefined => {
  const parsed = table.parse(line);
  return parsed && [parsed.command.name, parsed.args];
};
const code = (line: string): string => {
  try {
    table.parse(line);
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  return 'none';
};

describe('command table', () => {
  const rows: Array<[string, string, string[]]> = [
    ['lista', 'lista', []],
    ['LIST', 'lista', []],
    ['7', 'lista', []],
    ['download x.mp3', 'download', ['x.mp3']],
    ['download "a b.mp3" 1 2', 'download', ['a b.mp3', '1', '2']],
    ['lista dispositivos', 'lista dispositivos', []],
    ['Lista  Dispositivos', 'lista dispositivos', []],
    ['lista_dispositivos', 'lista dispositivos', []],
    ['devices', 'lista dispositivos', []],
    ['10', 'lista dispositivos', []],
    ['att status playing song.mp3 1:23/3:35', 'att status', ['playing song.mp3 1:23/3:35']],
    ['att_status   idle  ', 'att status', ['idle']],
    ['status paused "quoted" kept raw', 'att status', ['paused "quoted" kept raw']],
    ['hello kitchen-pi', 'hello', ['kitchen-pi']],
    ['quit', 'quit', []],
    ['9', 'quit', []],
    ['EXIT', 'quit', []],
    ['password "s3cret word"', 'password', ['s3cret word']],
    ['help', 'help', []],
    ['ping', 'ping', []],
    ['  ping', 'ping', []],
    ['stats', 'stats', []],
  ];
  for (const [line, name, args] of rows) {
    it(`reads '${line}' as ${name}`, () => assert.deepEqual(parse(line), [name, args]));
  }

  it('ignores blank lines', () => {
    assert.equal(parse(''), undefined);
    assert.equal(parse('   \t'), undefined);
  });

  const errors: Array<[string, string]> = [
    ['frobnicate', 'unknown_command'],
    ['lista extra', 'bad_argument'],
    ['download', 'bad_argument'],
    ['download a 1 2 3', 'bad_argument'],
    ['att status', 'bad_argument'],
    ['status', 'bad_argument'],
    ['hello', 'bad_argument'],
    ['download "open', 'bad_request'],
    ['\x01\x02', 'unknown_command'],
  ];
  for (const [line, expected] of errors) {
    it(`answers ${JSON.stringify(line)} with ${expected}`, () => assert.equal(code(line), expected));
  }

  it('names the unknown word, with control bytes made visible', () => {
    assert.throws(() => table.parse('bo\x07gus x'), { message: "unknown command 'bo\\x07gus' (Comando Inexistente)" });
  });
});
