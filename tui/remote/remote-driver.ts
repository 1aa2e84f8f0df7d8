/**
 * Driving another device (docs/protocol.md, Remote control): the state machine's remote effects
 * carried out as `remote` requests on the control connection. A seek by some seconds is placed
 * from where the device's record says it is now (its playback record and the daemon's clock); a
 * song list longer than one command line takes is sent as a `play` or `add` and more `add`s. What the
 * device then does comes back in its record (`idle devices`); a refusal is said on the status line.
 * The queue a driven device says (`att queue`) is fetched for the queue panel when its record says it moved.
 */
import { positionAt } from '../../common/protocol/playback.js';
import type { DeviceInfo } from '../../common/protocol/records.js';
import { remoteWords, songRuns, type RemoteCommand } from '../../common/protocol/remote.js';
import { OfflineError, type DaemonClient } from '../daemon-link/daemon-client.js';
import type { ControlEffect } from '../state/actions.js';

export interface RemoteDriverOutput {
  warn(text: string): void;
  /** The devices as last listed. */
  devices(): readonly DeviceInfo[];
  /** The daemon's clock now (ms), when known. */
  daemonNow(): number | undefined;
  /** The queue a device said (`queue <device>`), as the catalog's paths. */
  queue(device: string, version: number, files: string[]): void;
}

export class RemoteDriver {
  constructor(
    private readonly control: DaemonClient,
    private readonly out: RemoteDriverOutput,
  ) {}

  run(effect: Extract<ControlEffect, { type: 'remote' | 'remote-seek-by' }>): void {
    if (effect.type === 'remote-seek-by') {
      const seconds = Math.max(0, this.positionOf(effect.device) + effect.by);
      this.send(effect.device, { action: 'seek', seconds: Math.round(seconds * 1000) / 1000 });
      return;
    }
    const { device, command } = effect;
    if (command.action !== 'play' && command.action !== 'add') {
      this.send(device, command);
      return;
    }
    for (const [n, songs] of songRuns(command.songs, ['remote', device, command.action]).entries())
      this.send(device, { action: n === 0 ? command.action : 'add', songs });
  }

  /** Asks for the queue `device` said last; it comes to `queue`, or a failure is said. */
  fetchQueue(device: string): void {
    this.control.request('queue', device).then(
      (reply) => {
        if (!reply.ok) return this.out.warn(`${device}'s queue: ${reply.text}`);
        const version = Number(reply.fields.find(([key]) => key === 'queue_version')?.[1] ?? 0);
        const files = reply.fields.filter(([key]) => key === 'file').map(([, file]) => file);
        this.out.queue(device, version, files);
      },
      (error: Error) => {
        if (!(error instanceof OfflineError)) this.out.warn(`${device}'s queue: ${error.message}`);
      },
    );
  }

  /** Where the device is in its song, seconds: its playback record placed at the daemon's clock now, else its status line's clock. */
  private positionOf(name: string): number {
    const device = this.out.devices().find((d) => d.name === name);
    const now = this.out.daemonNow();
    if (device?.playback && now !== undefined) return positionAt(device.playback, now) / 1000;
    const [, minutes, seconds] = /(\d+):(\d\d)\/\d+:\d\d$/.exec(device?.status ?? '') ?? [];
    return minutes === undefined ? 0 : Number(minutes) * 60 + Number(seconds);
  }

  private send(device: string, command: RemoteCommand): void {
    // Sent in order on the one connection: the device gets them in the order the keys were pressed.
    this.control.request('remote', device, ...remoteWords(command)).then(
      (reply) => {
        if (!reply.ok) this.out.warn(`${device} did not take ${command.action}: ${reply.text}`);
      },
      (error: Error) => {
        if (!(error instanceof OfflineError)) this.out.warn(`remote ${command.action} to ${device}: ${error.message}`);
        else this.out.warn(`streamd is away: ${device} was not told to ${command.action}`);
      },
    );
  }
}
