/** Commands about the connection itself: `quit`, `password`, `ping`, and `stats`. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from '../../common/protocol/errors.js';
import { encodeFields, okLine } from '../../common/protocol/response.js';
import type { Command } from './types.js';

/** The daemon's clock for `time` and playback records: monotonic (performance.now), near the epoch in ms. */
export const daemonClockMs = (): number => performance.timeOrigin + performance.now();
import { stateText } from '../icecast/icecast-source.js';

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
/** The first wrong password is answered after this long, each next one after twice as long. */
const PASSWORD_DELAY_MS = 250;
const PASSWORD_DELAY_MAX_MS = 4000;
/** Wrong passwords on one connection before it is closed. */
export const MAX_PASSWORD_FAILURES = 3;

export function passwordMatches(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export const sessionCommands: Command[] = [
  {
    name: 'quit',
    aliases: ['9', 'exit'],
    minArgs: 0,
    maxArgs: 0,
    open: true,
    usage: 'quit',
    summary: 'OK goodbye, then the connection closes',
    async run(ctx) {
      ctx.session.closeAfterReply = true;
      await ctx.out.write(okLine('goodbye'));
    },
  },
  {
    name: 'password',
    aliases: [],
    minArgs: 1,
    maxArgs: 1,
    open: true,
    usage: 'password <secret>',
    summary: 'unlocks the other commands when the daemon has a password',
    async run(ctx, [secret]) {
      const expected = ctx.services.password;
      const ip = ctx.session.address.slice(0, ctx.session.address.lastIndexOf(':'));
      const port = ctx.session.address.slice(ctx.session.address.lastIndexOf(':') + 1);
      // Guesses are counted per address and in all, as fail2ban counts them: a guesser that has
      // used up its own (or everyone's) is not even checked until time gives it more.
      const guesses = ctx.services.passwordGuesses;
      const now = Date.now();
      if (expected !== undefined && (!guesses.fromAddress.has(ip, now) || !guesses.inAll.has(now))) {
        ctx.services.log.warn(`password refused for ${ip} port ${port}`);
        await new Promise((resolve) => setTimeout(resolve, PASSWORD_DELAY_MAX_MS));
        const wait = Math.ceil(Math.max(guesses.fromAddress.waitSeconds(ip, now), guesses.inAll.waitSeconds(now), 1));
        throw new ProtocolError('permission', `too many wrong passwords: not checked; try again in ${wait} s`, true);
      }
      if (expected !== undefined && !passwordMatches(secret as string, expected)) {
        guesses.fromAddress.take(ip, now);
        guesses.inAll.take(now);
        const failures = ++ctx.session.passwordFailures;
        // One greppable line per failure, the address alone in it (fail2ban: README).
        ctx.services.log.warn(`password refused for ${ip} port ${port}`);
        // The answer waits longer each time; commands pipelined behind it wait too.
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(PASSWORD_DELAY_MAX_MS, PASSWORD_DELAY_MS * 2 ** (failures - 1))),
        );
        if (failures >= MAX_PASSWORD_FAILURES)
          throw new ProtocolError('permission', `wrong password, ${failures} times: closing`, true);
        throw new ProtocolError('permission', 'wrong password');
      }
      ctx.session.authorized = true;
      await ctx.out.write(okLine());
    },
  },
  {
    name: 'ping',
    aliases: [],
    minArgs: 0,
    maxArgs: 0,
    open: true,
    light: true,
    usage: 'ping',
    summary: 'OK',
    async run(ctx) {
      await ctx.out.write(okLine());
    },
  },
  {
    name: 'time',
    aliases: [],
    minArgs: 0,
    maxArgs: 0,
    light: true,
    usage: 'time',
    summary: "extension (listen along): the daemon's monotonic clock in ms (time_ms), for a client's offset estimate",
    async run(ctx) {
      await ctx.out.write(encodeFields([['time_ms', daemonClockMs().toFixed(3)]]) + okLine());
    },
  },
  {
    name: 'stats',
    aliases: [],
    minArgs: 0,
    maxArgs: 0,
    usage: 'stats',
    summary: 'extension: version, uptime, catalog and connection counters, then OK',
    async run(ctx) {
      const { catalog, counters, devices, version, radio, udpCounters, streams } = ctx.services;
      const programme = radio.status();
      await ctx.out.write(
        encodeFields([
          ['version', version],
          ['uptime', Math.round((Date.now() - counters.startedAt.getTime()) / 1000)],
          ['catalog', catalog.state],
          // While the library is scanned: files looked at, of all (a long first scan shows how far it is).
          ...(catalog.progress
            ? ([
                ['scan_files_done', catalog.progress.done],
                ['scan_files_total', catalog.progress.total],
              ] as const)
            : []),
          // While the demo library is made (a first start with no music configured): its songs, of all.
          ...(catalog.demoProgress
            ? ([
                ['demo_songs_done', catalog.demoProgress.done],
                ['demo_songs_total', catalog.demoProgress.total],
              ] as const)
            : []),
          ['catalog_version', catalog.version],
          // The radio's Icecast targets, one line each: `icecast_1: http://host:8000/mount connected`.
          ...ctx.services.icecast.map((source, i) => {
            const status = source.status();
            return [`icecast_${i + 1}`, `${status.url} ${stateText(status)}`] as const;
          }),
          ['songs', catalog.size],
          ['connections', devices.connectionCount],
          ['devices', devices.list().length],
          ['connections_accepted', counters.connectionsAccepted],
          ['connections_rejected', counters.connectionsRejected],
          ['downloads_active', counters.downloadsActive],
          ['downloads_served', counters.downloadsServed],
          ['bytes_sent', counters.bytesSent],
          ['output_queued_bytes', counters.outputQueued()],
          ['radio', programme.state],
          ['listeners', programme.listeners],
          ['udp_streams', streams.active],
          ['datagrams_sent', udpCounters.datagramsSent],
          ['datagram_bytes_sent', udpCounters.bytesSent],
          ['udp_rejected', udpCounters.rejected],
          ['udp_malformed', udpCounters.malformed],
          ['udp_send_queue_bytes', streams.queuedBytes],
          ['udp_stream_pauses', udpCounters.streamPauses],
          ['udp_radio_dropped', udpCounters.radioDropped],
          ['udp_streams_unproven', udpCounters.streamsUnproven],
          ['udp_streams_silent', udpCounters.streamsSilent],
          ['calls_ringing', ctx.services.calls.counts.ringing],
          ['calls_active', ctx.services.calls.counts.active],
          ['voice_forwarded', ctx.services.voiceCounters.forwarded],
          ['voice_dropped_not_active', ctx.services.voiceCounters.droppedNotActive],
          ['voice_dropped_bad_token', ctx.services.voiceCounters.droppedBadToken],
          ['voice_dropped_bad_address', ctx.services.voiceCounters.droppedBadAddress],
          ['voice_dropped_unproven', ctx.services.voiceCounters.droppedUnproven],
          ['voice_dropped_truncated', ctx.services.voiceCounters.droppedTruncated],
          ['voice_dropped_rate', ctx.services.voiceCounters.droppedRate],
          ['http', ctx.services.httpPort ?? 'off'],
          ['http_streams', ctx.services.httpStreams()],
          ['open_files', counters.descriptors.open()],
          ['open_files_limit', counters.descriptors.limit()],
          ['event_loop_delay_p99_ms', counters.loopDelay.p99().toFixed(1)],
          ['event_loop_delay_max_ms', counters.loopDelay.max().toFixed(1)],
        ]) + okLine(),
      );
    },
  },
];
