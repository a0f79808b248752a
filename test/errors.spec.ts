import { expect } from 'chai';
import { SubflowError, isSubflowError } from '../errors.js';

describe('SubflowError', () => {
  it('carries a code, place and hint, and prints the hint after the message', () => {
    const cause = new Error('EACCES');
    const error = new SubflowError('FILE_UNREADABLE', 'cannot read train.es', {
      file: 'train.es',
      line: 3,
      hint: 'check the file permissions',
      cause,
    });
    expect(error.code).to.equal('FILE_UNREADABLE');
    expect(error.file).to.equal('train.es');
    expect(error.line).to.equal(3);
    expect(error.cause).to.equal(cause);
    expect(error.toUserString()).to.equal('cannot read train.es\n  hint: check the file permissions');
    expect(isSubflowError(error, 'FILE_UNREADABLE')).to.equal(true);
    expect(isSubflowError(error, 'CONFIG_INVALID')).to.equal(false);
    expect(isSubflowError(new Error('x'))).to.equal(false);
  });
});
