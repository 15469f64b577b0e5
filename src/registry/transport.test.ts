import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryTransport } from './transport.js';
import { RegistryClient } from './client.js';

test('plain HTTP only for loopback registries, elsewhere only with insecure', () => {
  assert.equal(new RegistryTransport('127.0.0.1:5000').origin, 'http://127.0.0.1:5000');
  assert.equal(new RegistryTransport('localhost:5000').origin, 'http://localhost:5000');
  assert.equal(new RegistryTransport('[::1]:5000').origin, 'http://[::1]:5000');
  assert.equal(new RegistryTransport('registry.example').origin, 'https://registry.example');
  assert.equal(new RegistryTransport('docker.io').origin, 'https://registry-1.docker.io');
  assert.equal(new RegistryTransport('registry.example:5000', { insecure: true }).origin, 'http://registry.example:5000');
  assert.throws(() => new RegistryTransport('registry.example', { scheme: 'http' }), (e: unknown) => {
    const err = e as { code: string; exitCode: number; hint: string };
    assert.equal(err.code, 'registry/insecure-registry');
    assert.equal(err.exitCode, 2);
    assert.match(err.hint, /--insecure/);
    return true;
  });
});

test('client options are validated', () => {
  assert.throws(() => new RegistryClient('127.0.0.1:1', { chunkSize: 0 }), { code: 'registry/bad-option' } as object);
});
