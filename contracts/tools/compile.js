// Compiles every contract under src/main/solidity with the solc pinned in package-lock.json and
// writes, per contract, NAME.abi, NAME.bin and NAME.json ({"abi":[…],"bytecode":"0x…"}) into the
// output folder. Fails the build on any compiler error or warning about the EVM version, so a
// contract that Ganache cannot run never reaches a test.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const [srcDir, outDir, staleWrappersDir] = process.argv.slice(2);
if (!srcDir || !outDir) {
  console.error('usage: node compile.js SRC_DIR OUT_DIR [GENERATED_WRAPPERS_DIR]');
  process.exit(2);
}
// Wrappers generated from an earlier compile must not outlive it: the wrapper generator does not
// fail the build on an error, so a stale wrapper could otherwise hide one.
fs.rmSync(outDir, { recursive: true, force: true });
if (staleWrappersDir) fs.rmSync(staleWrappersDir, { recursive: true, force: true });
const EVM_VERSION = 'shanghai'; // Ganache 7.9.2 runs nothing newer.

const sources = {};
for (const file of fs.readdirSync(srcDir).filter((f) => f.endsWith('.sol')).sort()) {
  sources[file] = { content: fs.readFileSync(path.join(srcDir, file), 'utf8') };
}
const input = {
  language: 'Solidity',
  sources,
  settings: {
    evmVersion: EVM_VERSION,
    optimizer: { enabled: true, runs: 10000 },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

fs.mkdirSync(outDir, { recursive: true });
let count = 0;
for (const file of Object.keys(output.contracts)) {
  for (const [name, c] of Object.entries(output.contracts[file])) {
    const bytecode = c.evm.bytecode.object;
    if (!bytecode) continue; // interfaces have no code and need no wrapper
    fs.writeFileSync(path.join(outDir, `${name}.abi`), JSON.stringify(c.abi));
    fs.writeFileSync(path.join(outDir, `${name}.bin`), bytecode);
    fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify({ abi: c.abi, bytecode: '0x' + bytecode }, null, 1));
    count++;
  }
}
console.log(`solc ${solc.version()} (evm ${EVM_VERSION}): ${count} contracts written to ${outDir}`);
