/**
 * The screen: library, devices, network (with the loss chart, full width), now playing, status
 * line, and the help overlay. It only renders a PlayerState into blessed boxes, placed by
 * layout.ts for the terminal's size at each render; keys, sockets and timers live elsewhere.
 */
import blessed from 'blessed';
import type { SongInfo } from '../../common/protocol/records.js';
import { demoText, scanText } from '../../common/protocol/replies.js';
import { helpLines } from '../state/bindings.js';
import { songName, type LibraryRow } from '../state/library-tree.js';
import { type CoverImage, type CoverView, type DrivenQueue, type PlayerState } from '../state/model.js';
import { lossPercent } from '../../common/datagram/loss-meter.js';
import {
  displayWidth,
  fit,
  markedSpans,
  progressBar,
  rate,
  screenText,
  styled,
  wrapWords,
  type Span,
} from './format.js';
import { teachBlessedWidths, unwrapped } from './terminal-text.js';
import { computeLayout, NOW_ROWS, type Layout, type Rect } from './layout.js';
import { createLossChart, loadLineChart } from './loss-chart.js';
import { callLine, voiceLine, voiceOutLine } from './call-lines.js';
import { clock } from '../../common/protocol/device-status.js';
import { deviceActivityText, drivenQueueShown, libraryRows, songInfoLines } from '../state/selectors.js';
import { marksOf, ORDER_NAMES } from '../state/marks.js';
import { currentLyricLine } from '../../common/lyrics/lrc.js';
import type { SongMarks } from '../../common/protocol/stickers.js';
import { DELETE_COVER, eraseCells } from './terminal-graphics.js';

const esc = screenText;
const label = (text: string, focused: boolean): string =>
  focused ? ` {bold}{inverse} ${screenText(text)} {/inverse}{/bold} ` : ` ${screenText(text)} `;

/** A search's matched characters. */
const MATCH_STYLE = 'yellow-fg';

/**
 * A song's line in the tree: its disc and track (`2-01`) and title, the album's artist and album
 * being its parents; on a compilation, the song's own artist before the title.
 */
function treeSongName(song: SongInfo): string {
  const track = song.track === undefined ? '  ' : String(song.track).padStart(2, '0');
  const number =
    song.disc !== undefined && (song.disc > 1 || song.track !== undefined) ? `${song.disc}-${track}` : track;
  const title = song.title ?? song.file.split('/').pop() ?? song.file;
  const own = song.albumArtist && song.artist && song.artist !== song.albumArtist ? `${song.artist} - ` : '';
  return `${number} ${own}${title}`;
}

/** Now playing's third line: the album, its artist and year (`Dr. Feelgood · Mötley Crüe · 1989`), or the file untagged; then the marks. */
function nowPlayingDetail(song: SongInfo, marks: SongMarks): string {
  const parts = [song.album, song.albumArtist ?? song.artist, song.year?.toString()].filter(Boolean);
  const kept = [
    marks.rating > 0 ? '★'.repeat(marks.rating) : '',
    marks.favoriteSince !== undefined ? '♥' : '',
    marks.playCount > 0 ? `played ${marks.playCount}×` : '',
  ].filter(Boolean);
  return [parts.length > 0 ? parts.join(' · ') : song.file, ...(kept.length > 0 ? [kept.join(' ')] : [])].join('  ·  ');
}

const markedLibraries = new WeakMap<PlayerState['marks'], boolean>();
function anyMarked(marks: PlayerState['marks']): boolean {
  let any = markedLibraries.get(marks);
  if (any === undefined) {
    any = [...marks.values()].some((m) => m.rating > 0 || m.favoriteSince !== undefined);
    markedLibraries.set(marks, any);
  }
  return any;
}

/** A library row's marks: the rating as stars, then a heart for a favourite (6 columns). */
function marksColumn(marks: SongMarks): string {
  return `${'★'.repeat(marks.rating)}${' '.repeat(5 - marks.rating)}${marks.favoriteSince !== undefined ? '♥' : ' '}`;
}

/** Rows `[first, first + height)` of a list of `count` that keep `selected` in view. */
function windowOf(count: number, selected: number, height: number): number {
  if (count <= height) return 0;
  return Math.max(0, Math.min(count - height, selected - Math.floor(height / 2)));
}

export interface View {
  render(state: PlayerState): void;
  destroy(): void;
}

/** What the screen says that is not the state's: where the cache is (the song-info view names it). */
export interface ViewOptions {
  cacheDir?: string | undefined;
}

export function createView(screen: blessed.Widgets.Screen, options: ViewOptions = {}): View {
  teachBlessedWidths();
  const box = (options: blessed.Widgets.BoxOptions): blessed.Widgets.BoxElement =>
    unwrapped(
      blessed.box({
        parent: screen,
        tags: true,
        border: { type: 'line' },
        style: { border: { fg: 'cyan' } },
        ...options,
      }),
    );
  const library = box({ top: 0, left: 0 });
  const queue = box({ top: 0 });
  const devices = box({ top: 0 });
  const network = box({});
  const now = box({ left: 0, height: 5 });
  const status = unwrapped(blessed.box({ parent: screen, left: 0, bottom: 0, height: 1, tags: true }));
  const chart = createLossChart(network);
  const help = box({ top: 'center', left: 'center', hidden: true });
  const info = box({ top: 'center', left: 'center', hidden: true, label: ' song (i or Esc to close) ' });
  const lyrics = box({ top: 1, left: 'center', hidden: true });
  const playlists = box({ top: 1, left: 'center', hidden: true });
  const call = box({
    top: 1,
    left: 'center',
    height: 3,
    hidden: true,
    label: ' Call ',
    style: { border: { fg: 'yellow' } },
  });
  let current: Layout = computeLayout(80, 24, false);
  let placed = '';
  const texts = new Map<blessed.Widgets.BoxElement, string>();
  const labels = new Map<blessed.Widgets.BoxElement, string>();
  const lastInputs = new Map<string, readonly unknown[]>();
  /** Panels whose text changed since the last draw. */
  const changed = new Set<blessed.Widgets.BoxElement>();
  /** Whether a dialog or the help was over the panels at the last draw (its place is drawn again when it goes). */
  let wasOverlaid = false;

  function place(element: blessed.Widgets.BoxElement, rect: Rect): void {
    element.left = rect.left;
    element.top = rect.top;
    element.width = rect.width;
    element.height = rect.height;
    element.hidden = rect.height < 3 || rect.width < 4;
  }

  /** What the loss chart follows: a call's voice while there is one, else the radio or a song over UDP. */
  function lossShown(state: PlayerState): { line: Span[]; history: number[]; label: string } | undefined {
    if (state.call?.state === 'active' && state.callStats) {
      const recent = state.callLoss.slice(-10);
      const loss = recent.length === 0 ? 0 : recent.reduce((sum, value) => sum + value, 0) / recent.length;
      return {
        line: [
          [`call with ${state.call.peer}: `],
          [`voice loss ${loss.toFixed(1)}%`, loss >= 1 ? 'red-fg' : 'green-fg'],
          ['   (the voice coming in; the call panel has both ways)'],
        ],
        history: state.callLoss,
        label: ` call loss ${loss.toFixed(1)}% `,
      };
    }
    const udp = state.udp;
    if (!udp) return undefined;
    const { received, lost, late, duplicate } = udp.totals;
    const jitter = udp.jitterMs === undefined ? '' : `   jitter ${udp.jitterMs.toFixed(1)} ms`;
    const source = udp.source === 'radio' ? 'radio' : 'songs over UDP';
    const line: Span[] = [
      [`${source}: `],
      [`loss ${udp.loss.toFixed(1)}%`, udp.loss >= 1 ? 'red-fg' : 'green-fg'],
      [
        ` (all ${lossPercent(udp.totals).toFixed(1)}%)${jitter}   recv ${received} lost ${lost} late ${late} dup ${duplicate}`,
      ],
    ];
    return { line, history: udp.history, label: ` loss ${udp.loss.toFixed(1)}% ` };
  }

  /** Whether the panels moved (a resize, the chart shown or hidden): then the whole screen is drawn. */
  function layout(withChart: boolean, coverRows: number): boolean {
    const next = computeLayout(screen.width as number, screen.height as number, withChart, coverRows);
    const key = JSON.stringify(next);
    if (key === placed) return false;
    placed = key;
    current = next;
    place(library, current.library);
    place(queue, current.queue);
    place(devices, current.devices);
    place(network, current.network);
    place(now, current.now);
    status.width = current.status.width;
    return true;
  }

  /**
   * A panel's label and text, set only when they differ from what it shows: blessed parses and
   * lays out text on every set, and the panels set are the ones drawn again.
   */
  function show(element: blessed.Widgets.BoxElement, text: string, title?: string): void {
    if (title !== undefined && labels.get(element) !== title) {
      labels.set(element, title);
      element.setLabel(title);
      changed.add(element);
    }
    if (texts.get(element) !== text) {
      texts.set(element, text);
      element.setContent(text);
      changed.add(element);
    }
  }

  /**
   * Whether `inputs` are the ones `part` was last built from, each compared by identity (the state
   * is replaced, never changed in place): most renders are the clock moving a second, and building
   * a panel's lines that did not change was a sixth of a playing player's CPU.
   */
  function unchanged(part: 'library' | 'queue', inputs: readonly unknown[]): boolean {
    const last = lastInputs.get(part);
    lastInputs.set(part, inputs);
    return last !== undefined && last.every((value, i) => value === inputs[i]);
  }

  function renderLibrary(state: PlayerState): void {
    const playingEtag = state.playState === 'Stopped' ? undefined : state.now?.song.etag;
    const inputs = [
      current.library,
      state.library,
      state.search,
      state.libraryView,
      state.expanded,
      state.selected,
      state.cached,
      playingEtag,
      state.focus,
      state.connection,
      state.catalog,
      state.catalogDemo,
      state.catalogScan,
      state.marks,
      state.libraryOrder,
    ];
    if (unchanged('library', inputs)) return;
    const rows = libraryRows(state);
    const inner = current.library.width - 2;
    const height = current.library.height - 2;
    const first = windowOf(rows.length, state.selected, height);
    // Columns: cursor and playing marks, name, album (when there is room), duration, cached mark.
    // One column spare after the mark: terminals differ on the width of ● and ◐.
    // The marks' column only once a song has a rating or is a favourite: until then the names have it.
    const marksWidth = inner >= 50 && anyMarked(state.marks) ? 7 : 0;
    const fixed = 2 + 1 + 6 + 2 + 1 + marksWidth;
    const albumWidth = inner >= 60 && state.libraryView === 'list' ? Math.floor((inner - fixed) * 0.35) : 0;
    const nameWidth = Math.max(1, inner - fixed - (albumWidth > 0 ? albumWidth + 1 : 0));
    const lines: string[] = [];
    for (let i = first; i < Math.min(rows.length, first + height); i++) {
      const row = rows[i] as LibraryRow;
      const cursor = i === state.selected ? '>' : ' ';
      let spans: Span[];
      if (row.kind !== 'song') {
        const indent = row.kind === 'album' ? '  ' : '';
        spans = [[`${cursor} ${indent}${row.open ? '▾' : '▸'} ${row.label}  (${row.songs.length})`]];
      } else {
        const song = row.song;
        const cached = state.cached.get(song.etag)?.size ?? 0;
        const mark = state.unplayable.has(song.format) ? '✗' : cached === 0 ? ' ' : cached >= song.blocks ? '●' : '◐';
        const playing = state.now?.song.etag === song.etag && state.playState !== 'Stopped' ? '▶' : ' ';
        const indent = ' '.repeat(row.depth * 2);
        const name = row.depth > 0 ? treeSongName(song) : songName(song);
        spans = [
          [`${cursor}${playing}${indent}`],
          ...markedSpans(name, row.match?.name ?? [], Math.max(1, nameWidth - indent.length), MATCH_STYLE),
        ];
        if (albumWidth > 0)
          spans.push([' '], ...markedSpans(song.album ?? '', row.match?.album ?? [], albumWidth, MATCH_STYLE));
        if (marksWidth > 0) spans.push([` ${marksColumn(marksOf(state, song))}`]);
        spans.push([` ${clock(song.duration).padStart(6)} ${mark}`]);
      }
      const line = styled(spans, inner);
      lines.push(i === state.selected ? `{inverse}${line}{/inverse}` : line);
    }
    if (rows.length === 0) {
      const why = state.search.query
        ? 'no match'
        : state.connection !== 'online'
          ? 'waiting for streamd...'
          : state.catalog !== 'ready'
            ? `streamd is ${state.catalogDemo ? demoText(state.catalogDemo) : state.catalogScan ? scanText(state.catalogScan) : 'reading its library'}...`
            : 'the library is empty';
      lines.push(` ${why}`);
    }
    const view =
      state.libraryView === 'tree'
        ? ', by artist'
        : state.libraryOrder !== 'path'
          ? `, ${ORDER_NAMES[state.libraryOrder]}`
          : '';
    const title =
      state.search.active || state.search.query
        ? `Library: /${state.search.query} (${rows.length})`
        : `Library (${state.libraryOrder !== 'path' && state.libraryView === 'list' ? rows.length : state.library.length}${view})`;
    show(library, lines.join('\n'), label(fit(title, Math.max(1, inner - 6)).trimEnd(), state.focus === 'library'));
  }

  function renderQueue(state: PlayerState): void {
    const driven = drivenQueueShown(state);
    if (driven) return renderDrivenQueue(state, driven);
    const playingEntry = state.playState === 'Stopped' ? undefined : state.now?.entry;
    if (unchanged('queue', [current.queue, state.queue, state.selectedEntry, state.focus, playingEntry])) return;
    const inner = current.queue.width - 2;
    const height = current.queue.height - 2;
    const entries = state.queue.entries;
    const focused = state.focus === 'queue';
    const first = windowOf(entries.length, state.selectedEntry, height);
    const lines: string[] = [];
    for (let i = first; i < Math.min(entries.length, first + height); i++) {
      const entry = entries[i] as (typeof entries)[number];
      const cursor = focused && i === state.selectedEntry ? '>' : ' ';
      const playing =
        state.now?.entry === entry.id && state.playState !== 'Stopped'
          ? '▶'
          : state.queue.place === entry.id
            ? '·'
            : ' ';
      const duration = ` ${clock(entry.song.duration).padStart(5)}`;
      const line = esc(
        fit(
          `${cursor}${playing}${fit(songName(entry.song), Math.max(1, inner - 2 - duration.length))}${duration}`,
          inner,
        ),
      );
      lines.push(focused && i === state.selectedEntry ? `{inverse}${line}{/inverse}` : line);
    }
    const shuffle = state.queue.shuffle ? ', shuffle' : '';
    const total = entries.reduce((sum, entry) => sum + entry.song.duration, 0);
    const length = entries.length > 0 ? `, ${clock(total)}` : '';
    show(
      queue,
      lines.join('\n') || esc(fit(' empty: a adds, A plays next', inner)),
      label(`Queue (${entries.length}${length}${shuffle})`, focused),
    );
  }

  /** The queue of the device driven, as it said it: its song playing marked, the keys acting on it. */
  function renderDrivenQueue(state: PlayerState, driven: DrivenQueue): void {
    const record = state.devices.find((device) => device.name === driven.device);
    const playingSong = record?.playback?.song;
    // The entry the device says plays (a song may be queued twice); an older player's: its song's entries.
    const playingAt = record?.queuePos;
    if (unchanged('queue', [current.queue, driven, state.selectedEntry, state.focus, playingSong, playingAt])) return;
    const inner = current.queue.width - 2;
    const height = current.queue.height - 2;
    const focused = state.focus === 'queue';
    const entries = driven.entries;
    const selected = Math.min(state.selectedEntry, Math.max(0, entries.length - 1));
    const first = windowOf(entries.length, selected, height);
    const lines: string[] = [];
    for (let i = first; i < Math.min(entries.length, first + height); i++) {
      const { file, song } = entries[i] as DrivenQueue['entries'][number];
      const cursor = focused && i === selected ? '>' : ' ';
      const plays = playingAt === undefined ? song !== undefined && song.id === playingSong : i === playingAt;
      const duration = song ? ` ${clock(song.duration).padStart(5)}` : '';
      const name = song ? songName(song) : `${file} (not in this library)`;
      const line = esc(
        fit(`${cursor}${plays ? '▶' : ' '}${fit(name, Math.max(1, inner - 2 - duration.length))}${duration}`, inner),
      );
      lines.push(focused && i === selected ? `{inverse}${line}{/inverse}` : line);
    }
    const total = entries.reduce((sum, entry) => sum + (entry.song?.duration ?? 0), 0);
    const missing = driven.missing > 0 ? `, ${driven.missing} not here` : '';
    show(
      queue,
      lines.join('\n') || esc(fit(' empty: a adds to it', inner)),
      label(
        `Queue on ${driven.device} (${entries.length}${entries.length > 0 ? `, ${clock(total)}` : ''}${missing})`,
        focused,
      ),
    );
  }

  function renderDevices(state: PlayerState): void {
    const inner = (devices.width as number) - 2;
    // The names' column as wide as the longest name, within 16 and two fifths of the panel.
    const nameWidth = Math.max(
      1,
      Math.min(16, Math.floor(inner * 0.4), Math.max(0, ...state.devices.map((device) => displayWidth(device.name)))),
    );
    const lines = state.devices.map((device, i) => {
      const mine = device.name === state.deviceName ? '*' : ' ';
      const cursor = state.focus === 'devices' && i === state.selectedDevice ? '>' : ' ';
      const follows = device.follows ? `→ ${device.follows}: ` : '';
      const text = `${cursor}${mine}${fit(device.name, nameWidth)} ${follows}${deviceActivityText(state, device.status)}`;
      const line = esc(fit(text, inner));
      return state.focus === 'devices' && i === state.selectedDevice ? `{inverse}${line}{/inverse}` : line;
    });
    const following = state.follow
      ? `, following ${state.follow.leader}`
      : state.control
        ? `, driving ${state.control}`
        : '';
    show(
      devices,
      lines.join('\n') || ' none',
      label(
        fit(`Devices (${state.devices.length}${following})`, Math.max(1, inner - 4)).trimEnd(),
        state.focus === 'devices',
      ),
    );
  }

  function renderNetwork(state: PlayerState, shown: ReturnType<typeof lossShown>): void {
    const inner = current.network.width - 2;
    const daemon: Span =
      state.connection === 'online'
        ? ['online', 'green-fg']
        : state.connection === 'offline'
          ? ['offline', 'red-fg']
          : state.connection === 'refused'
            ? ['password refused', 'red-fg']
            : ['connecting'];
    const lines = [
      styled([['streamd '], daemon, [`   download ${rate(state.downloadRate)}   audio ${state.audioOutput}`]], inner),
    ];
    if (shown) lines.push(styled(shown.line, inner));
    show(network, lines.join('\n'), ' Network ');
    // blessed-contrib's canvas needs room to draw; the layout gives the chart none when there is none.
    chart.layout(
      current.chart.top,
      current.chart.width,
      current.chart.height,
      shown !== undefined && current.chart.height > 0,
    );
    if (shown) chart.show(shown.history, shown.label);
  }

  /** The cover's cells when the song playing has one drawn, not over the radio. */
  function coverShown(state: PlayerState): CoverView['cells'] | undefined {
    const cover = state.cover;
    if (state.radio.on || !cover || cover.etag !== state.now?.song.etag || cover.cells.length === 0) return undefined;
    return cover.cells;
  }

  /** A row of the cover as blessed tags: each cell its character in its two colours. */
  function coverRow(cells: CoverView['cells'][number]): string {
    const hex = (rgb: number): string => `#${rgb.toString(16).padStart(6, '0')}`;
    return cells
      .map(([point, fg, bg]) => `{${hex(fg)}-fg}{${hex(bg)}-bg}${esc(String.fromCodePoint(point))}{/}`)
      .join('');
  }

  function renderNow(state: PlayerState): void {
    if (state.control) return renderDriven(state, state.control);
    const cover = coverShown(state);
    if (cover) return renderNowWithCover(state, cover);
    const inner = (now.width as number) - 2;
    const playing = state.now;
    const right = `loop: ${state.loop}${state.queue.shuffle ? '  shuffle' : ''}  vol ${state.volume}%`;
    if (state.radio.on) return renderRadio(state, inner, right);
    const title = playing ? `${state.playState}  ${songName(playing.song)}` : 'Stopped';
    const times = playing ? `${clock(playing.position)} / ${clock(playing.song.duration)}` : '0:00 / 0:00';
    const bar = playing
      ? progressBar(
          Math.max(4, inner - times.length - 2),
          playing.position,
          playing.song.duration,
          state.cached.get(playing.song.etag) ?? new Set(),
        )
      : '';
    show(
      now,
      [
        `{bold}${esc(fit(title, inner - right.length - 1))}{/bold} ${right}`,
        `${times}  ${bar}`,
        esc(fit(playing ? nowPlayingDetail(playing.song, marksOf(state, playing.song)) : '', inner)),
      ].join('\n'),
      ' Now playing ',
    );
  }

  /** Another device driven (D): what its record says it plays, its volume and queue. */
  function renderDriven(state: PlayerState, name: string): void {
    const inner = (now.width as number) - 2;
    const device = state.devices.find((d) => d.name === name);
    const right = `vol ${device?.volume ?? '?'}%  queue ${device?.queueLength ?? 0}`;
    show(
      now,
      [
        `{bold}${esc(fit(deviceActivityText(state, device?.status ?? 'idle'), Math.max(1, inner - right.length - 1)))}{/bold} ${esc(right)}`,
        esc(fit('the playback keys, a and Enter act on it; Esc: this device again', inner)),
        '',
      ].join('\n'),
      ` Now playing on ${name} `,
    );
  }

  /** Now playing with the cover on its left, the three lines beside it. */
  function renderNowWithCover(state: PlayerState, cover: CoverView['cells']): void {
    const playing = state.now as NonNullable<PlayerState['now']>;
    const cols = cover[0]?.length ?? 0;
    const inner = Math.max(8, (now.width as number) - 2 - cols - 1);
    const right = `loop: ${state.loop}${state.queue.shuffle ? '  shuffle' : ''}  vol ${state.volume}%`;
    const times = `${clock(playing.position)} / ${clock(playing.song.duration)}`;
    const bar = progressBar(
      Math.max(4, inner - times.length - 2),
      playing.position,
      playing.song.duration,
      state.cached.get(playing.song.etag) ?? new Set(),
    );
    const text = [
      `{bold}${esc(fit(`${state.playState}  ${songName(playing.song)}`, Math.max(1, inner - right.length - 1)))}{/bold} ${esc(right)}`,
      `${times}  ${bar}`,
      esc(fit(nowPlayingDetail(playing.song, marksOf(state, playing.song)), inner)),
    ];
    const lines = cover.map((cells, k) => `${coverRow(cells)} ${text[k] ?? ''}`);
    show(now, lines.join('\n'), ' Now playing ');
  }

  function renderRadio(state: PlayerState, inner: number, right: string): void {
    const { radio } = state;
    const info = radio.info;
    const name = info?.title ? (info.artist ? `${info.artist} - ${info.title}` : info.title) : (info?.file ?? '');
    const title = `Radio  ${radio.status === 'listening' ? name : radio.status}`;
    const duration = info?.duration ?? 0;
    const times = `${clock(radio.position)} / ${clock(duration)}`;
    const bar = progressBar(Math.max(4, inner - times.length - 2), radio.position, duration, new Set());
    const listeners = radio.listeners === undefined ? '' : `${radio.listeners} listening`;
    const third = radio.text ?? [info?.file, listeners].filter(Boolean).join('  ·  ');
    show(
      now,
      [
        `{bold}${esc(fit(title, inner - right.length - 1))}{/bold} ${right}`,
        `${times}  ${bar}`,
        esc(fit(third, inner)),
      ].join('\n'),
      ' Radio ',
    );
  }

  function renderStatus(state: PlayerState): void {
    const width = screen.width as number;
    if (state.search.active) show(status, esc(fit(`/${state.search.query}▏  Enter: keep match  Esc: cancel`, width)));
    else if (state.message)
      show(status, `${state.message.error ? '{red-fg}' : '{yellow-fg}'}${esc(fit(state.message.text, width))}{/}`);
    else
      show(
        status,
        esc(
          fit(
            'Enter play  Space pause  s stop  n/b next/prev  ←/→ seek  a queue  / search  v tree  R radio  Tab panels  ? help  q quit',
            width,
          ),
        ),
      );
  }

  /**
   * The keys, over the panels: as wide as they need up to the screen's width, the descriptions
   * wrapped under themselves, and scrolled (↑↓) when taller than the panels; now playing and the
   * status line stay in sight under it.
   */
  function renderHelp(state: PlayerState): void {
    help.hidden = !state.showHelp;
    if (!state.showHelp) return;
    const keyHelp = helpLines(state.bindings);
    const keysWidth = Math.max(...keyHelp.map(([keys]) => displayWidth(keys))) + 2;
    const width = Math.min(
      (screen.width as number) - 2,
      2 + 1 + keysWidth + Math.max(...keyHelp.map(([, what]) => displayWidth(what))) + 1,
    );
    const whatWidth = Math.max(8, width - 2 - 1 - keysWidth - 1);
    const lines = keyHelp.flatMap(([keys, what]) =>
      wrapWords(what, whatWidth).map(
        (part, i) => ` {bold}${esc(fit(i === 0 ? keys : '', keysWidth))}{/bold}${esc(fit(part, whatWidth))}`,
      ),
    );
    // Below the panels' top border, above now playing and the status line.
    const room = (screen.height as number) - NOW_ROWS - 2;
    const rows = Math.max(1, Math.min(lines.length, room - 2));
    const top = Math.min(state.helpTop, lines.length - rows);
    const more = rows < lines.length ? `; ↑↓ ${top + 1}-${top + rows} of ${lines.length}` : '';
    help.width = width;
    help.height = rows + 2;
    help.top = 1 + Math.max(0, Math.floor((room - rows - 2) / 2));
    show(help, lines.slice(top, top + rows).join('\n'), ` keys (? or Esc to close${more}) `);
    help.setFront();
  }

  /** The song-info view (`i`): every tag, the file, its format and bitrate, what of it is on disk. */
  function renderInfo(state: PlayerState): void {
    info.hidden = state.info === undefined;
    if (!state.info) return;
    const lines = songInfoLines(state, state.info);
    if (options.cacheDir) lines.push(['cache', options.cacheDir]);
    const labelWidth = Math.max(...lines.map(([label]) => displayWidth(label))) + 2;
    const width = Math.min(
      (screen.width as number) - 2,
      Math.max(40, 2 + 1 + labelWidth + Math.max(...lines.map(([, value]) => displayWidth(value))) + 1),
    );
    const valueWidth = Math.max(8, width - 2 - 1 - labelWidth - 1);
    const rows = lines.flatMap(([label, value]) =>
      wrapWords(value, valueWidth).map(
        (part, i) => ` {bold}${esc(fit(i === 0 ? label : '', labelWidth))}{/bold}${esc(fit(part, valueWidth))}`,
      ),
    );
    const shown = rows.slice(0, Math.max(1, (screen.height as number) - 4));
    info.width = width;
    info.height = shown.length + 2;
    show(info, shown.join('\n'));
    info.setFront();
  }

  /**
   * The lyrics of the song playing (`L`), over the panels, now playing left in sight: synced ones
   * keep the line being sung in the middle, marked; plain ones from the line scrolled to.
   */
  function renderLyrics(state: PlayerState): void {
    lyrics.hidden = !state.showLyrics;
    if (!state.showLyrics) return;
    const song = state.now?.song;
    const shown = song && state.lyrics?.songId === song.id ? state.lyrics : undefined;
    const width = Math.min((screen.width as number) - 2, 82);
    const inner = width - 4;
    const room = Math.max(1, (screen.height as number) - NOW_ROWS - 4);
    let lines: string[];
    let note: string;
    if (!song) [lines, note] = [[' nothing is playing'], ''];
    else if (!shown) [lines, note] = [[' …'], ''];
    else if (shown.status !== 'ready') [lines, note] = [[` ${shown.note}`], ''];
    else {
      const sung = shown.synced ? currentLyricLine(shown.lines, (state.now?.position ?? 0) * 1000) : -1;
      const first = shown.synced
        ? Math.max(0, Math.min(shown.lines.length - room, sung - Math.floor(room / 2)))
        : Math.min(state.lyricsTop, Math.max(0, shown.lines.length - room));
      lines = shown.lines.slice(first, first + room).map((line, k) => {
        const text = esc(fit(line.text, inner));
        return first + k === sung ? `{bold}{yellow-fg}▸ ${text}{/}` : `  ${text}`;
      });
      note = `${shown.synced ? 'synced' : 'plain'}, ${shown.note}`;
    }
    const title = fit(`Lyrics: ${song ? songName(song) : ''}${note ? ` (${note})` : ''}`, Math.max(8, width - 20));
    lyrics.width = width;
    lyrics.height = Math.min(room, lines.length) + 2;
    show(lyrics, lines.join('\n'), ` ${title.trimEnd()}  L or Esc closes `);
    lyrics.setFront();
  }

  /** The stored playlists (`P`), over the panels: the daemon's, the cursor's, and the name typed to save the queue as. */
  function renderPlaylists(state: PlayerState): void {
    const view = state.playlists;
    playlists.hidden = !view.open;
    if (!view.open) return;
    const width = Math.min((screen.width as number) - 2, 72);
    const inner = width - 2;
    const room = Math.max(1, (screen.height as number) - NOW_ROWS - 6);
    const first = windowOf(view.names.length, view.selected, room);
    const lines = view.names.slice(first, first + room).map((entry, k) => {
      const when = entry.modified.slice(0, 16).replace('T', ' ');
      const line = esc(fit(` ${fit(entry.name, Math.max(1, inner - when.length - 3))} ${when}`, inner));
      return first + k === view.selected ? `{inverse}${line}{/inverse}` : line;
    });
    if (lines.length === 0) lines.push(esc(fit(' none yet: S saves the queue as one', inner)));
    lines.push(
      view.naming !== undefined
        ? `{bold}${esc(fit(` save the queue as: ${view.naming}▏`, inner))}{/bold}`
        : esc(fit(' Enter load  a add  S save the queue  d delete  Esc close', inner)),
    );
    playlists.width = width;
    playlists.height = lines.length + 2;
    show(playlists, lines.join('\n'), ` Playlists (${view.names.length}) `);
    playlists.setFront();
  }

  /** The call, over the panels while it rings or runs: the dialog that answers it, or its line. */
  function renderCall(state: PlayerState): void {
    call.hidden = state.call === undefined;
    if (!state.call) return;
    // Its chart shows once the voice runs: loaded while it rings, not under the voice.
    loadLineChart();
    const text = callLine(state.call, Date.now());
    const voice =
      state.call.state === 'active' && state.callStats
        ? [voiceLine(state.callStats), voiceOutLine(state.callStats)]
        : [];
    const width = Math.min(
      (screen.width as number) - 2,
      Math.max(displayWidth(text), ...voice.map((line) => displayWidth(line))) + 4,
    );
    call.width = width;
    call.height = 3 + voice.length;
    const first = state.call.state === 'ringing' && state.call.incoming ? `{bold}${esc(text)}{/bold}` : esc(text);
    call.setContent([first, ...voice.map((line) => esc(fit(line, width - 4)))].join('\n'));
    call.setFront();
  }

  /** The cover the terminal draws itself as it is placed now (which, where, at which screen size), if any. */
  let placedCover: { key: string; image: CoverImage; top: number; left: number } | undefined;

  /** What takes the placed cover away: kitty deletes its image; sixel pixels go when their cells are written. */
  const unplaced = (placed: NonNullable<typeof placedCover>): string =>
    placed.image.kind === 'kitty'
      ? DELETE_COVER
      : `\x1b7${eraseCells(placed.top, placed.left, placed.image.cols, placed.image.rows)}\x1b8`;

  /**
   * The cover as the terminal's own picture (kitty's protocol, sixels), over the blank cells the
   * now-playing area keeps for it: placed when it or its place changes, taken away when it goes.
   * Written after blessed's output, the cursor put back where blessed left it. Blessed writes
   * only cells that change, and those stay blank, so sixel pixels are not written over.
   */
  function placeCover(state: PlayerState): void {
    const image = !state.control && coverShown(state) ? state.cover?.image : undefined;
    const top = (now.atop as number) + 1;
    const left = (now.aleft as number) + 1;
    // Each drawing is an image of its own (a new song's, or the same song's for a resized screen).
    const key = image ? `${top} ${left} ${screen.width}x${screen.height}` : undefined;
    if (key === placedCover?.key && image === placedCover?.image) return;
    const out = [placedCover ? unplaced(placedCover) : ''];
    if (image && key) {
      out.push(`\x1b7\x1b[${top + 1};${left + 1}H`, image.escape, '\x1b8');
      placedCover = { key, image, top, left };
    } else placedCover = undefined;
    screen.program.flush();
    screen.program.output.write(out.join(''));
  }

  return {
    render(state) {
      const shown = lossShown(state);
      const moved = layout(shown !== undefined, coverShown(state)?.length ?? 0);
      renderLibrary(state);
      renderQueue(state);
      renderDevices(state);
      renderNetwork(state, shown);
      renderNow(state);
      renderStatus(state);
      renderCall(state);
      renderHelp(state);
      renderInfo(state);
      renderLyrics(state);
      renderPlaylists(state);
      // Most renders are the clock moving a second: only the panels that changed are drawn (they
      // never overlap), unless something lies or lay over them (a dialog, the help) or they moved
      // (the layout), or the chart draws (its canvas is drawn by the screen's render).
      const overlaid = !call.hidden || !help.hidden || !info.hidden || !lyrics.hidden || !playlists.hidden;
      const alone = !moved && !overlaid && !wasOverlaid && shown === undefined;
      wasOverlaid = overlaid;
      if (alone) {
        for (const element of changed) {
          const coords = element.render() as { yi: number; yl: number } | undefined;
          if (coords) screen.draw(coords.yi, Math.min(coords.yl, screen.height as number) - 1);
        }
      } else screen.render();
      changed.clear();
      placeCover(state);
    },
    destroy() {
      if (placedCover) {
        screen.program.flush();
        screen.program.output.write(unplaced(placedCover));
      }
      screen.destroy();
    },
  };
}
