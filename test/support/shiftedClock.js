// A clock ahead of the real one by a chosen offset, so a test can let minutes pass (a run's
// abandon margin, a detector lease) without waiting them out. Every process of the test must
// see the same time, as ACS refuses a request dated more than 15 minutes away from its own:
// child processes load it with `node -r` and TEST_CLOCK_OFFSET_MS, the test process calls
// setClockOffset(). Only Date moves; timers and performance.now() keep real time.
const RealDate = Date;
let offsetMs = Number(process.env.TEST_CLOCK_OFFSET_MS ?? '0');

const ShiftedDate = new Proxy(RealDate, {
  construct(target, args, newTarget) {
    return Reflect.construct(target, args.length === 0 ? [RealDate.now() + offsetMs] : args, newTarget);
  },
  apply() {
    return new RealDate(RealDate.now() + offsetMs).toString();
  },
  get(target, property, receiver) {
    if (property === 'now') return () => RealDate.now() + offsetMs;
    return Reflect.get(target, property, receiver);
  },
});

globalThis.Date = ShiftedDate;

module.exports = {
  /** Moves this process's clock to real time plus `ms`. */
  setClockOffset(ms) {
    offsetMs = ms;
  },
};
