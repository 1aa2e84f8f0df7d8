/**
 * The topics of `idle` (docs/protocol.md, Push events): what a client can wait for a change of.
 *
 * @example parseTopics(['devices', 'radio']) // ['devices', 'radio']; [] means every topic
 */
export const IDLE_TOPICS = ['devices', 'catalog', 'radio', 'calls', 'sticker', 'stored_playlist', 'remote'] as const;

export type IdleTopic = (typeof IDLE_TOPICS)[number];

export function isIdleTopic(word: string): word is IdleTopic {
  return (IDLE_TOPICS as readonly string[]).includes(word);
}
