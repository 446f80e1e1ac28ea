import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseRate, parseProbability, parseCount, UnitError } from '../../src/link/units.js';

test('parseDuration: numbers are ms; units ns/us/ms/s/min', () => {
  assert.equal(parseDuration(5), 5);
  assert.equal(parseDuration('5'), 5);
  assert.equal(parseDuration('5ms'), 5);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('250us'), 0.25);
  assert.equal(parseDuration(' 2 min '), 120000);
  assert.throws(() => parseDuration('5 parsecs'), UnitError);
  assert.throws(() => parseDuration(-1), UnitError);
  assert.throws(() => parseDuration(''), UnitError);
});

test('parseRate: bit and bps forms are bits/s, Bps is bytes/s, 0 means unlimited', () => {
  assert.equal(parseRate(1e6), 1e6);
  assert.equal(parseRate('10Mbit'), 10e6);
  assert.equal(parseRate('10mbit'), 10e6);
  assert.equal(parseRate('1Gbps'), 1e9);
  assert.equal(parseRate('64kbit'), 64e3);
  assert.equal(parseRate('1MBps'), 8e6);
  assert.equal(parseRate('9600'), 9600);
  assert.equal(parseRate(0), Infinity);
  assert.equal(parseRate('unlimited'), Infinity);
  assert.throws(() => parseRate('fast'), UnitError);
  assert.throws(() => parseRate(-5), UnitError);
});

test('parseProbability: fractions and percentages within [0,1]', () => {
  assert.equal(parseProbability(0.25), 0.25);
  assert.equal(parseProbability('1%'), 0.01);
  assert.equal(parseProbability('0.5'), 0.5);
  assert.throws(() => parseProbability('150%'), UnitError);
  assert.throws(() => parseProbability(2), UnitError);
  assert.throws(() => parseProbability('lots'), UnitError);
});

test('parseCount: non-negative integers only', () => {
  assert.equal(parseCount('10'), 10);
  assert.equal(parseCount(0), 0);
  assert.throws(() => parseCount(1.5), UnitError);
  assert.throws(() => parseCount('x'), UnitError);
});
