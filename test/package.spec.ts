// The README's "use it as a library" path: `npm pack`, then `npm install ./subflow-0.1.0.tgz` in an
// empty project outside the checkout, then an ESM script that imports 'subflow', loads the bundled
// model without knowing where the package lives, and translates one sentence.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useTempDir } from './helpers/tempDir.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

async function npmVersion(): Promise<string | undefined> {
  try {
    return (await run('npm', ['--version'])).stdout.trim();
  } catch {
    return undefined;
  }
}

describe('package: npm pack, then npm install of the tarball in another project', function () {
  this.timeout(300_000);
  const dir = useTempDir('subflow-package-');

  it('installs from the tarball; an ESM script imports subflow, loads the bundled model and translates', async function () {
    if (!(await npmVersion())) this.skip(); // npm is not on PATH: nothing to pack or install with
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
      .version;
    // prepack builds dist/, so the tarball never carries a stale or missing build.
    const packed = await run('npm', ['pack', '--pack-destination', dir(), '--silent'], { cwd: root });
    const tarball = packed.stdout.trim().split('\n').pop()!;
    expect(tarball).to.equal(`subflow-${version}.tgz`);

    const app = join(dir(), 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', join('..', tarball), 'rxjs'],
      { cwd: app },
    );
    writeFileSync(
      join(app, 'translate.js'),
      [
        "import { firstValueFrom, from } from 'rxjs';",
        "import { defaultModelDir, loadModel, translate } from 'subflow';",
        'const model = await loadModel();',
        "const t = await firstValueFrom(from(['En el principio crió Dios los cielos y la tierra.']).pipe(translate(model, { beam: 5 })));",
        'console.log(JSON.stringify({ dir: defaultModelDir(), backend: model.backend.reason, text: t.text }));',
        'model.dispose();',
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, ['translate.js'], { cwd: app });
    const result = JSON.parse(stdout) as { dir: string; backend: string; text: string };
    expect(result.dir).to.equal(join(app, 'node_modules', 'subflow', 'models', 'bible-es-en'));
    expect(result.text).to.equal('In the beginning, God created the heavens and the earth.');
    // The native addon's sources travel in the tarball, so it builds where a C compiler is present;
    // where not, the backend line names the fix instead of failing.
    expect(result.backend).to.match(/matmuls on OpenBLAS|addon subflow-native not built; .*npm rebuild/);

    const cli = await run(join(app, 'node_modules', '.bin', 'subflow'), ['--version'], { cwd: app });
    expect(cli.stdout.trim()).to.equal(version);
  });
});
