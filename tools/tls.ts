import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface SimulatorCertificate {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

/** The repository root: the nearest package.json above this module (`tools` or `dist/tools`). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** Renew a little before the real expiry so a long-running simulator never serves an expired certificate. */
const RENEW_BEFORE_MS = 24 * 60 * 60 * 1000;

function readUsable(certPath: string, keyPath: string): SimulatorCertificate | undefined {
  try {
    const cert = fs.readFileSync(certPath, 'utf8');
    const key = fs.readFileSync(keyPath, 'utf8');
    const x509 = new X509Certificate(cert);
    if (Date.parse(x509.validTo) - RENEW_BEFORE_MS < Date.now()) return undefined;
    if (!x509.checkIP('127.0.0.1') || !x509.checkHost('localhost')) return undefined;
    return { certPath, keyPath, cert, key };
  } catch {
    return undefined;
  }
}

/*
 * selfsigned v5 only has an async API, while callers (server setup, the trust wrapper)
 * want the certificate synchronously; generating it in a child Node process keeps this
 * function synchronous. The files are written under temporary names and renamed, so a
 * concurrent reader never sees half a certificate.
 */
const GENERATOR = `
const fs = require('node:fs');
const selfsigned = require('selfsigned');
const [certPath, keyPath] = process.argv.slice(1);
const notAfter = new Date(); notAfter.setFullYear(notAfter.getFullYear() + 1);
selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
  keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notAfterDate: notAfter,
  extensions: [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
  ],
}).then((pems) => {
  const suffix = '.' + process.pid + '.tmp';
  fs.writeFileSync(keyPath + suffix, pems.private, { mode: 0o600 });
  fs.writeFileSync(certPath + suffix, pems.cert);
  fs.renameSync(keyPath + suffix, keyPath);
  fs.renameSync(certPath + suffix, certPath);
});
`;

/**
 * The simulator's TLS certificate for 127.0.0.1 and localhost, kept in `.local/tls/`
 * (gitignored) and generated on first use, or again when missing, unreadable or expiring.
 */
export function simulatorCertificate(): SimulatorCertificate {
  const root = repoRoot();
  const dir = path.join(root, '.local', 'tls');
  const certPath = path.join(dir, 'simulator-cert.pem');
  const keyPath = path.join(dir, 'simulator-key.pem');
  const existing = readUsable(certPath, keyPath);
  if (existing) return existing;
  fs.mkdirSync(dir, { recursive: true });
  execFileSync(process.execPath, ['-e', GENERATOR, certPath, keyPath], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const generated = readUsable(certPath, keyPath);
  if (!generated) throw new Error(`Could not generate a usable simulator certificate in ${dir}`);
  return generated;
}
