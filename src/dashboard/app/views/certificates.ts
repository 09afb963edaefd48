/// <reference lib="dom" />
/**
 * The certificates page: every certificate served (from `/api/certificates`), with its names,
 * issuer, end date and the routers using it; one within 30 days of its end is marked `Warning`,
 * an expired one `Expired`, in text and not by colour alone.
 */
import { getOptional } from '../api.js';
import { h, replace } from '../dom.js';
import { objectLink, pageHeader, type View } from './common.js';

/** A certificate as `/api/certificates` lists it. */
interface CertificateRow {
  name: string;
  commonName: string;
  sans: string[];
  issuerCN?: string;
  issuerOrg?: string;
  notAfter: string;
  daysLeft: number;
  status: 'enabled' | 'warning' | 'expired';
  source: string;
  origin: string;
  default: boolean;
  usedBy: string[];
}

/** A certificate of an ACME resolver as `/api/acme` lists it (also before it is issued). */
interface AcmeRow {
  resolver: string;
  domain: { main: string; sans: string[] };
  state: 'valid' | 'ordering' | 'failed' | 'pending';
  issuer?: string;
  notAfter?: string;
  nextRenewal?: string;
  lastError?: string;
  wantedBy: string[];
}

interface AcmeStatus {
  resolvers: string[];
  storageErrors: { storage: string; error: string }[];
  certificates: AcmeRow[];
}

const ACME_STATE: Record<AcmeRow['state'], [text: string, badge: string]> = {
  valid: ['Issued', 'enabled'],
  ordering: ['Ordering', 'warning'],
  pending: ['Waiting', 'warning'],
  failed: ['Failed', 'disabled'],
};

const STATUS: Record<CertificateRow['status'], [text: string, badge: string]> = {
  enabled: ['OK', 'enabled'],
  warning: ['Expires soon', 'warning'],
  expired: ['Expired', 'disabled'],
};

/** The certificates page. */
export function certificatesView(): View {
  const el = h('div', { class: 'page' });
  const table = h('table', { class: 'objects', 'data-testid': 'certificates-table' });
  const count = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' }, 'Loading…');
  const acmeSection = h('section', { 'data-testid': 'acme-section' });
  let stopped = false;

  /** The ACME resolvers' certificates (Switchyard's `/api/acme`): shown only when resolvers exist. */
  async function loadAcme(): Promise<void> {
    let status: AcmeStatus;
    try {
      status = await getOptional<AcmeStatus>('/api/acme', { resolvers: [], storageErrors: [], certificates: [] });
    } catch (error) {
      replace(acmeSection, h('p', { class: 'muted' }, `Could not load the ACME status: ${(error as Error).message}`));
      return;
    }
    if (stopped) return;
    if (status.resolvers.length === 0) {
      replace(acmeSection);
      return;
    }
    const day = (iso?: string) =>
      iso === undefined ? '—' : new Date(iso).toISOString().slice(0, 16).replace('T', ' ');
    replace(
      acmeSection,
      h('h2', null, 'Automatic HTTPS (ACME)'),
      ...status.storageErrors.map((e) => h('p', { class: 'row-disabled', role: 'alert' }, `${e.storage}: ${e.error}`)),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'objects', 'data-testid': 'acme-table' },
          h('caption', { class: 'visually-hidden' }, 'ACME certificates'),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['State', 'Domains', 'Resolver', 'Issuer', 'Ends', 'Next renewal', 'Last error', 'Wanted by'].map(
                (label) => h('th', { scope: 'col' }, label),
              ),
            ),
          ),
          h(
            'tbody',
            null,
            status.certificates.length === 0
              ? h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No router asks for a certificate'))
              : status.certificates.map((row) => {
                  const [text, badge] = ACME_STATE[row.state] ?? ACME_STATE.pending;
                  return h(
                    'tr',
                    {
                      'data-testid': 'acme-row',
                      'data-state': row.state,
                      class: row.state === 'failed' ? 'row-disabled' : '',
                    },
                    h('td', null, h('span', { class: `badge status-${badge}` }, text)),
                    h('td', { class: 'mono' }, [row.domain.main, ...row.domain.sans].join(', ')),
                    h('td', null, row.resolver),
                    h('td', null, row.issuer ?? '—'),
                    h('td', null, day(row.notAfter)),
                    h('td', null, day(row.nextRenewal)),
                    h('td', null, row.lastError ?? ''),
                    h(
                      'td',
                      null,
                      row.wantedBy.length === 0
                        ? h('span', { class: 'muted' }, '—')
                        : row.wantedBy.flatMap((name, i) =>
                            i === 0 ? [objectLink('routers', name)] : [', ', objectLink('routers', name)],
                          ),
                    ),
                  );
                }),
          ),
        ),
      ),
    );
  }

  async function load(): Promise<void> {
    void loadAcme();
    let rows: CertificateRow[];
    try {
      rows = await getOptional<CertificateRow[]>('/api/certificates', []);
    } catch (error) {
      count.textContent = `Could not load the certificates: ${(error as Error).message}`;
      return;
    }
    if (stopped) return;
    rows.sort((a, b) => a.daysLeft - b.daysLeft);
    const expiring = rows.filter((r) => r.status !== 'enabled').length;
    count.textContent = `${rows.length} certificate(s)${expiring > 0 ? `, ${expiring} expired or ending within 30 days` : ''}`;
    replace(
      table,
      h('caption', { class: 'visually-hidden' }, 'Certificates'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Status', 'Subject', 'Names', 'Issuer', 'Ends', 'Used by', 'From'].map((label) =>
            h('th', { scope: 'col' }, label),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        rows.length === 0
          ? h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No certificate'))
          : rows.map((row) => {
              const [text, badge] = STATUS[row.status] ?? STATUS.enabled;
              return h(
                'tr',
                {
                  'data-testid': 'certificate-row',
                  'data-status': row.status,
                  class: row.status === 'enabled' ? '' : `row-${badge}`,
                },
                h('td', null, h('span', { class: `badge status-${badge}` }, text)),
                h(
                  'td',
                  { class: 'mono' },
                  row.commonName,
                  row.default ? h('span', { class: 'muted' }, ' (default)') : '',
                ),
                h('td', { class: 'mono' }, row.sans.join(', ')),
                h('td', null, row.issuerCN ?? row.issuerOrg ?? ''),
                h(
                  'td',
                  null,
                  new Date(row.notAfter).toISOString().slice(0, 10),
                  h('span', { class: 'muted' }, row.daysLeft < 0 ? ' (expired)' : ` (${row.daysLeft} d)`),
                ),
                h(
                  'td',
                  null,
                  row.usedBy.length === 0
                    ? h('span', { class: 'muted' }, '—')
                    : row.usedBy.flatMap((name, i) =>
                        i === 0 ? [objectLink('routers', name)] : [', ', objectLink('routers', name)],
                      ),
                ),
                h(
                  'td',
                  { class: 'mono' },
                  row.origin === 'inline' || row.origin === 'generated' ? row.source : row.origin,
                ),
              );
            }),
      ),
    );
  }

  replace(el, pageHeader('Certificates'), count, h('div', { class: 'table-wrap' }, table), acmeSection);
  void load();
  return {
    title: 'Certificates',
    el,
    onConfig: () => void load(),
    destroy: () => {
      stopped = true;
    },
  };
}
