// SIGKILL at each step boundary of the fuse and lock steps, reference profile (see kill-points.ts).
import { killTest } from './kill-points.ts';

killTest('lockstep-ref');
