import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseContainerfile } from '../containerfile/parser.js';
import type { HealthcheckInstruction } from '../containerfile/types.js';
import { StrataError } from '../errors.js';
import { healthConfig, inheritedHealthConfig, parseGoDuration } from './healthcheck.js';
import { describe } from './stage.js';

function hc(line: string): HealthcheckInstruction {
  const ins = parseContainerfile(`FROM scratch\n${line}\n`, 'Containerfile').stages[0]!.instructions[0]!;
  assert.equal(ins.kind, 'HEALTHCHECK');
  return ins as HealthcheckInstruction;
}

test('parseGoDuration: units, sums and fractions in nanoseconds as Go computes them', () => {
  assert.equal(parseGoDuration('0'), 0n);
  assert.equal(parseGoDuration('30s'), 30_000_000_000n);
  assert.equal(parseGoDuration('1m30s'), 90_000_000_000n);
  assert.equal(parseGoDuration('1h'), 3_600_000_000_000n);
  assert.equal(parseGoDuration('500ms'), 500_000_000n);
  assert.equal(parseGoDuration('10us'), 10_000n);
  assert.equal(parseGoDuration('10µs'), 10_000n);
  assert.equal(parseGoDuration('7ns'), 7n);
  assert.equal(parseGoDuration('1.5h'), 5_400_000_000_000n);
  assert.equal(parseGoDuration('0.1s'), 100_000_000n);
  assert.equal(parseGoDuration('1.000000001s'), 1_000_000_001n);
  // Go scales a fraction through float64: 1/3 s is 333333333 ns, not rounded up
  assert.equal(parseGoDuration('.333333333333s'), 333_333_333n);
  assert.equal(parseGoDuration('2562047h'), 2562047n * 3_600_000_000_000n);
  for (const bad of ['', '5', 's', '1x', '1.2.3s', '-1s', '3000000h']) {
    assert.equal(typeof parseGoDuration(bad), 'string', bad);
  }
});

test('healthConfig: exec form is CMD, shell form CMD-SHELL, NONE alone; durations in ns, zeros left out', () => {
  assert.deepEqual(healthConfig(hc('HEALTHCHECK --interval=30s --timeout=5s --start-period=1m --start-interval=2s --retries=3 CMD ["/bin/check", "-q"]'), 'Containerfile'), {
    Test: ['CMD', '/bin/check', '-q'], Interval: 30e9, Timeout: 5e9, StartPeriod: 60e9, StartInterval: 2e9, Retries: 3,
  });
  assert.deepEqual(healthConfig(hc('HEALTHCHECK CMD wget -q -O- http://127.0.0.1/ || exit 1'), 'Containerfile'), {
    Test: ['CMD-SHELL', 'wget -q -O- http://127.0.0.1/ || exit 1'],
  });
  assert.deepEqual(healthConfig(hc('HEALTHCHECK NONE'), 'Containerfile'), { Test: ['NONE'] });
  assert.deepEqual(healthConfig(hc('HEALTHCHECK --interval=0 --retries=0 CMD true'), 'Containerfile'), { Test: ['CMD-SHELL', 'true'] });
});

test('healthConfig: a duration under 1ms, one too long to record, too many retries and CMD [] are located input errors', () => {
  const cases: [string, string, number][] = [
    ['HEALTHCHECK --interval=500us CMD true', 'build/bad-healthcheck-duration', 13],
    ['HEALTHCHECK --timeout=1s --start-period=999999ns CMD true', 'build/bad-healthcheck-duration', 26],
    ['HEALTHCHECK --start-interval=200000h CMD true', 'build/bad-healthcheck-duration', 13],
    ['HEALTHCHECK --retries=4294967296 CMD true', 'build/bad-healthcheck-retries', 13],
    ['HEALTHCHECK CMD []', 'build/bad-healthcheck', 1],
  ];
  for (const [line, code, col] of cases) {
    assert.throws(() => healthConfig(hc(line), 'pkg/Containerfile'), (e: unknown) => {
      assert.ok(e instanceof StrataError, line);
      assert.equal(e.code, code, line);
      assert.equal(e.kind, 'input', line);
      assert.deepEqual(e.location, { file: 'pkg/Containerfile', line: 2, col }, line);
      assert.ok(e.hint && e.hint.length > 0);
      return true;
    });
  }
});

test('inheritedHealthConfig keeps a well-formed base-image member and ignores anything else', () => {
  assert.deepEqual(inheritedHealthConfig({ Test: ['CMD-SHELL', 'x'], Interval: 5, Retries: 0, Other: 1 }), { Test: ['CMD-SHELL', 'x'], Interval: 5 });
  assert.equal(inheritedHealthConfig({ Test: [] }), undefined);
  assert.equal(inheritedHealthConfig('CMD x'), undefined);
  assert.equal(inheritedHealthConfig(undefined), undefined);
});

test('the history text of HEALTHCHECK names its test and flags', () => {
  assert.equal(describe(hc('HEALTHCHECK NONE')), 'HEALTHCHECK NONE');
  assert.equal(describe(hc('HEALTHCHECK --interval=5s CMD ["/bin/check"]')), 'HEALTHCHECK --interval=5s CMD ["/bin/check"]');
  assert.equal(describe(hc('HEALTHCHECK CMD true')), 'HEALTHCHECK CMD true');
});
