// node:fs watchers are libuv handles that keep the process alive until unref'd. Ours stand one
// keep-alive timer in for that handle; ref/unref act on it (StatWatcher, FSWatcher).
import { EventEmitter } from 'node:events';

export class TimerHandle extends EventEmitter {
  protected timer: NodeJS.Timeout | undefined;

  ref(): this {
    this.timer?.ref();
    return this;
  }

  unref(): this {
    this.timer?.unref();
    return this;
  }
}
