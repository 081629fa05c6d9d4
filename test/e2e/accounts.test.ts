import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/infra/log.ts';
import { connectNats } from '../../src/infra/nats/connection.ts';
import { EVENTS_STREAM } from '../../src/infra/nats/streams.ts';
import { addUser, callAs, signInAs, tokenOf } from '../../src/testing/accounts.ts';
import { runKanade } from '../../src/testing/cli.ts';
import { useTestServer } from '../../src/testing/server.ts';

const sandbox = useTestServer();
const kanade = (args: string[], token = sandbox.server.token) =>
  runKanade(args, { KANADE_API_URL: sandbox.server.url, KANADE_TOKEN: token, KANADE_DATA_DIR: sandbox.server.dataDir });
const signInRaw = (user: string, password: string) =>
  fetch(`${sandbox.server.url}/api/sessions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
const secrets: string[] = [];

describe('accounts', () => {
  it('are managed from the CLI: add (password printed once), list, set-role, tokens create/list/revoke', async () => {
    const added = await kanade(['users', 'add', 'carol', '--role', 'viewer']);
    expect(added.code).toBe(0);
    const password = /password: (\S+)/.exec(added.out)?.[1] as string;
    secrets.push(password);
    expect(password.length).toBeGreaterThanOrEqual(12);
    expect((await kanade(['users', 'add', 'carol', '--role', 'viewer'])).out).toMatch(/unchanged carol/);
    expect((await kanade(['users', 'add', 'Bad:Name', '--role', 'viewer'])).code).toBe(2);
    expect((await kanade(['users', 'add', 'x', '--role', 'root'])).code).toBe(2);
    expect((await kanade(['users', 'set-role', 'carol', '--role', 'operator'])).out).toMatch(/changed carol/);
    const list = await kanade(['users', 'list']);
    expect(list.out).toMatch(/carol\s+operator\s+active\s+set/);

    const created = await kanade([
      'tokens',
      'create',
      '--user',
      'carol',
      '--name',
      'laptop',
      '--role',
      'viewer',
      '--json',
    ]);
    const token = JSON.parse(created.out) as { token: string; token_id: string; role: string };
    secrets.push(token.token);
    expect(token.role).toBe('viewer');
    // The token acts as carol's laptop token, with the token's role.
    expect(await (await callAs(sandbox.server, token.token, 'GET', '/api/me')).json()).toEqual({
      actor: 'carol:laptop',
      role: 'viewer',
      user: 'carol',
    });
    expect((await callAs(sandbox.server, token.token, 'POST', '/api/fleet/halt', { reason: 'x' })).status).toBe(403);
    // Carol lists her own tokens with it; the secret is never listed.
    const own = await kanade(['tokens', 'list', '--json'], token.token);
    expect(own.out).toContain(token.token_id);
    expect(own.out).not.toContain(token.token.slice(-43));
    expect((await kanade(['tokens', 'revoke', token.token_id])).out).toMatch(/^revoked/);
    expect((await callAs(sandbox.server, token.token, 'GET', '/api/me')).status).toBe(401);
  });

  it('sign in with a name and password; a disabled user is refused on the very next request', async () => {
    const password = await addUser(sandbox.server, 'dave', 'operator');
    secrets.push(password);
    // Adding him again with a password would drop it: refused, and the old one still works.
    const addedAgain = await sandbox.server.api('POST', '/api/users', {
      user: 'dave',
      role: 'operator',
      password: 'another-one-long',
    });
    expect(addedAgain.status).toBe(409);
    const session = await signInAs(sandbox.server, 'dave', password);
    const personal = (await tokenOf(sandbox.server, 'dave', { name: 'ci' })).token;
    secrets.push(session, personal);
    expect((await callAs(sandbox.server, session, 'GET', '/api/me')).status).toBe(200);
    expect((await callAs(sandbox.server, personal, 'GET', '/api/fleet')).status).toBe(200);

    expect((await kanade(['users', 'disable', 'dave', '--reason', 'left the team'])).code).toBe(0);
    expect((await callAs(sandbox.server, session, 'GET', '/api/me')).status).toBe(401);
    expect((await callAs(sandbox.server, personal, 'GET', '/api/fleet')).status).toBe(401);
    expect((await signInRaw('dave', password)).status).toBe(401);

    // Enabled again: the tokens work again, but the session from before stays over.
    expect((await kanade(['users', 'enable', 'dave'])).code).toBe(0);
    expect((await callAs(sandbox.server, personal, 'GET', '/api/fleet')).status).toBe(200);
    expect((await callAs(sandbox.server, session, 'GET', '/api/me')).status).toBe(401);
    // Signing out ends a session.
    const again = await signInAs(sandbox.server, 'dave', password);
    expect((await callAs(sandbox.server, again, 'DELETE', '/api/sessions/current')).status).toBe(200);
    expect((await callAs(sandbox.server, again, 'GET', '/api/me')).status).toBe(401);
  });

  it('throttle wrong passwords per account', async () => {
    const password = await addUser(sandbox.server, 'erin', 'viewer');
    secrets.push(password);
    const answers: number[] = [];
    for (let i = 0; i < 6; i++) answers.push((await signInRaw('erin', 'not-her-password')).status);
    expect(answers.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(answers[5]).toBe(429);
    const throttled = await signInRaw('erin', password); // even the right password waits its turn
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(((await throttled.json()) as { title: string }).title).toMatch(/try again in \d+ s/);
  });

  it('keep no password, hash or secret in the event stream', async () => {
    const nc = await connectNats({
      url: sandbox.nats.url,
      auth: sandbox.nats.serverAuth,
      name: 'scan',
      log: createLogger('test', 'error'),
    });
    try {
      const jsm = await jetstreamManager(nc);
      const last = (await jsm.streams.info(EVENTS_STREAM)).state.last_seq;
      let text = '';
      for (let seq = 1; seq <= last; seq++)
        text += (await jsm.streams.getMessage(EVENTS_STREAM, { seq }))?.string() ?? '';
      expect(text).toMatch(/UserAdded/);
      expect(text).toMatch(/ApiTokenCreated/);
      expect(secrets.length).toBeGreaterThan(5);
      for (const secret of secrets) {
        expect(text).not.toContain(secret);
        if (secret.startsWith('kanade_')) expect(text).not.toContain(secret.slice(-43)); // the secret part
      }
      expect(text).not.toMatch(/scrypt\$/);
      expect(text).not.toMatch(/"(hash|password)"/);
    } finally {
      await nc.drain();
    }
  });
});
