import { readFileSync } from 'node:fs';
import { configSchema } from '@simfleet/config';

// The README is the user's manual: its configuration table must name every variable the schema reads.
const readme = readFileSync('README.md', 'utf8');

describe('README', () => {
  it.each(Object.keys(configSchema.shape))('documents %s in the configuration table', (variable) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${variable}\` \\|`, 'm'));
  });

  it('keeps the two-command quickstart', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
