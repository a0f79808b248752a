import { expect } from 'chai';
import { UnrecoverableError } from 'bullmq';
import { SubflowError } from '../../errors.js';
import { redisConnection } from '../../queue/queueConnection.js';
import { translateJobId } from '../../queue/enqueueTranslations.js';
import { failureCode, jobError } from '../../queue/translateJob.js';
import { rejection } from '../helpers/rejection.js';
import { runCli } from '../helpers/runCli.js';

describe('queue: connection, job ids and failures', () => {
  it('reads host, port, credentials, db and TLS from a Redis URL', () => {
    expect(redisConnection('redis://u%40x:p%3Aw@queue.lan:6380/2')).to.include({
      host: 'queue.lan',
      port: 6380,
      username: 'u@x',
      password: 'p:w',
      db: 2,
    });
    expect(redisConnection('rediss://queue.lan')).to.deep.include({ port: 6379, db: 0, tls: {} });
  });

  it('refuses something that is not a Redis URL, naming the flag', async () => {
    for (const url of ['queue.lan:6379', 'http://queue.lan', 'redis://queue.lan/x']) {
      const error = await rejection((async () => redisConnection(url))());
      expect(error).to.include({ code: 'BAD_ARGUMENT', key: 'redis' });
    }
  });

  it('says so within seconds when no Redis answers', async function () {
    this.timeout(30_000);
    const result = await runCli(['queue', 'status', '--redis', 'redis://127.0.0.1:1']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('subflow: cannot reach Redis at redis://127.0.0.1:1');
    expect(result.stderr).to.include('--with-redis');
  });

  it('derives job ids BullMQ accepts, different when the file or the options change', () => {
    const id = translateJobId('/media/a:b.mkv', 100, 1_700_000_000_000.5, 'opts');
    expect(id).to.match(/^tr-[0-9a-f]{40}$/);
    expect(translateJobId('/media/a:b.mkv', 100, 1_700_000_000_000.5, 'opts')).to.equal(id);
    expect(translateJobId('/media/a:b.mkv', 101, 1_700_000_000_000.5, 'opts')).to.not.equal(id);
    expect(translateJobId('/media/a:b.mkv', 100, 1_700_000_000_001, 'opts')).to.not.equal(id);
    expect(translateJobId('/media/a:b.mkv', 100, 1_700_000_000_000.5, 'other')).to.not.equal(id);
  });

  it('fails a file at once for its own faults and retries the rest, keeping the code', () => {
    const corrupt = jobError(new SubflowError('MEDIA_INVALID', 'x.mkv is truncated', { hint: 'remux it' }));
    expect(corrupt).to.be.instanceOf(UnrecoverableError);
    expect(corrupt.message).to.equal('MEDIA_INVALID: x.mkv is truncated\n  hint: remux it');
    expect(failureCode(corrupt.message)).to.equal('MEDIA_INVALID');
    const missingTool = jobError(new SubflowError('TOOL_MISSING', 'ffprobe is not installed'));
    expect(missingTool).to.not.be.instanceOf(UnrecoverableError);
    expect(failureCode(missingTool.message)).to.equal('TOOL_MISSING');
    expect(failureCode('Error: boom')).to.equal(undefined);
  });
});
