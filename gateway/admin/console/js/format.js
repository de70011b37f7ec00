// Times, durations, packet types and queue states as people read them.
import {h} from './dom.js';

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
// Today's times as HH:MM:SS, older ones with their date.
export function fmtTimeShort(iso) {
  const full = fmtTime(iso);
  return full.slice(0, 10) === fmtTime(new Date().toISOString()).slice(0, 10) ? full.slice(11) : full;
}
export function timeEl(iso) {
  if (!iso) return h('span', {class: 'muted'}, '-');
  return h('time', {datetime: iso, title: iso}, fmtTime(iso));
}
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '-';
  let s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  s %= 60;
  if (m < 60) return s ? `${m} min ${s} s` : `${m} min`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr} h ${m % 60} min`;
  return `${Math.floor(hr / 24)} d ${hr % 24} h`;
}
export function secondsUntil(iso) {
  return (new Date(iso).getTime() - Date.now()) / 1000;
}
export function fmtType(type) {
  if (type === null || type === undefined) return '';
  return '0x' + Number(type).toString(16).toUpperCase().padStart(2, '0');
}
export function filterSummary(filter) {
  if (filter === null || filter === undefined) return 'All packets';
  if (filter.length === 0) return 'None';
  return filter.length <= 2 ? filter.join(', ') : `${filter.length} packet kinds`;
}
export function queueStateText(q) {
  switch (q.state) {
    case 'backing-off': {
      if (!q.nextRetryAt) return 'backing off';
      const left = secondsUntil(q.nextRetryAt);
      return `backing off until ${fmtTimeShort(q.nextRetryAt)}` + (left > 0 ? '' : ' (due)');
    }
    default:
      return q.state || 'unknown';
  }
}
export function stateBadge(q, testid) {
  return h('span', {class: `badge state-${q.state}`, testid, dataset: {state: q.state || ''},
    title: q.nextRetryAt && q.state === 'backing-off' ? `next attempt at ${q.nextRetryAt}` : null},
  queueStateText(q));
}
export function retryEl(iso) {
  if (!iso) return h('span', {class: 'muted'}, '-');
  const left = secondsUntil(iso);
  return h('time', {datetime: iso, title: iso}, left >= 1 ? `in ${fmtDuration(left)}` : left > 0 ? 'in <1 s' : 'due now');
}
