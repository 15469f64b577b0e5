import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exposedPorts, isStopSignal } from './config-rules.js';

test('exposedPorts: tcp by default, protocol lower-cased, ranges expanded; bad words described', () => {
  assert.deepEqual(exposedPorts('80'), ['80/tcp']);
  assert.deepEqual(exposedPorts('53/UDP'), ['53/udp']);
  assert.deepEqual(exposedPorts('8000-8002/sctp'), ['8000/sctp', '8001/sctp', '8002/sctp']);
  assert.deepEqual(exposedPorts('0'), ['0/tcp']);
  assert.deepEqual(exposedPorts('65535'), ['65535/tcp']);
  for (const bad of ['', 'http', '80/icmp', '65536', '9-8', '80/', '1.2.3.4:80', '-1', '80-']) {
    assert.equal(typeof exposedPorts(bad), 'string', bad);
  }
});

test('isStopSignal: Linux names with or without SIG, RTMIN+n/RTMAX-n, numbers 1-64', () => {
  for (const ok of ['SIGTERM', 'term', 'SIGKILL', 'SIGRTMIN+3', 'RTMAX-1', 'SIGRTMIN', '9', '64', 'sigwinch', 'SIGSTKFLT']) assert.equal(isStopSignal(ok), true, ok);
  for (const bad of ['', 'SIGFOO', '0', '65', 'SIGRTMIN+16', 'RTMAX-15', 'SIGRTMIN+0', 'TERM ', '-9', 'SIG']) assert.equal(isStopSignal(bad), false, bad);
});
