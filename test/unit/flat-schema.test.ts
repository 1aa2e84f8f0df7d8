import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldProblem, flatSchemaProblem, type FieldRule } from '../../common/flat-schema.js';

describe('a flat settings object against its schema', () => {
  const cases: Array<[string, FieldRule, unknown, string | undefined]> = [
    ['an integer in range', { type: 'integer', minimum: 1, maximum: 65535 }, 9090, undefined],
    ['above the maximum', { type: 'integer', minimum: 1, maximum: 65535 }, 70000, 'must be <= 65535'],
    ['below the minimum', { type: 'integer', minimum: 20 }, 1, 'must be >= 20'],
    ['a fraction for an integer', { type: 'integer' }, 1.5, 'must be integer'],
    ['NaN (a flag that is no number)', { type: 'integer' }, Number.NaN, 'must be integer'],
    ['a string for a number', { type: 'number' }, '3', 'must be number'],
    ['an integer is a number', { type: 'number', minimum: -15, maximum: 15 }, -3, undefined],
    ['a fraction in range', { type: 'number', minimum: -15, maximum: 15 }, 2.5, undefined],
    ['null where null is allowed', { type: ['string', 'null'] }, null, undefined],
    ['a number where a string or null is', { type: ['string', 'null'] }, 5, 'must be string or null'],
    ['an array for a string', { type: 'string' }, ['a'], 'must be string'],
    ['an object for a boolean', { type: 'boolean' }, {}, 'must be boolean'],
    ['one of the values', { enum: ['tcp', 'udp'] }, 'udp', undefined],
    ['none of the values', { enum: ['tcp', 'udp'] }, 'sctp', 'must be one of tcp, udp'],
    ['a value of another type', { enum: ['auto', 'null'] }, null, 'must be one of auto, null'],
    ['an empty string', { type: 'string', minLength: 1 }, '', 'must not be empty'],
    ['too short', { type: 'string', minLength: 3 }, 'ab', 'must be at least 3 characters'],
    ['characters, not UTF-16 units', { type: 'string', maxLength: 2 }, '𝄞𝄞', undefined],
    ['too long', { type: 'string', maxLength: 2 }, 'abc', 'must be at most 2 characters'],
    ['no rule', {}, { any: 'thing' }, undefined],
  ];
  for (const [name, rule, value, problem] of cases)
    it(name, () => {
      assert.equal(fieldProblem(rule, value), problem);
    });

  it('names the first key that breaks its rule, and lets keys it does not name through', () => {
    const rules = { port: { type: 'integer', maximum: 65535 }, host: { type: 'string', minLength: 1 } } as const;
    assert.equal(flatSchemaProblem(rules, { port: 80, host: 'a', later: [1] }), undefined);
    assert.deepEqual(flatSchemaProblem(rules, { host: '', port: 70000 }), {
      key: 'host',
      problem: 'must not be empty',
    });
    assert.equal(flatSchemaProblem(rules, { toString: 5, constructor: 'x' }), undefined, 'no rule from the prototype');
  });
});
