import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from './lock.js';

describe('DATA_DIR lock', () => {
  it('refuses a second holder while the first is alive, and frees on release', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-lock-'));
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    fs.writeFileSync(path.join(dir, 'patientline.lock'), JSON.stringify({ pid: holder.pid, host: os.hostname() }));
    try {
      expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('takes over the lock of a process that died (kill -9 leaves the file)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-lock-'));
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    fs.writeFileSync(path.join(dir, 'patientline.lock'), JSON.stringify({ pid: dead.pid, host: os.hostname() }));
    const release = lockDataDir(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'patientline.lock'), 'utf8')).pid).toBe(process.pid);
    release();
    expect(fs.existsSync(path.join(dir, 'patientline.lock'))).toBe(false);
    lockDataDir(dir)();
  });
});
