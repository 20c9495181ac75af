import { parseNonMfaPrincipal } from '../../src/core/parseNonMfaPrincipals';
import { parsePartnerCenterPage } from '../../src/core/parseCollectionPage';

describe('parseNonMfaPrincipal', () => {
  const documented = { objectId: 'ADC77AA5-7968-4C57-9F48-361018265C1A', tenantId: '6e6aef4a-4ca9-40a8-b5bf-b53a1923c540', upn: 'portalnonmfa@yourdomain.onmicrosoft.com', lastNonMfaCompliantRequestDateTime: '2020-04-21T22:09:53.051' };

  it('when the documented item arrives, then its offset-less timestamp is read as UTC', () => {
    expect(parseNonMfaPrincipal(documented, 'p')).toEqual({
      objectId: 'adc77aa5-7968-4c57-9f48-361018265c1a',
      tenantId: '6e6aef4a-4ca9-40a8-b5bf-b53a1923c540',
      upn: 'portalnonmfa@yourdomain.onmicrosoft.com',
      lastNonMfaRequestDateTime: '2020-04-21T22:09:53.051Z',
    });
  });

  it('when the other documented name lastNonMfaCompliantLoginDateTime is used, then it is read the same', () => {
    const { lastNonMfaCompliantRequestDateTime, ...rest } = documented;
    expect(parseNonMfaPrincipal({ ...rest, lastNonMfaCompliantLoginDateTime: lastNonMfaCompliantRequestDateTime }, 'p').lastNonMfaRequestDateTime).toBe('2020-04-21T22:09:53.051Z');
  });

  it('when a timestamp carries an offset, then it is converted to UTC', () => {
    expect(parseNonMfaPrincipal({ ...documented, lastNonMfaCompliantRequestDateTime: '2020-04-21T22:09:53+02:00' }, 'p').lastNonMfaRequestDateTime).toBe('2020-04-21T20:09:53.000Z');
  });

  it('when neither date field exists, then the error names the field', () => {
    expect(() => parseNonMfaPrincipal({ objectId: 'x' }, 'page 1: items[0]')).toThrow('page 1: items[0].lastNonMfaCompliantRequestDateTime: expected an ISO 8601 date-time, got nothing');
  });
});

describe('parsePartnerCenterPage', () => {
  it('when the documented single page arrives (no links), then there is no next link', () => {
    const page = parsePartnerCenterPage({ totalCount: 1, items: [{}], attributes: { objectType: 'Collection' } }, 'p');
    expect(page).toEqual({ items: [{}], totalCount: 1, next: null });
  });

  it('when links.next carries a relative uri and continuation headers, then both are returned to be sent back', () => {
    const page = parsePartnerCenterPage(
      { totalCount: 2, items: [], links: { self: { uri: '/v1/x', method: 'GET', headers: [] }, next: { uri: '/v1/nonMfaCompliantPartnerPrincipals', method: 'GET', headers: [{ key: 'MS-ContinuationToken', value: 'abc' }] } } },
      'p',
    );
    expect(page.next).toEqual({ uri: '/v1/nonMfaCompliantPartnerPrincipals', headers: { 'MS-ContinuationToken': 'abc' } });
  });

  it('when items is missing, then the error names it', () => {
    expect(() => parsePartnerCenterPage({ totalCount: 0 }, 'principals page 1')).toThrow('principals page 1.items: expected an array, got nothing');
  });
});
