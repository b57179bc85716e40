// SIGKILL at each step boundary of the fuse and lock steps, Kestrel K2 profile (see kill-points.ts).
import { killTest } from './kill-points.ts';

killTest('kestrel-k2');
