/**
 * streamtui as an MPRIS MediaPlayer2 on the session D-Bus (org.mpris.MediaPlayer2.streamtui), so
 * that playerctl, desktop media keys and panels drive it and show what it plays. Methods become
 * the player's own actions (the state machine decides, as for a key); properties are read from
 * its state, and PropertiesChanged is sent when they change. dbus-next: pure JS, no native addon.
 * No session bus: a line in the log, and the player runs without it.
 */
import dbus from 'dbus-next';
import type { SongInfo } from '../../common/protocol/records.js';
import type { LoopMode, PlayerState } from '../state/model.js';
import type { Action } from '../state/actions.js';

const { Interface } = dbus.interface;
const Variant = dbus.Variant;

export const MPRIS_NAME = 'org.mpris.MediaPlayer2.streamtui';
const OBJECT_PATH = '/org/mpris/MediaPlayer2';
const NO_TRACK = '/org/mpris/MediaPlayer2/TrackList/NoTrack';
/** requestName's flag: fail at once when the name is taken, do not queue for it. */
const DO_NOT_QUEUE = 4;
const PRIMARY_OWNER = 1;

const LOOP_TO_MPRIS: Record<LoopMode, string> = { off: 'None', one: 'Track', all: 'Playlist' };
const MPRIS_TO_LOOP: Record<string, LoopMode> = { None: 'off', Track: 'one', Playlist: 'all' };

/** What MPRIS sees of the player and how it acts on it. */
export interface MprisControl {
  state(): PlayerState;
  /** Seconds into the song, as far as played. */
  position(): number;
  dispatch(action: Action): void;
}

export const trackId = (song: SongInfo): string => `/org/streamtui/song/${song.id}`;
const micros = (seconds: number): bigint => BigInt(Math.round(seconds * 1e6));

/** The Metadata map of `state`'s song (a{sv}). */
export function metadataOf(state: PlayerState): Record<string, InstanceType<typeof Variant>> {
  const song = state.now?.song;
  if (!song) return { 'mpris:trackid': new Variant('o', NO_TRACK) };
  const meta: Record<string, InstanceType<typeof Variant>> = {
    'mpris:trackid': new Variant('o', trackId(song)),
    'mpris:length': new Variant('x', micros(song.duration)),
    'xesam:title': new Variant('s', song.title ?? song.file.split('/').pop() ?? song.file),
    'xesam:url': new Variant('s', song.file),
  };
  if (song.artist) meta['xesam:artist'] = new Variant('as', [song.artist]);
  if (song.album) meta['xesam:album'] = new Variant('s', song.album);
  if (song.track !== undefined) meta['xesam:trackNumber'] = new Variant('i', song.track);
  return meta;
}

const playbackStatus = (state: PlayerState): string => (state.radio.on ? 'Playing' : state.playState);

/** The Player properties that follow the state (Position is read when asked, and signalled by Seeked). */
function playerProperties(state: PlayerState): Record<string, unknown> {
  return {
    PlaybackStatus: playbackStatus(state),
    LoopStatus: LOOP_TO_MPRIS[state.loop],
    Shuffle: state.queue.shuffle,
    Volume: state.volume / 100,
    Metadata: metadataOf(state),
  };
}

class RootInterface extends Interface {
  constructor(private readonly control: MprisControl) {
    super('org.mpris.MediaPlayer2');
  }
  get CanQuit(): boolean {
    return true;
  }
  get CanRaise(): boolean {
    return false;
  }
  get HasTrackList(): boolean {
    return false;
  }
  get Identity(): string {
    return 'streamtui';
  }
  get SupportedUriSchemes(): string[] {
    return [];
  }
  get SupportedMimeTypes(): string[] {
    return [];
  }
  Raise(): void {}
  Quit(): void {
    this.control.dispatch({ type: 'quit' });
  }
}
RootInterface.configureMembers({
  properties: Object.fromEntries(
    [
      ['CanQuit', 'b'],
      ['CanRaise', 'b'],
      ['HasTrackList', 'b'],
      ['Identity', 's'],
      ['SupportedUriSchemes', 'as'],
      ['SupportedMimeTypes', 'as'],
    ].map(([name, signature]) => [name, { signature: signature as string, access: 'read' as const }]),
  ),
  methods: { Raise: {}, Quit: {} },
});

class PlayerInterface extends Interface {
  constructor(private readonly control: MprisControl) {
    super('org.mpris.MediaPlayer2.Player');
  }
  private get state(): PlayerState {
    return this.control.state();
  }
  get PlaybackStatus(): string {
    return playbackStatus(this.state);
  }
  get LoopStatus(): string {
    return LOOP_TO_MPRIS[this.state.loop];
  }
  set LoopStatus(value: string) {
    const loop = MPRIS_TO_LOOP[value];
    if (loop) this.control.dispatch({ type: 'set-loop', loop });
  }
  get Rate(): number {
    return 1;
  }
  set Rate(_value: number) {} // one rate only: MinimumRate = MaximumRate = 1
  get MinimumRate(): number {
    return 1;
  }
  get MaximumRate(): number {
    return 1;
  }
  get Shuffle(): boolean {
    return this.state.queue.shuffle;
  }
  set Shuffle(on: boolean) {
    this.control.dispatch({ type: 'set-shuffle', on });
  }
  get Metadata(): Record<string, InstanceType<typeof Variant>> {
    return metadataOf(this.state);
  }
  get Volume(): number {
    return this.state.volume / 100;
  }
  set Volume(volume: number) {
    this.control.dispatch({ type: 'set-volume', volume: Math.max(0, volume) * 100 });
  }
  get Position(): bigint {
    return micros(this.control.position());
  }
  get CanGoNext(): boolean {
    return true;
  }
  get CanGoPrevious(): boolean {
    return true;
  }
  get CanPlay(): boolean {
    return true;
  }
  get CanPause(): boolean {
    return true;
  }
  get CanSeek(): boolean {
    return this.state.now !== undefined && !this.state.radio.on;
  }
  get CanControl(): boolean {
    return true;
  }
  Next(): void {
    this.control.dispatch({ type: 'next' });
  }
  Previous(): void {
    this.control.dispatch({ type: 'previous' });
  }
  Pause(): void {
    this.control.dispatch({ type: 'pause' });
  }
  PlayPause(): void {
    this.control.dispatch({ type: 'toggle-pause' });
  }
  Stop(): void {
    this.control.dispatch({ type: 'stop' });
  }
  Play(): void {
    this.control.dispatch({ type: 'play' });
  }
  Seek(offset: bigint): void {
    this.control.dispatch({ type: 'seek', by: Number(offset) / 1e6 });
  }
  SetPosition(track: string, position: bigint): void {
    const song = this.state.now?.song;
    // The spec: a position for another track (a stale one) is ignored, as is one past the end.
    if (!song || track !== trackId(song) || position < 0n || Number(position) / 1e6 > song.duration) return;
    this.control.dispatch({ type: 'seek-to', at: Number(position) / 1e6 });
  }
  OpenUri(_uri: string): void {} // no URIs: SupportedUriSchemes is empty
  Seeked(position: bigint): bigint {
    return position;
  }
}
PlayerInterface.configureMembers({
  properties: {
    PlaybackStatus: { signature: 's', access: 'read' },
    LoopStatus: { signature: 's', access: 'readwrite' },
    Rate: { signature: 'd', access: 'readwrite' },
    MinimumRate: { signature: 'd', access: 'read' },
    MaximumRate: { signature: 'd', access: 'read' },
    Shuffle: { signature: 'b', access: 'readwrite' },
    Metadata: { signature: 'a{sv}', access: 'read' },
    Volume: { signature: 'd', access: 'readwrite' },
    Position: { signature: 'x', access: 'read' },
    CanGoNext: { signature: 'b', access: 'read' },
    CanGoPrevious: { signature: 'b', access: 'read' },
    CanPlay: { signature: 'b', access: 'read' },
    CanPause: { signature: 'b', access: 'read' },
    CanSeek: { signature: 'b', access: 'read' },
    CanControl: { signature: 'b', access: 'read' },
  },
  methods: {
    Next: {},
    Previous: {},
    Pause: {},
    PlayPause: {},
    Stop: {},
    Play: {},
    Seek: { inSignature: 'x' },
    SetPosition: { inSignature: 'ox' },
    OpenUri: { inSignature: 's' },
  },
  signals: { Seeked: { signature: 'x' } },
});

export class Mpris {
  private last: Record<string, unknown>;

  private constructor(
    private readonly bus: dbus.MessageBus,
    private readonly player: PlayerInterface,
    control: MprisControl,
    readonly name: string,
  ) {
    this.last = playerProperties(control.state());
  }

  /**
   * On the session bus as org.mpris.MediaPlayer2.streamtui (or `.instance<pid>` when another
   * streamtui has that name, as the spec allows). undefined, said in one line, when the bus does not answer.
   */
  static async start(control: MprisControl, log: (text: string) => void): Promise<Mpris | undefined> {
    let bus: dbus.MessageBus | undefined;
    try {
      bus = dbus.sessionBus();
      let said = false;
      bus.on('error', (error: Error) => {
        if (!said) log(`MPRIS: the session D-Bus failed: ${error.message}`);
        said = true;
      });
      const player = new PlayerInterface(control);
      bus.export(OBJECT_PATH, new RootInterface(control));
      bus.export(OBJECT_PATH, player);
      let name = MPRIS_NAME;
      if ((await bus.requestName(name, DO_NOT_QUEUE)) !== PRIMARY_OWNER) {
        name = `${MPRIS_NAME}.instance${process.pid}`;
        await bus.requestName(name, DO_NOT_QUEUE);
      }
      return new Mpris(bus, player, control, name);
    } catch (error) {
      log(`MPRIS off: the session D-Bus did not answer (${(error as Error).message})`);
      bus?.disconnect();
      return undefined;
    }
  }

  /** The state changed: PropertiesChanged with what MPRIS shows that changed. */
  update(state: PlayerState): void {
    const now = playerProperties(state);
    const changed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(now)) {
      if (JSON.stringify(value, bigintJson) !== JSON.stringify(this.last[key], bigintJson)) changed[key] = value;
    }
    this.last = now;
    if (Object.keys(changed).length > 0) Interface.emitPropertiesChanged(this.player, changed, []);
  }

  /** Playback jumped (a seek): MPRIS clients hear Seeked, since Position is never signalled. */
  seeked(at: number): void {
    this.player.Seeked(micros(at));
  }

  close(): void {
    this.bus.disconnect();
  }
}

const bigintJson = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);
