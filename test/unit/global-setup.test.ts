/** The pre-test rebuild watches exactly the folders the Node build compiles. */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { BUILT } from '../global-setup.js';

it('watches every folder tsconfig.build.json includes', () => {
  const config = JSON.parse(
    fs.readFileSync(new URL('../../tsconfig.build.json', import.meta.url), 'utf8'),
  ) as { include: string[] };
  const folders = config.include.map((pattern) => pattern.replace(/\/\*\*\/\*\.ts$/, ''));
  expect([...BUILT].map((dir) => dir.split(path.sep).join('/')).sort()).toEqual(folders.sort());
});
