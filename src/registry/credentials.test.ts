import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { Credentials, credentialsFromAuthText, loadCredentials, authFilePaths, normaliseAuthKey } from './credentials.js';
import { isStrataError } from '../errors.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const auth = (entries: Record<string, unknown>) => JSON.stringify({ auths: entries });

test('auth entries: base64 auth, username/password, most specific key wins', () => {
  const text = auth({
    'reg.example': { auth: b64('host-user:pw:with:colons') },
    'reg.example/stagex': { username: 'ns-user', password: 'pw2' },
  });
  const a = credentialsFromAuthText(text, 'auth.json', 'reg.example', 'stagex/core-gcc');
  assert.equal(a?.username, 'ns-user');
  const b = credentialsFromAuthText(text, 'auth.json', 'reg.example', 'other/x');
  assert.equal(b?.username, 'host-user');
  assert.equal(b?.basicAuthorization(), `Basic ${b64('host-user:pw:with:colons')}`);
  assert.equal(credentialsFromAuthText(text, 'auth.json', 'other.example', 'x/y'), undefined);
  assert.equal(credentialsFromAuthText('{}', 'auth.json', 'reg.example', 'x/y'), undefined);
});

test('docker config keys with scheme and /v1/ path, Docker Hub aliases', () => {
  assert.equal(normaliseAuthKey('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(normaliseAuthKey('http://127.0.0.1:5000'), '127.0.0.1:5000');
  const text = auth({ 'https://index.docker.io/v1/': { auth: b64('hub:pw') } });
  assert.equal(credentialsFromAuthText(text, 'config.json', 'docker.io', 'stagex/x')?.username, 'hub');
});

test('malformed auth files are input errors with file:line:col and never echo secrets', () => {
  const text = `{\n  "auths": {\n    "reg.example": { "auth": "${b64('u:topsecret')}" },,\n  }\n}`;
  assert.throws(() => credentialsFromAuthText(text, 'auth.json', 'reg.example', 'a/b'), (e: unknown) => {
    assert.ok(isStrataError(e));
    assert.equal(e.code, 'registry/bad-auth-file');
    assert.equal(e.exitCode, 2);
    assert.match(e.format(), /^auth\.json:3:\d+: /);
    assert.ok(!e.format().includes('topsecret') && !e.format().includes(b64('u:topsecret')));
    return true;
  });
  assert.throws(() => credentialsFromAuthText(auth({ 'reg.example': { auth: b64('no-colon') } }), 'a.json', 'reg.example', 'a/b'), { code: 'registry/bad-auth-file' } as object);
  assert.throws(() => credentialsFromAuthText('[]', 'a.json', 'reg.example', 'a/b'), { code: 'registry/bad-auth-file' } as object);
});

test('credentials never show their password', () => {
  const c = new Credentials('me', 'hunter2', 'auth.json');
  for (const s of [String(c), JSON.stringify(c), inspect(c), inspect({ nested: c })]) assert.ok(!s.includes('hunter2'), s);
});

test('file order: REGISTRY_AUTH_FILE replaces the containers defaults; docker config comes last', async () => {
  assert.deepEqual(authFilePaths({ REGISTRY_AUTH_FILE: '/a.json', XDG_RUNTIME_DIR: '/run/u', HOME: '/h' }), ['/a.json', path.join('/h', '.docker', 'config.json')]);
  assert.deepEqual(authFilePaths({ XDG_RUNTIME_DIR: '/run/u', HOME: '/h', DOCKER_CONFIG: '/d' }), [
    path.join('/run/u', 'containers', 'auth.json'),
    path.join('/h', '.config', 'containers', 'auth.json'),
    path.join('/d', 'config.json'),
  ]);
  const home = mkdtempSync(path.join(tmpdir(), 'strata-cred-'));
  try {
    mkdirSync(path.join(home, '.docker'));
    mkdirSync(path.join(home, '.config', 'containers'), { recursive: true });
    writeFileSync(path.join(home, '.docker', 'config.json'), auth({ 'reg.example': { auth: b64('docker-user:pw') }, 'only.docker': { auth: b64('d2:pw') } }));
    writeFileSync(path.join(home, '.config', 'containers', 'auth.json'), auth({ 'reg.example': { auth: b64('podman-user:pw') } }));
    assert.equal((await loadCredentials('reg.example', 'a/b', { HOME: home }))?.username, 'podman-user');
    assert.equal((await loadCredentials('only.docker', 'a/b', { HOME: home }))?.username, 'd2');
    assert.equal(await loadCredentials('nowhere.example', 'a/b', { HOME: home }), undefined);
    assert.equal(await loadCredentials('reg.example', 'a/b', { HOME: path.join(home, 'missing') }), undefined);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
