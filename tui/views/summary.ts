/** The line streamtui prints on quit about the datagrams it received (what the first UDP client of this protocol printed). */
import { lossPercent, type LossCounts } from '../../common/datagram/loss-meter.js';

/**
 * @example udpSummary({ received: 900, lost: 100, late: 5, duplicate: 2 })
 *   // 'udp: received 900, lost 100 (10.0%), late 5 (0.5%), duplicate 2 (0.2%)'
 */
export function udpSummary(totals: LossCounts): string {
  const sent = totals.received + totals.lost;
  const share = (count: number): string => `${sent === 0 ? '0.0' : ((100 * count) / sent).toFixed(1)}%`;
  return `udp: received ${totals.received}, lost ${totals.lost} (${lossPercent(totals).toFixed(1)}%), late ${totals.late} (${share(totals.late)}), duplicate ${totals.duplicate} (${share(totals.duplicate)})`;
}
