/**
 * The player's side of call signalling (PROTOCOL.md section 5): carries the state machine's call
 * effects out as requests on the control connection (`call`, `answer`, `hangup`), and says on the
 * status line what the daemon refused. The calls themselves come back through `idle calls`
 * (DaemonSync), never from these answers, so every screen shows the daemon's view.
 */
import { OfflineError, type DaemonClient, type Reply } from '../client/daemon-client.js';
import type { CallEffect } from '../state/calls.js';

export interface CallOutput {
  warn(text: string): void;
  log(text: string): void;
  bell(): void;
}

/** How long quitting waits for the daemon to take a hang-up. */
const HANGUP_WAIT_MS = 1000;

export class CallControl {
  private lastHangup: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly control: DaemonClient,
    private readonly out: CallOutput,
  ) {}

  run(effect: CallEffect): void {
    switch (effect.type) {
      case 'call-device':
        this.send(`call ${effect.device}`, this.control.request('call', effect.device));
        break;
      case 'answer':
        this.send('answer', this.control.request('answer', effect.id, effect.accept ? 'yes' : 'no'));
        break;
      case 'hangup':
        this.lastHangup = this.send('hangup', this.control.request('hangup', effect.id));
        break;
      case 'mute':
        this.out.log(effect.muted ? 'microphone muted' : 'microphone on');
        break;
      case 'bell':
        this.out.bell();
        break;
    }
  }

  /** Quitting: the hang-up sent last is answered (or HANGUP_WAIT_MS passes) before the connection goes. */
  settled(): Promise<void> {
    return Promise.race([this.lastHangup.then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, HANGUP_WAIT_MS).unref())]);
  }

  private send(what: string, request: Promise<Reply>): Promise<void> {
    return request.then(
      (reply) => {
        if (!reply.ok) this.out.warn(`streamd refused ${what}: ${reply.text || reply.code}`);
      },
      (error: Error) => this.out.warn(error instanceof OfflineError ? `${what}: not connected to streamd` : `${what}: ${error.message}`),
    );
  }
}
