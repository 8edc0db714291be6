// Runs `npm ci` only when node_modules does not match package-lock.json, so a build does not
// pull the rug from under a Ganache that a running test or run-local.sh started from node_modules.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const dir = path.resolve(__dirname, '..');
const lock = fs.readFileSync(path.join(dir, 'package-lock.json'));
const want = crypto.createHash('sha256').update(lock).digest('hex');
const stamp = path.join(dir, 'node_modules', '.purser-lock-sha256');
const have = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8').trim() : '';
if (have === want) {
  console.log('node_modules matches package-lock.json');
  process.exit(0);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
execFileSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
fs.writeFileSync(stamp, want + '\n');
