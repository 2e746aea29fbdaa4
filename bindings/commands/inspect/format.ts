// Text shapes shared by the inspection commands: ls-style mode strings, type names, aligned columns.
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../../layers/memory-layer.js';

const TYPE_NAMES: [number, string, string][] = [
  [S_IFREG, 'file', '-'],
  [S_IFDIR, 'directory', 'd'],
  [S_IFLNK, 'symlink', 'l'],
  [S_IFCHR, 'character device', 'c'],
  [S_IFBLK, 'block device', 'b'],
  [S_IFIFO, 'fifo', 'p'],
  [S_IFSOCK, 'socket', 's'],
];

export function typeName(mode: number): string {
  const t = mode & S_IFMT;
  return TYPE_NAMES.find(([bits]) => bits === t)?.[1] ?? 'unknown';
}

/** `drwxr-xr-x`, with setuid/setgid/sticky shown as ls shows them. */
export function modeString(mode: number): string {
  const t = mode & S_IFMT;
  let s = TYPE_NAMES.find(([bits]) => bits === t)?.[2] ?? '?';
  const rwx = 'rwxrwxrwx';
  for (let i = 0; i < 9; i++) s += mode & (0o400 >> i) ? rwx[i] : '-';
  const chars = s.split('');
  const special = (bit: number, at: number, set: string) => {
    if (mode & bit) chars[at] = chars[at] === 'x' || chars[at] === 't' || chars[at] === 's' ? set : set.toUpperCase();
  };
  special(0o4000, 3, 's');
  special(0o2000, 6, 's');
  special(0o1000, 9, 't');
  return chars.join('');
}

/** Four-digit octal permissions, e.g. `0644`. */
export function permissions(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Rows of cells, left-aligned in columns two spaces apart; the last column is not padded. */
export function columns(rows: string[][], rightAligned: number[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => row.map((cell, i) => {
    if (i === row.length - 1) return cell;
    return rightAligned.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
  }).join('  '));
}
