/**
 * A flat settings object (one level of keys) checked against the few JSON-schema rules its keys
 * use: type, enum, minimum, maximum, minLength, maxLength; keys it does not name are let through.
 * streamtui's settings are checked so: conf and ajv, loaded and compiled for twenty keys, were
 * 130 ms of the player's start and 2-3 MiB of its memory playing (docs/benchmarks.md). Pure.
 *
 * @example flatSchemaProblem({ port: { type: 'integer', maximum: 65535 } }, { port: 70000 })
 *   // { key: 'port', problem: 'must be <= 65535' }
 */

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'null';

export interface FieldRule {
  type?: JsonType | readonly JsonType[];
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  /** In characters (code points), as JSON schema counts them. */
  minLength?: number;
  maxLength?: number;
}

function typeOf(value: unknown): JsonType | 'array' | 'object' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as 'string' | 'boolean' | 'object';
}

/** What is wrong with `value` under `rule`, in the words of ajv's messages, or undefined. */
export function fieldProblem(rule: FieldRule, value: unknown): string | undefined {
  if (rule.type !== undefined) {
    const types: readonly JsonType[] = typeof rule.type === 'string' ? [rule.type] : rule.type;
    const actual = typeOf(value);
    const fits = types.some((type) => type === actual || (type === 'number' && actual === 'integer'));
    if (!fits) return `must be ${types.join(' or ')}`;
  }
  if (rule.enum && !rule.enum.includes(value)) return `must be one of ${rule.enum.map(String).join(', ')}`;
  if (typeof value === 'number') {
    if (rule.minimum !== undefined && value < rule.minimum) return `must be >= ${rule.minimum}`;
    if (rule.maximum !== undefined && value > rule.maximum) return `must be <= ${rule.maximum}`;
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (rule.minLength !== undefined && length < rule.minLength)
      return rule.minLength === 1 ? 'must not be empty' : `must be at least ${rule.minLength} characters`;
    if (rule.maxLength !== undefined && length > rule.maxLength) return `must be at most ${rule.maxLength} characters`;
  }
  return undefined;
}

/** The first key of `value` (a JSON object) that breaks its rule, or undefined when all keep them. */
export function flatSchemaProblem(
  rules: Readonly<Record<string, FieldRule>>,
  value: Readonly<Record<string, unknown>>,
): { key: string; problem: string } | undefined {
  for (const [key, field] of Object.entries(value)) {
    const rule = Object.hasOwn(rules, key) ? rules[key] : undefined;
    const problem = rule && fieldProblem(rule, field);
    if (problem) return { key, problem };
  }
  return undefined;
}
