// st_ino agreement between the kernel and Strata. The numbers differ (different host copies,
// different schemes), so what is compared is identity: a bijection kernel-ino ↔ strata-ino built
// as answers arrive. The same object must carry the same number on each side for as long as it
// lives — across copy-up, rename and link — and different objects different numbers.
// When an object dies its number may be handed out again (ext4 reuses inode numbers at once), so
// a pair is forgotten when the harness sees its object removed.

export class InoIdentity {
  private readonly k2s = new Map<number, number>();
  private readonly s2k = new Map<number, number>();

  /** Record that kernel `k` and Strata `s` name the same object; a reason if that contradicts. */
  match(k: number, s: number, what: string): string | undefined {
    const knownS = this.k2s.get(k);
    const knownK = this.s2k.get(s);
    if (knownS === undefined && knownK === undefined) {
      this.k2s.set(k, s);
      this.s2k.set(s, k);
      return undefined;
    }
    if (knownS === s && knownK === k) return undefined;
    if (knownS !== undefined && knownS !== s) {
      return `${what}: kernel ino ${k} was Strata ino ${knownS} before, Strata now says ${s} (Strata's number changed, or two objects share the kernel's)`;
    }
    return `${what}: Strata ino ${s} was kernel ino ${knownK} before, the kernel now says ${k} (two objects share Strata's number, or the kernel's changed)`;
  }

  /** The object with kernel number `k` and/or Strata number `s` is gone: forget both pairs. */
  forget(k: number | undefined, s: number | undefined): void {
    if (k !== undefined) {
      const pair = this.k2s.get(k);
      this.k2s.delete(k);
      if (pair !== undefined) this.s2k.delete(pair);
    }
    if (s !== undefined) {
      const pair = this.s2k.get(s);
      this.s2k.delete(s);
      if (pair !== undefined) this.k2s.delete(pair);
    }
  }

  get size(): number {
    return this.k2s.size;
  }
}
