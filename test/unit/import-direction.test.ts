/**
 * The direction of imports (docs/architecture.md), checked over the source tree as text:
 * `common/` imports neither side and owns no socket, file or process; the daemon and the player
 * never import each other; in `tui/` imports point down its layers (the wiring, the capabilities,
 * the engine and the views, the state, the I/O), folders of one layer above the state do not import
 * each other, `state/` imports nothing else of the player; and no file imports itself through others
 * (no cycle).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(path.join(ROOT, file)).isDirectory()) return sources(file);
    return name.endsWith('.ts') ? [file] : [];
  });
}

/** Every module a file imports (static, dynamic, re-export), relative ones as paths from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] as string);
  return specifiers.map((spec) =>
    spec.startsWith('.') ? path.join(path.dirname(file), spec).replace(/\.js$/, '.ts') : spec,
  );
}

/** The player's layers, top down; a folder of tui/ is in exactly one (cli.ts, the entry, is wiring). */
const LAYERS: ReadonlyArray<{ name: string; folders: readonly string[] }> = [
  { name: 'wiring', folders: ['cli.ts', 'app'] },
  {
    name: 'capabilities',
    folders: ['listen-along', 'calls', 'radio', 'desktop', 'marks', 'lyrics', 'playlists', 'cover-art', 'remote'],
  },
  { name: 'engine and views', folders: ['playback', 'views', 'timing'] },
  { name: 'state', folders: ['state'] },
  { name: 'I/O', folders: ['daemon-link', 'cache', 'audio', 'store'] },
];
const IO = LAYERS.length - 1;

function layerOf(file: string): { layer: number; folder: string } {
  const folder = file.split(path.sep)[1] as string;
  const layer = LAYERS.findIndex((entry) => entry.folders.includes(folder));
  if (layer < 0) throw new Error(`${file} is in no known layer of tui/: add it to docs/architecture.md and this test`);
  return { layer, folder };
}

/** What is wrong with `file` importing `target`, or undefined. */
function violation(file: string, target: string): string | undefined {
  const side = (name: string): string => name.split(path.sep)[0] as string;
  if (!target.endsWith('.ts')) {
    if (side(file) === 'common' && /^node:(fs|net|dgram|child_process|fs\/promises|worker_threads)$/.test(target))
      return 'common/ owns no file, socket or process';
    return undefined;
  }
  if (side(file) === 'common' && side(target) !== 'common') return 'common/ imports neither side';
  if (side(file) === 'daemon' && side(target) === 'tui') return 'the daemon never imports the player';
  if (side(file) === 'tui' && side(target) === 'daemon') return 'the player never imports the daemon';
  if (side(file) !== 'tui' || side(target) !== 'tui') return undefined;
  const from = layerOf(file);
  const to = layerOf(target);
  if (from.folder === 'state' && to.folder !== 'state') return 'state/ is pure: it imports no other folder of tui/';
  if (to.layer < from.layer) return `imports point down: ${LAYERS.map((entry) => entry.name).join(' -> ')}`;
  if (to.layer === from.layer && to.folder !== from.folder && from.layer > 0 && from.layer < IO)
    return `${from.folder}/ and ${to.folder}/ are of one layer (${LAYERS[from.layer]?.name}): neither imports the other`;
  return undefined;
}

/** The import cycles among `files`: each a list of files, found by Tarjan's strongly connected components. */
function cycles(files: readonly string[]): string[][] {
  const edges = new Map(
    files.map((file) => [file, importsOf(file).filter((target) => existsSync(path.join(ROOT, target)))]),
  );
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file) as number);
    stack.push(file);
    onStack.add(file);
    for (const target of edges.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (edges.get(file) ?? []).includes(file)) found.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return found;
}

describe('import direction', () => {
  const files = ['common', 'daemon', 'tui'].flatMap(sources);

  it('holds for every source file', () => {
    const wrong = files.flatMap((file) =>
      importsOf(file).flatMap((target) => {
        const why = violation(file, target);
        return why ? [`${file} -> ${target}: ${why}`] : [];
      }),
    );
    assert.deepEqual(wrong, []);
  });

  it('the check catches what it is for', () => {
    const table: Array<[string, string, RegExp | undefined]> = [
      ['common/protocol/args.ts', 'daemon/log.ts', /neither side/],
      ['common/protocol/args.ts', 'node:net', /owns no/],
      ['daemon/main.ts', 'tui/app/app.ts', /never imports the player/],
      ['tui/audio/sink.ts', 'tui/playback/mixer.ts', /point down/],
      ['tui/daemon-link/daemon-client.ts', 'tui/app/app.ts', /point down/],
      ['tui/playback/playback.ts', 'tui/listen-along/sync-follower.ts', /point down/],
      ['tui/playback/playback.ts', 'tui/views/view.ts', /one layer/],
      ['tui/calls/call-control.ts', 'tui/listen-along/listen-along.ts', /one layer/],
      ['tui/state/model.ts', 'tui/daemon-link/daemon-client.ts', /state\/ is pure/],
      ['tui/state/model.ts', 'tui/views/format.ts', /state\/ is pure/],
      ['tui/views/view.ts', 'tui/state/model.ts', undefined],
      ['tui/app/app.ts', 'tui/playback/playback.ts', undefined],
      ['tui/listen-along/sync-follower.ts', 'tui/playback/playback.ts', undefined],
      ['tui/playback/playback.ts', 'tui/audio/sink.ts', undefined],
      ['tui/daemon-link/udp-downloader.ts', 'tui/daemon-link/daemon-client.ts', undefined],
    ];
    for (const [file, target, expected] of table) {
      const why = violation(file.split('/').join(path.sep), target.split('/').join(path.sep));
      if (expected) assert.match(why ?? '', expected, `${file} -> ${target}`);
      else assert.equal(why, undefined, `${file} -> ${target}`);
    }
  });

  it('no file imports itself through others', () => {
    assert.deepEqual(cycles(files), []);
  });
});

describe('version', () => {
  it('common/version.ts says what package.json says', async () => {
    const { VERSION } = await import('../../common/version.js');
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});
