import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
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

describe('DATA_DIR lock and zombies', () => {
  it('takes over the lock of a killed process that is still a zombie', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-lock-'));
    // A child we never reap: after SIGKILL it stays a zombie while this process lives.
    const { spawn: rawSpawn } = await import('node:child_process');
    const child = rawSpawn('sh', ['-c', 'sleep 30 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = Number((await new Promise<Buffer>((r) => child.stdout!.once('data', r))).toString().trim());
    process.kill(pid, 'SIGSTOP'); // keep the shell from reaping it…
    process.kill(child.pid!, 'SIGSTOP');
    process.kill(pid, 'SIGKILL');
    // The kernel turns it into a zombie asynchronously: wait for that state, not for a guessed delay.
    const stateOf = () => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    await vi.waitFor(() => expect(stateOf()).toBe('Z'), { timeout: 5000, interval: 10 });
    fs.writeFileSync(path.join(dir, 'patientline.lock'), JSON.stringify({ pid, host: os.hostname() }));
    const release = lockDataDir(dir);
    release();
    process.kill(child.pid!, 'SIGKILL');
  });
});
