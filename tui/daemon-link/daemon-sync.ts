/**
 * Keeps what the player shows of the daemon in step with it, by push (docs/protocol.md, Push events): a
 * connection of its own loops on `idle devices catalog radio sticker stored_playlist` (and `remote` when the
 * player takes remote control, `calls` when it takes calls), and each change is fetched on the control connection (`lista dispositivos`, `stats`
 * then `lista`, `radio`, `stickers`, `calls`). Nothing is polled.
 * Also sends this device's status when it changes. Failures are told, never swallowed; a refused
 * answer keeps the last good data.
 */
import {
  parseCallList,
  parseCatalogStats,
  parseChanged,
  parseDeviceList,
  parseRadioReply,
  parsePlaylistList,
  parseSongList,
  parseStickerList,
  ReplyFormatError,
  type CallRecord,
  type ScanProgress,
} from '../../common/protocol/replies.js';
import type { DeviceInfo, SongInfo } from '../../common/protocol/records.js';
import {
  formatPlayerReport,
  parseRemotes,
  songRuns,
  type PlayerReport,
  type RemoteDelivery,
} from '../../common/protocol/remote.js';
import type { IdleTopic } from '../../common/protocol/topics.js';
import { OfflineError, type DaemonClient, type Reply } from './daemon-client.js';

export interface SyncListener {
  library(songs: SongInfo[]): void;
  /** Every song's stickers (ratings, favourites, play counts), by song id. */
  stickers(stickers: Map<number, Record<string, string>>): void;
  /** The daemon's stored playlists, at start and whenever one is made, changed or deleted. */
  playlists(names: Array<{ name: string; modified: string }>): void;
  /** The catalog's state, and while the daemon scans its library how far it is (told once a second). */
  catalogState(state: string, scan: ScanProgress | undefined, demo: ScanProgress | undefined): void;
  devices(devices: DeviceInfo[]): void;
  radioListeners(count: number): void;
  /** Commands other devices sent this one (`remotes`), when it takes remote control: then `idle` watches them too. */
  remote?: ((deliveries: RemoteDelivery[]) => void) | undefined;
  /** This device's calls (`calls`), when the player takes calls: then `idle` watches them too. */
  calls?: ((records: CallRecord[]) => void) | undefined;
  /** Something went wrong that the person should know (status line). */
  warning(text: string): void;
  /** For the log only. */
  debug(text: string): void;
}

/** Topics newer daemons have: an older one refuses an `idle` that names them. */
const LATER_TOPICS: ReadonlySet<IdleTopic> = new Set<IdleTopic>(['sticker', 'stored_playlist', 'remote']);

export class DaemonSync {
  private watched: readonly IdleTopic[];
  private catalogVersion = '';
  private lastStatus = '';
  private lastPlayer = '';
  /** What this device last said of itself, said again to a new connection. */
  private playerReport: PlayerReport | undefined;
  /** The daemon refused `att player pos` (older than it). */
  private posRefused = false;
  /** The queue to say (`att queue`), what the daemon has been told of it, and whether it knows the command. */
  private queueWanted: readonly string[] | undefined;
  private queueSaid: readonly string[] | undefined;
  private queueRefused = false;
  private watching = false;
  private closed = false;
  /** A refusal for want of the password is said once per connection, not once per request. */
  private permissionSaid = false;

  /**
   * @param control  requests and the status (the connection the player's commands go on)
   * @param events   the `idle` loop alone, so that a wait never holds up a request
   * @param radioWanted whether the radio's listener count is worth a request (the player listens)
   */
  constructor(
    private readonly control: DaemonClient,
    private readonly events: DaemonClient,
    private readonly out: SyncListener,
    private readonly radioWanted: () => boolean,
    private readonly hasPassword: boolean,
  ) {
    this.watched = [
      ...(['devices', 'catalog', 'radio', 'sticker', 'stored_playlist'] as const),
      ...(out.remote ? (['remote'] as const) : []),
      ...(out.calls ? (['calls'] as const) : []),
    ];
    control.on('online', this.onControlOnline);
    events.on('online', this.onEventsOnline);
  }

  /** `att status <text>`, when it says something new (or `force`: a periodic refresh of the position). */
  publishStatus(text: string, force = false): void {
    if ((text === this.lastStatus && !force) || !this.control.online) return;
    this.lastStatus = text;
    this.request(
      'att status',
      () => this.control.setStatus(text),
      () => {},
    );
  }

  /**
   * `att player` (volume, queue length, whether it takes remote control, the entry playing), when it
   * says something new; said again after a reconnect. A daemon older than `pos` refuses the whole
   * line: it is said again without it, and `pos` no more on that connection.
   */
  publishPlayer(report: PlayerReport): void {
    this.playerReport = report;
    const words = formatPlayerReport(this.posRefused ? { ...report, queuePos: undefined } : report);
    const text = words.join(' ');
    if (text === this.lastPlayer || words.length === 0) return;
    this.lastPlayer = text;
    if (!this.control.online) return;
    const send = async (): Promise<Reply> => {
      const reply = await this.control.request('att player', ...words);
      if (reply.ok || reply.code !== 'bad_argument' || report.queuePos === undefined || this.posRefused) return reply;
      this.posRefused = true;
      const without = formatPlayerReport({ ...report, queuePos: undefined });
      this.lastPlayer = without.join(' ');
      return this.control.request('att player', ...without);
    };
    this.request('att player', send, () => {});
  }

  /**
   * `att queue`: this device's queue (the catalog's paths) for the devices that drive it, said from
   * the first entry that differs from what was said last, in lines that fit (songRuns); all of it
   * again after a reconnect, or after a line was refused.
   */
  publishQueue(files: readonly string[]): void {
    this.queueWanted = files;
    if (!this.control.online || this.queueRefused) return;
    const said = this.queueSaid;
    let offset = 0;
    if (said) {
      const common = Math.min(said.length, files.length);
      while (offset < common && said[offset] === files[offset]) offset++;
      if (offset === files.length && offset === said.length) return;
    }
    this.queueSaid = files;
    // The widest offset a queue may have: a later line's offset is longer than the first's.
    const runs = songRuns(files.slice(offset), ['att', 'queue', '0000000']);
    if (runs.length === 0) runs.push([]); // the queue ends at `offset`
    for (const run of runs) {
      const at = offset;
      offset += run.length;
      this.control.request('att queue', String(at), ...run).then(
        (reply) => {
          if (reply.ok) return;
          this.queueSaid = undefined;
          if (reply.code === 'unknown_command') this.queueRefused = true; // an older daemon
          this.out.debug(`streamd refused att queue: ${reply.text}`);
        },
        (error: Error) => {
          this.queueSaid = undefined;
          this.out.debug(`att queue: ${error.message}`);
        },
      );
    }
  }

  close(): void {
    this.closed = true;
    this.control.off('online', this.onControlOnline);
    this.events.off('online', this.onEventsOnline);
  }

  private readonly onControlOnline = (): void => {
    this.permissionSaid = false;
    this.catalogVersion = '';
    this.lastStatus = '';
    // What this device said of itself is the new connection's to say again (a daemon restarted forgot it).
    this.lastPlayer = '';
    this.posRefused = false; // perhaps a newer daemon
    if (this.playerReport) this.publishPlayer(this.playerReport);
    this.queueSaid = undefined;
    this.queueRefused = false;
    if (this.queueWanted) this.publishQueue(this.queueWanted);
    this.refresh(this.watched);
  };

  /** Changes made while the events connection was down were not seen: fetch everything once. */
  private readonly onEventsOnline = (): void => {
    this.refresh(this.watched);
    void this.watch();
  };

  private async watch(): Promise<void> {
    if (this.watching) return;
    this.watching = true;
    try {
      while (!this.closed && this.events.online) {
        const reply = await this.events.request('idle', ...this.watched);
        if (!reply.ok && reply.code === 'bad_argument' && this.watched.some((topic) => LATER_TOPICS.has(topic))) {
          // A daemon older than these topics: the rest are watched, and what they would tell is not.
          this.watched = this.watched.filter((topic) => !LATER_TOPICS.has(topic));
          this.out.debug(`streamd does not know every idle topic (${reply.text}): watching ${this.watched.join(' ')}`);
          continue;
        }
        if (!reply.ok) {
          if (reply.code === 'permission') this.refusedForPassword();
          else
            this.out.warning(`streamd: idle refused (${reply.text}): the devices and library will not follow changes`);
          return;
        }
        this.refresh(parseChanged(reply.fields));
      }
    } catch (error) {
      if (!(error instanceof OfflineError)) this.out.warning(`streamd events: ${(error as Error).message}`);
    } finally {
      this.watching = false;
    }
  }

  private refresh(topics: readonly IdleTopic[]): void {
    if (!this.control.online) return;
    for (const topic of topics) {
      if (topic === 'devices')
        this.request(
          'lista dispositivos',
          () => this.control.request('lista dispositivos'),
          (fields) => this.out.devices(parseDeviceList(fields)),
        );
      if (topic === 'catalog')
        this.request(
          'stats',
          () => this.control.request('stats'),
          (fields) => this.onStats(fields),
        );
      if (topic === 'stored_playlist')
        this.request(
          'listplaylists',
          () => this.control.request('listplaylists'),
          (fields) => this.out.playlists(parsePlaylistList(fields)),
        );
      if (topic === 'sticker')
        this.request(
          'stickers',
          () => this.control.request('stickers'),
          (fields) => this.out.stickers(parseStickerList(fields)),
        );
      if (topic === 'radio' && this.radioWanted()) {
        this.request(
          'radio',
          () => this.control.request('radio'),
          (fields) => this.out.radioListeners(parseRadioReply(fields).listeners),
        );
      }
      const remote = this.out.remote?.bind(this.out);
      if (topic === 'remote' && remote)
        this.request(
          'remotes',
          () => this.control.request('remotes'),
          (fields) => {
            const deliveries: RemoteDelivery[] = [];
            for (const parsed of parseRemotes(fields))
              if (typeof parsed === 'string') this.out.warning(`skipped: ${parsed}`);
              else deliveries.push(parsed);
            if (deliveries.length > 0) remote(deliveries);
          },
        );
      const calls = this.out.calls?.bind(this.out);
      if (topic === 'calls' && calls)
        this.request(
          'calls',
          () => this.control.request('calls'),
          (fields) => calls(parseCallList(fields)),
        );
    }
  }

  private onStats(fields: Reply['fields']): void {
    const stats = parseCatalogStats(fields);
    this.out.catalogState(stats.state, stats.scan, stats.demo);
    if (stats.version === this.catalogVersion) return;
    this.request(
      'lista',
      () => this.control.request('lista'),
      (songs) => {
        this.out.library(parseSongList(songs));
        this.catalogVersion = stats.version;
      },
    );
  }

  /** One request: its answer to `use`, a refusal or a failure to the status line (offline is shown already). */
  private request(what: string, send: () => Promise<Reply>, use: (fields: Reply['fields']) => void): void {
    send().then(
      (reply) => {
        if (reply.ok) return this.use(what, reply, use);
        // A daemon older than the command (stickers, playlists): nothing to show of it.
        if (reply.code === 'unknown_command') return this.out.debug(`streamd has no ${what}: ${reply.text}`);
        if (reply.code !== 'permission') return this.out.warning(`streamd refused ${what}: ${reply.text}`);
        this.refusedForPassword();
      },
      (error: Error) => {
        if (error instanceof OfflineError) this.out.debug(`${what}: ${error.message}`);
        else this.out.warning(`${what}: ${error.message}`);
      },
    );
  }

  /** The last good library and devices stay on screen; the status line says why nothing new comes. */
  private refusedForPassword(): void {
    if (this.permissionSaid) return;
    this.permissionSaid = true;
    this.out.warning(
      this.hasPassword
        ? 'streamd refused the password (--password): showing what it sent last'
        : 'streamd has a password: give it with --password',
    );
  }

  private use(what: string, reply: Reply, use: (fields: Reply['fields']) => void): void {
    try {
      use(reply.fields);
    } catch (error) {
      if (!(error instanceof ReplyFormatError)) throw error;
      this.out.warning(`streamd's answer to ${what} does not read: ${error.message}`);
    }
  }
}
