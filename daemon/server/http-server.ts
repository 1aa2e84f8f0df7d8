/**
 * The HTTP port (fastify): the Subsonic API under `/rest/`, GET, POST (a form body, OpenSubsonic's
 * formPost) and HEAD, `name` or `name.view`. Sockets and nothing else: a request becomes an
 * `ApiRequest`, its answer is written as XML, JSON or bytes. Bounded: connections, the request's
 * line and headers (Node's 16 KiB), a form body, a request's time to arrive, a reader that takes
 * nothing for `idleTimeoutMs`.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { SubsonicCode, SubsonicError, writeResponse, type ServerAbout } from '../../common/subsonic/response.js';
import type { Logger } from '../log.js';
import { isMedia } from '../subsonic/api-types.js';
import type { MediaAnswer } from '../subsonic/media-server.js';
import { Params } from '../subsonic/params.js';
import { formatOf, type SubsonicApi } from '../subsonic/subsonic-api.js';
import { collectWhenQuiet } from './quiet-collector.js';

/** A form body larger than this is refused (a playlist of thousands of ids fits). */
const MAX_FORM_BYTES = 1024 * 1024;
/** A request's line, headers and body must have arrived within this. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface HttpServerOptions {
  host: string;
  port: number;
  maxConnections: number;
  /** A connection that moves no byte either way for this long is closed (a reader that stopped reading). */
  idleTimeoutMs: number;
}

export interface HttpServer {
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

const addressOf = (request: FastifyRequest): string => {
  const ip = (request.socket.remoteAddress ?? '?').replace(/^::ffff:/, '');
  return `${ip}:${request.socket.remotePort ?? 0}`;
};

/** The request's query string, read as the API reads parameters. */
function queryOf(request: FastifyRequest): Params {
  const url = request.raw.url ?? '';
  return new Params(new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''));
}

export function createHttpServer(
  options: HttpServerOptions,
  api: SubsonicApi,
  about: ServerAbout,
  log: Logger,
  /** A request came (server/activity.ts). */
  arrived: () => void,
): HttpServer {
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_FORM_BYTES,
    connectionTimeout: options.idleTimeoutMs,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: 15_000,
    return503OnClosing: true,
    exposeHeadRoutes: false,
    // The query string is read by the API (repeated parameters, its own rules), not by fastify.
    routerOptions: { querystringParser: () => ({}) },
  });
  const collector = collectWhenQuiet();
  app.addHook('onRequest', (_request, _reply, done) => {
    arrived();
    done();
  });
  app.addHook('onResponse', (_request, _reply, done) => {
    collector.served();
    done();
  });
  // Parameters come in the query string or a form, nothing else: other bodies are refused (415).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: MAX_FORM_BYTES },
    (_request, body, done) => done(null, body),
  );

  const sendFailure = (
    reply: FastifyReply,
    error: SubsonicError,
    params: Params | undefined,
    status = 200,
  ): FastifyReply => {
    const format = params ? formatOf(params) : 'xml';
    return reply
      .code(status)
      .header('content-type', format === 'json' ? 'application/json; charset=utf-8' : 'text/xml; charset=utf-8')
      .send(writeResponse({ error }, format, about));
  };

  const sendMedia = (reply: FastifyReply, answer: MediaAnswer): FastifyReply => {
    // A client that went while its file was opened (or ffmpeg started) heard no 'close' to come:
    // what was taken for it is given back now.
    if (reply.raw.destroyed || reply.raw.socket?.destroyed !== false) {
      if (answer.body && 'destroy' in answer.body) answer.body.destroy();
      answer.done?.();
      return reply.send();
    }
    reply.code(answer.status).headers(answer.headers);
    if (answer.done) reply.raw.once('close', answer.done);
    if (answer.body === undefined) {
      answer.done?.();
      return reply.send();
    }
    // A stream's errors (the file gone mid-song) end the response; fastify destroys the stream when the client goes.
    return reply.send(answer.body);
  };

  app.route({
    method: ['GET', 'POST', 'HEAD'],
    url: '/rest/:name',
    async handler(request, reply) {
      const search = queryOf(request).search;
      if (typeof request.body === 'string')
        for (const [key, value] of new URLSearchParams(request.body)) search.append(key, value);
      const params = new Params(search);
      reply.header('access-control-allow-origin', '*');
      const name = (request.params as { name: string }).name.replace(/\.view$/, '');
      try {
        const answer = await api.answer({
          name,
          params,
          address: addressOf(request),
          method: request.method,
          headers: request.headers,
        });
        if (isMedia(answer)) return sendMedia(reply, answer);
        const format = formatOf(params);
        return reply
          .header('content-type', format === 'json' ? 'application/json; charset=utf-8' : 'text/xml; charset=utf-8')
          .send(writeResponse({ ok: answer }, format, about));
      } catch (error) {
        if (error instanceof SubsonicError) return sendFailure(reply, error, params);
        log.error(`http: ${name}: ${(error as Error).stack ?? String(error)}`);
        return sendFailure(reply, new SubsonicError(SubsonicCode.generic, 'internal error (logged)'), params);
      }
    },
  });
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/rest/') || request.url === '/rest')
      return sendFailure(reply, new SubsonicError(SubsonicCode.generic, 'no such method'), undefined, 404);
    return reply.code(404).type('text/plain; charset=utf-8').send('streamd serves the Subsonic API under /rest/\n');
  });
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    // fastify's own refusals: a body too large (413), a content type it does not read (415), a timeout.
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    return sendFailure(reply, new SubsonicError(SubsonicCode.generic, error.message), queryOf(request), status);
  });

  return {
    async listen() {
      await app.listen({ host: options.host, port: options.port });
      app.server.maxConnections = options.maxConnections;
      return app.server.address() as AddressInfo;
    },
    async close() {
      collector.stop();
      // Streams in flight end now: close() waits for idle keep-alive sockets only.
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
