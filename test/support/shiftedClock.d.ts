/** Moves this process's clock to real time plus `ms` (see shiftedClock.js). */
export declare function setClockOffset(ms: number): void;
