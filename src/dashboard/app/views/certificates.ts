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
  let stopped = false;

  async function load(): Promise<void> {
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

  replace(el, pageHeader('Certificates'), count, h('div', { class: 'table-wrap' }, table));
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
