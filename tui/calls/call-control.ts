/**
 * The player's side of call signalling (docs/protocol.md, Calls): carries the state machine's call
 * effects out as requests on the control connection (`call`, `answer`, `hangup`), and says on the
 * status line what the daemon refused. The calls themselves come back through `idle calls`
 * (DaemonSync), never from these answers, so every screen shows the daemon's view.
 */
import { openMicrophone } from './microphone.js';
import { prepareVoiceCodec } from '../audio/opus-codec.js';
import type { VoiceFrames } from '../audio/sink.js';
import { OfflineError, type DaemonClient, type Reply } from '../daemon-link/daemon-client.js';
import type { VoiceLink } from './voice-link.js';
import { VoiceCall, type VoiceStats } from './voice-call.js';
import type { CallEffect } from '../state/actions.js';
import type { CallView } from '../state/model.js';

export interface CallOutput {
  warn(text: string): void;
  log(text: string): void;
  bell(): void;
  /** The music is ducked, and the other side's voice played from its frames (playback's `setCall`/`setVoice`). */
  setCall(active: boolean): void;
  setVoice(frames: VoiceFrames | undefined): void;
}

/** The voice of calls: the UDP link to the daemon, and which microphone (none: one way only). */
export interface VoiceSetup {
  link: VoiceLink;
  mic: 'pulse' | 'alsa' | 'none';
}

/** How long quitting waits for the daemon to take a hang-up. */
const HANGUP_WAIT_MS = 1000;

export class CallControl {
  private lastHangup: Promise<unknown> = Promise.resolve();
  private voiceCall: VoiceCall | undefined;
  private voiceFor: number | undefined;
  private muted = false;

  constructor(
    private readonly control: DaemonClient,
    private readonly out: CallOutput,
    private readonly voice: VoiceSetup | undefined,
  ) {}

  /** The state's call, after every change: the voice starts when a call is answered and stops when it ends. */
  callChanged(call: CallView | undefined): void {
    // The codec is made ready while the call rings, not once it is answered.
    if (call && this.voice) void prepareVoiceCodec().catch(() => undefined); // said when the voice starts
    const active = call?.state === 'active' ? call : undefined;
    if (active?.id === this.voiceFor) return;
    this.stopVoice();
    if (!active) return;
    this.voiceFor = active.id;
    this.muted = active.muted;
    this.out.setCall(true);
    if (this.voice)
      void this.startVoice(this.voice, active).catch((error: Error) => this.out.warn(`call voice: ${error.message}`));
  }

  voiceStats(): VoiceStats | undefined {
    return this.voiceCall?.stats();
  }

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
        this.muted = effect.muted;
        this.voiceCall?.setMuted(effect.muted);
        this.out.log(effect.muted ? 'microphone muted' : 'microphone on');
        break;
      case 'bell':
        this.out.bell();
        break;
    }
  }

  private async startVoice(setup: VoiceSetup, call: CallView): Promise<void> {
    const id = call.id;
    const voiceCall = await VoiceCall.start(setup.link, id, call.token);
    if (this.voiceFor !== id) return voiceCall.stop(); // the call ended while the codec loaded
    this.voiceCall = voiceCall;
    voiceCall.setMuted(this.muted);
    // The microphone first: starting its process holds the event loop up (20-150 ms here), which
    // the voice's short stream, once playing, would hear as a gap.
    if (setup.mic !== 'none')
      voiceCall.setInput(
        openMicrophone(setup.mic, voiceCall.takeFrame, (text) => this.out.warn(`${text}: they do not hear you`)),
      );
    this.out.setVoice(voiceCall);
    if (setup.mic === 'none') this.out.warn(`in call with ${call.peer}: no microphone (--mic), they do not hear you`);
  }

  private stopVoice(): void {
    if (this.voiceFor === undefined) return;
    this.voiceFor = undefined;
    if (this.voiceCall) this.out.setVoice(undefined);
    this.voiceCall?.stop();
    this.voiceCall = undefined;
    this.out.setCall(false);
  }

  /** Quitting: the hang-up sent last is answered (or HANGUP_WAIT_MS passes) before the connection goes. */
  settled(): Promise<void> {
    this.stopVoice();
    return Promise.race([
      this.lastHangup.then(() => undefined),
      new Promise<void>((resolve) => setTimeout(resolve, HANGUP_WAIT_MS).unref()),
    ]);
  }

  private send(what: string, request: Promise<Reply>): Promise<void> {
    return request.then(
      (reply) => {
        if (!reply.ok) this.out.warn(`streamd refused ${what}: ${reply.text || reply.code}`);
      },
      (error: Error) =>
        this.out.warn(
          error instanceof OfflineError ? `${what}: not connected to streamd` : `${what}: ${error.message}`,
        ),
    );
  }
}
