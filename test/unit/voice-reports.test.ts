/** A call's receiver reports: the round trip from echoes, the other side's figures, the encoder's loss. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeVoiceReport, encodeVoiceReport } from '../../common/datagram/voice-report.js';
import { VoiceReports } from '../../tui/calls/voice-reports.js';

const counts = (received: number, lost: number, late = 0) => ({
  received,
  lost,
  late,
  recovered: 0,
  duplicate: 0,
  corrupt: 0,
});

describe('VoiceReports', () => {
  it('measures the round trip from the other side echoing this side’s report, whatever the two clocks say', () => {
    // alice's clock reads 10,000 when bob's reads 500,000: no common time.
    const alice = new VoiceReports();
    const bob = new VoiceReports();
    const first = alice.report(counts(0, 0), 0, 10_000);
    assert.equal(first.echo, 0, 'nothing to echo yet');
    // 15 ms on the way to bob; bob holds it 300 ms; 25 ms back.
    assert.equal(bob.take(decodeVoiceReport(encodeVoiceReport(first))!, 10_000, 500_015), undefined);
    const answer = bob.report(counts(40, 2), 1.5, 500_315);
    assert.deepEqual([answer.echo, answer.heldMs], [10_000, 300]);
    alice.take(answer, 500_315, 10_340);
    assert.equal(alice.roundTripMs, 40);
    assert.deepEqual(alice.outgoing, { received: 40, lost: 2, late: 0, jitterMs: 1.5 });
  });

  it('gives the encoder the loss of this side’s voice between two reports, late packets counted as sent', () => {
    const reports = new VoiceReports();
    const report = (received: number, lost: number, late: number) => reports.report(counts(received, lost, late), 0, 0);
    assert.equal(reports.take(report(45, 5, 0), 1, 1), undefined, 'one report: no interval yet');
    assert.equal(reports.take(report(90, 10, 0), 2, 2), 10);
    assert.equal(reports.take(report(138, 10, 2), 3, 3), 0);
    assert.equal(reports.take(report(138, 10, 2), 4, 4), undefined, 'nothing sent meanwhile');
    assert.equal(reports.take(report(10, 0, 0), 5, 5), undefined, 'the other side started counting again');
  });
});
