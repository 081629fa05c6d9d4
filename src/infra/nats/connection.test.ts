import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { findNatsServer, type NatsServerProcess, startNatsServer } from '../natsServer.ts';
import { BrokerRefused, connectNats, type NatsAuth, redactUrl } from './connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'kanade-conn-'));
const bin = findNatsServer(process.env.KANADE_NATS_SERVER_BIN, process.env.PATH) as string;
const servers: NatsServerProcess[] = [];
const lines: string[] = [];
const log = createLogger('test', 'debug', (line) => lines.push(line));
const nkey = createUser();

const broker = async (name: string, config: string) => {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, config);
  const server = await startNatsServer({ bin, storeDir: join(dir, name), configFile: file });
  servers.push(server);
  return server;
};
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const attempt = async (url: string, auth: NatsAuth) => {
  const nc = await connectNats({ url, auth, name: 'probe', log, failFast: true });
  await nc.close();
  return 'connected';
};

// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
const makeCertificates = () => {
  openssl(
    ...'req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=kanade-test-ca -keyout ca.key -out ca.pem'.split(
      ' ',
    ),
  );
  for (const who of ['server', 'client', 'stranger']) {
    openssl(
      ...`req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=${who} -keyout ${who}.key -out ${who}.csr`.split(
        ' ',
      ),
    );
    writeFileSync(
      join(dir, `${who}.ext`),
      who === 'server' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' : 'extendedKeyUsage=clientAuth\n',
    );
    const ca =
      who === 'stranger' ? ['-signkey', `${who}.key`] : ['-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'];
    openssl('x509', '-req', '-in', `${who}.csr`, ...ca, '-days', '2', '-extfile', `${who}.ext`, '-out', `${who}.pem`);
  }
};

let users: NatsServerProcess;
let tokens: NatsServerProcess;
let nkeys: NatsServerProcess;
let tls: NatsServerProcess;

beforeAll(async () => {
  writeFileSync(join(dir, 'user.nk'), `${new TextDecoder().decode(nkey.getSeed())}\n`);
  users = await broker('users', 'authorization { users: [ { user: "ops", password: "s3cret-pass" } ] }\n');
  tokens = await broker('tokens', 'authorization { token: "t0ken-for-kanade" }\n');
  nkeys = await broker('nkeys', `authorization { users: [ { nkey: ${nkey.getPublicKey()} } ] }\n`);
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('openssl is needed to make test certificates: apt-get install openssl');
  }
  makeCertificates();
  tls = await broker(
    'tls',
    `tls { cert_file: "${dir}/server.pem", key_file: "${dir}/server.key", ca_file: "${dir}/ca.pem", verify: true }\n`,
  );
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('connecting to a broker that wants credentials', () => {
  it('uses a user and password, from options or from the URL, and never logs the password', async () => {
    await expect(attempt(users.url, { user: 'ops', password: 's3cret-pass' })).resolves.toBe('connected');
    const withCredentials = users.url.replace('nats://', 'nats://ops:s3cret-pass@');
    await expect(attempt(withCredentials, {})).resolves.toBe('connected');
    expect(redactUrl(withCredentials)).toBe(users.url);
    const refused = await attempt(withCredentials.replace('s3cret', 'wrong'), {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokerRefused);
    expect(String(refused)).toMatch(/refused the connection: authorization violation/);
    expect(lines.join('\n')).not.toMatch(/s3cret|wrong-pass/);
    expect(String(refused)).not.toMatch(/s3cret|wrong/);
  });

  it('uses a token, and an nkey seed file', async () => {
    await expect(attempt(tokens.url, { token: 't0ken-for-kanade' })).resolves.toBe('connected');
    await expect(attempt(tokens.url, { token: 'not-it' })).rejects.toThrow(/authorization violation/);
    await expect(attempt(nkeys.url, { nkeySeedFile: join(dir, 'user.nk') })).resolves.toBe('connected');
    await expect(attempt(nkeys.url, {})).rejects.toThrow(BrokerRefused);
  });

  it('speaks TLS with a CA and a client certificate, and says why a certificate is refused', {
    timeout: 30_000,
  }, async () => {
    const url = tls.url.replace('nats://', 'tls://');
    const client = {
      tlsCaFile: join(dir, 'ca.pem'),
      tlsCertFile: join(dir, 'client.pem'),
      tlsKeyFile: join(dir, 'client.key'),
    };
    await expect(attempt(url, client)).resolves.toBe('connected');
    const stranger = { ...client, tlsCertFile: join(dir, 'stranger.pem'), tlsKeyFile: join(dir, 'stranger.key') };
    await expect(attempt(url, stranger)).rejects.toThrow(/refused the client certificate/);
    await expect(attempt(url, { tlsCaFile: join(dir, 'stranger.pem') })).rejects.toThrow(/TLS failed/);
  });

  it('refuses two ways of authenticating at once, and a certificate without its key', async () => {
    await expect(attempt(users.url, { user: 'ops', token: 'x' })).rejects.toThrow(/one way to authenticate/);
    await expect(attempt(tls.url, { tlsCertFile: join(dir, 'client.pem') })).rejects.toThrow(/needs its key/);
  });
});
