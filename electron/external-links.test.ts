import { describe, expect, it } from 'vitest';
import { EXTERNAL_LINKS, isAllowedExternalLink } from './external-links.ts';

describe('external links', () => {
  it('opens the known links', () => {
    for (const link of EXTERNAL_LINKS) expect(isAllowedExternalLink(link)).toBe(true);
  });

  it.each([
    'https://example.com/',
    'https://attacker.example/croner.56k.guru/usage/pattern/',
    'https://croner.56k.guru/usage/pattern/?x=1',
    'https://croner.56k.guru/usage/pattern/#frag',
    'https://croner.56k.guru:8443/usage/pattern/',
    'https://user:pw@croner.56k.guru/usage/pattern/',
    'https://croner.56k.guru.attacker.example/usage/pattern/',
    'http://croner.56k.guru/usage/pattern/',
    'file:///etc/passwd',
    'smb://server/share',
    'not a url',
  ])('refuses %s', (url) => {
    expect(isAllowedExternalLink(url)).toBe(false);
  });
});
