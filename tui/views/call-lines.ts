/**
 * A call on screen: the call line, and the voice lines under it (Mumble shows good / late / lost
 * the same way).
 */
import type { CallStats, CallView } from '../state/model.js';

/**
 * The voice line under the call line (Mumble shows good / late / lost the same way):
 * `voice in: 1520 recv, 12 lost (0.8%, 9 by FEC), 3 late  jitter 2.1 ms  buffer 40 ms  mic ▮▮▮▯▯`.
 */
export function voiceLine(stats: CallStats): string {
  // The network's loss: of all the frames sent, those that never came (the late ones did come).
  const sent = stats.received + stats.lost + stats.late;
  const share = sent === 0 ? 0 : (100 * stats.lost) / sent;
  const bars = Math.min(5, Math.round(stats.micLevel * 15));
  const corrupt = stats.corrupt ? `, ${stats.corrupt} corrupt` : '';
  return `voice in: ${stats.received} recv, ${stats.lost} lost (${share.toFixed(1)}%, ${stats.recovered} by FEC), ${stats.late} late${corrupt}  jitter ${stats.jitterMs.toFixed(1)} ms  buffer ${Math.round(stats.depthMs)} ms  mic ${'▮'.repeat(bars)}${'▯'.repeat(5 - bars)}`;
}

/**
 * The other direction, from the other side's reports:
 * `voice out: 1490 recv, 10 lost (0.7%), 2 late  jitter 1.2 ms  round trip 42 ms`.
 */
export function voiceOutLine(stats: CallStats): string {
  const out = stats.outgoing;
  const trip = stats.roundTripMs === undefined ? '' : `  round trip ${Math.round(stats.roundTripMs)} ms`;
  if (!out) return `voice out: no report from the other side yet${trip}`;
  const sent = out.received + out.lost + out.late;
  const share = sent === 0 ? 0 : (100 * out.lost) / sent;
  return `voice out: ${out.received} recv, ${out.lost} lost (${share.toFixed(1)}%), ${out.late} late  jitter ${out.jitterMs.toFixed(1)} ms${trip}`;
}

/** The call line: `calling bob... (h or Esc cancels)`, `bob is calling: y accept, n reject`, `in call with bob 1:05`. */
export function callLine(call: CallView, now: number): string {
  if (call.state === 'ringing')
    return call.incoming ? `${call.peer} is calling: y accept, n reject` : `calling ${call.peer}... (h or Esc cancels)`;
  const seconds = Math.max(0, Math.floor((now - call.since) / 1000));
  const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  return `in call with ${call.peer} ${clock}${call.muted ? ' (muted)' : ''}  h hang up, m mute`;
}
